import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { ClientConnection, ConnectError, ReadError, TlsHandshakeError } from '../../src/client/tls.js';
import { SmtpReplyDecoder, type SmtpReply } from '../../src/wire/smtp/reply.js';
import { makeGoodCerts, makeCa, type TestCert } from '../peers/certs.js';

function smtpReader(): { d: SmtpReplyDecoder; poll: () => SmtpReply | undefined } {
  const d = new SmtpReplyDecoder();
  return {
    d,
    poll: () => {
      const s = d.next();
      if (s.kind === 'error') throw s.error;
      return s.kind === 'reply' ? s.reply : undefined;
    },
  };
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

let ca: TestCert;
let leaf: TestCert;
const servers: net.Server[] = [];

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
});
after(() => {
  for (const s of servers) {
    s.close();
    (s as net.Server & { closeAllConnections?: () => void }).closeAllConnections?.();
  }
});

/** A tiny SMTP-ish server: greeting, then STARTTLS answered with 220 plus `afterReady` bytes in
 * the same write (what an injecting man in the middle would add), then "250 secure" inside TLS. */
async function starttlsServer(afterReady: string): Promise<number> {
  const server = net.createServer((sock) => {
    sock.write('220 test ready\r\n');
    sock.once('data', () => {
      sock.write('220 go ahead\r\n' + afterReady);
      const t = new tls.TLSSocket(sock, { isServer: true, cert: leaf.cert, key: leaf.key });
      t.on('error', () => undefined);
      t.once('data', () => t.write('250 secure\r\n'));
    });
    sock.on('error', () => undefined);
  });
  servers.push(server);
  return listen(server);
}

describe('client TLS connections', () => {
  test('implicit TLS reports version, cipher, key-exchange group and a trusted chain with --ca', async () => {
    const server = tls.createServer({ cert: leaf.cert, key: leaf.key }, (s) => s.end('220 hi\r\n'));
    servers.push(server);
    const port = await listen(server);
    const conn = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { ca: ca.cert, servername: 'mail.example.test' } });
    const info = conn.tls!;
    assert.equal(info.version, 'TLSv1.3');
    assert.match(info.cipher.name, /^TLS_/);
    assert.equal(info.keyExchange?.name, 'X25519');
    assert.equal(info.authorized, true);
    assert.equal(info.peerChain.length, 2, 'leaf plus the CA found in the trust store');
    const { d, poll } = smtpReader();
    assert.deepEqual(await conn.read(d, poll, 2000), { code: 220, lines: ['hi'] });
    conn.destroy();
  });

  test('an untrusted certificate fails the handshake by default and is reported with verify: report', async () => {
    const server = tls.createServer({ cert: leaf.cert, key: leaf.key }, (s) => s.end());
    servers.push(server);
    const port = await listen(server);
    const otherCa = await makeCa('someone else');
    await assert.rejects(
      ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { ca: otherCa.cert } }),
      (e: unknown) => e instanceof TlsHandshakeError && e.code === 'certificate',
    );
    const conn = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { ca: otherCa.cert, servername: 'wrong.example', verify: 'report' } });
    assert.equal(conn.tls!.authorized, false);
    assert.equal(conn.tls!.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    assert.match(conn.tls!.identityError ?? '', /wrong\.example/);
    conn.destroy();
  });

  test('STARTTLS drops plaintext injected after the 220 and counts it; only TLS replies are read', async () => {
    const port = await starttlsServer('250 injected\r\n');
    const conn = await ClientConnection.connect({ host: '127.0.0.1', port });
    const { d, poll } = smtpReader();
    assert.equal((await conn.read(d, poll, 2000)).code, 220);
    conn.write('STARTTLS\r\n');
    assert.deepEqual(await conn.read(d, poll, 2000), { code: 220, lines: ['go ahead'] });
    // Give the injected bytes time to land in our buffers, as they would on a real network.
    await new Promise((r) => setTimeout(r, 50));
    const { discardedBytes } = await conn.startTls({ ca: ca.cert, servername: 'mail.example.test' }, d);
    assert.equal(discardedBytes, '250 injected\r\n'.length);
    conn.write('EHLO x\r\n');
    assert.deepEqual(await conn.read(d, poll, 2000), { code: 250, lines: ['secure'] });
    conn.destroy();
  });

  test('STARTTLS over a tap shows the raw server bytes of the handshake', async () => {
    const port = await starttlsServer('');
    const conn = await ClientConnection.connect({ host: '127.0.0.1', port });
    const { d, poll } = smtpReader();
    await conn.read(d, poll, 2000);
    conn.write('STARTTLS\r\n');
    await conn.read(d, poll, 2000);
    const seen: Buffer[] = [];
    const r = await conn.startTls({ ca: ca.cert, servername: 'mail.example.test', onServerBytes: (c) => seen.push(c) }, d);
    assert.equal(r.discardedBytes, 0);
    const first = Buffer.concat(seen);
    assert.equal(first[0], 0x16, 'a handshake record (ServerHello) comes first');
    conn.write('EHLO x\r\n');
    assert.equal((await conn.read(d, poll, 2000)).code, 250);
    conn.destroy();
  });

  test('implicit TLS against a plaintext port fails fast and keeps the greeting as evidence', async () => {
    const server = net.createServer((s) => { s.write('220 plain.example ESMTP\r\n'); s.on('error', () => undefined); });
    servers.push(server);
    const port = await listen(server);
    const err = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { onServerBytes: () => undefined, handshakeTimeoutMs: 3000 } }).catch((e: unknown) => e);
    assert.ok(err instanceof TlsHandshakeError, String(err));
    assert.equal(err.firstBytes.subarray(0, 4).toString(), '220 ');
    assert.equal(err.code, 'protocol');
  });

  test('pinning TLS 1.1 against a TLS 1.2+ server fails with a version error', async () => {
    const server = tls.createServer({ cert: leaf.cert, key: leaf.key, minVersion: 'TLSv1.2' }, (s) => s.end());
    servers.push(server);
    const port = await listen(server);
    const err = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', verify: 'report' } }).catch((e: unknown) => e);
    assert.ok(err instanceof TlsHandshakeError, String(err));
    assert.match(err.opensslCode ?? '', /VERSION|PROTOCOL/);
  });

  test('a server that never answers the ClientHello times out with zero bytes received', async () => {
    const server = net.createServer((s) => s.on('error', () => undefined));
    servers.push(server);
    const port = await listen(server);
    const t0 = Date.now();
    const err = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { handshakeTimeoutMs: 300, onServerBytes: () => undefined } }).catch((e: unknown) => e);
    assert.ok(err instanceof TlsHandshakeError);
    assert.equal(err.code, 'timeout');
    assert.equal(err.bytesReceived, 0);
    assert.ok(Date.now() - t0 < 2000);
  });

  test('a TLS 1.3 session from the session event resumes on the next connection', async () => {
    const server = tls.createServer({ cert: leaf.cert, key: leaf.key }, (s) => { s.on('error', () => undefined); s.on('data', () => undefined); });
    servers.push(server);
    const port = await listen(server);
    const a = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { verify: 'report' } });
    assert.equal(a.tls!.sessionReused, false);
    const session = await a.waitForSession(1000);
    assert.ok(session);
    a.destroy();
    const b = await ClientConnection.connectTls({ host: '127.0.0.1', port, tls: { verify: 'report', session } });
    assert.equal(b.tls!.sessionReused, true);
    b.destroy();
  });

  test('a closed port is a refused ConnectError; a silent server is a read timeout; a closing one is closed', async () => {
    const probe = net.createServer();
    const port = await listen(probe);
    await new Promise<void>((r) => probe.close(() => r()));
    await assert.rejects(ClientConnection.connect({ host: '127.0.0.1', port }), (e: unknown) => e instanceof ConnectError && e.code === 'refused');

    const silent = net.createServer((s) => s.on('error', () => undefined));
    servers.push(silent);
    const sp = await listen(silent);
    const c1 = await ClientConnection.connect({ host: '127.0.0.1', port: sp });
    assert.equal(await c1.waitForData(100), 'timeout');
    const { d, poll } = smtpReader();
    await assert.rejects(c1.read(d, poll, 100), (e: unknown) => e instanceof ReadError && e.code === 'timeout');
    c1.destroy();

    const closing = net.createServer((s) => s.end('220-partial\r\n'));
    servers.push(closing);
    const cp = await listen(closing);
    const c2 = await ClientConnection.connect({ host: '127.0.0.1', port: cp });
    const r2 = smtpReader();
    await assert.rejects(c2.read(r2.d, r2.poll, 1000), (e: unknown) => e instanceof ReadError && e.code === 'closed');
    assert.equal(c2.closeReason, 'fin');
  });
});
