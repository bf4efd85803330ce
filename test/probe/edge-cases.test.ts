// The remaining diagnoses, each from a small real server on loopback built to trigger it.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { makeCa, makeLeaf, type TestCert } from '../peers/certs.js';
import { startSServer } from '../peers/openssl.js';
import { scanHost } from '../../src/probe/scanner.js';
import {
  startClosingServer,
  startDualModeServer,
  startGreetingServer,
  startImapTlsServer,
  startImapTlsServerV6,
  startStartTlsSmtpServer,
  type TestServer,
} from './servers.js';
import { find, ids, probe, probeFixtures } from './helpers.js';

let ca: TestCert;
let leaf: TestCert;
const { keep, stop } = probeFixtures((c) => ({ ca, leaf } = c));
const smtp = (port: number) => ({ ca: ca.cert, timeoutMs: 1000, ports: [{ port, protocol: 'smtp' as const, expectedMode: 'starttls' as const }] });
const imaps = (port: number, extra: object = {}) => ({ ca: ca.cert, ports: [{ port, protocol: 'imap' as const, expectedMode: 'tls' as const }], ...extra });

describe('probe: ports that do not behave like mail servers', () => {
  test('a port that drops every connection at once', async () => {
    const s = keep(await startClosingServer());
    const p = (await probe(smtp(s.port))).ports[0]!;
    assert.equal(p.mode, 'unknown');
    find(p, 'port-closes-immediately');
  });

  test('an SSH banner where SMTP was expected', async () => {
    const s = keep(await startGreetingServer('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'));
    const d = find((await probe(smtp(s.port))).ports[0]!, 'unexpected-protocol');
    assert.match(d.evidence[0]!, /SSH-2\.0-OpenSSH/);
  });

  test('a web server: silent in plaintext, an HTTP error in answer to a ClientHello', async () => {
    const server = net.createServer((sock) => {
      sock.on('error', () => undefined);
      sock.once('data', () => sock.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    stop(() => new Promise((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const d = find((await probe(smtp(port))).ports[0]!, 'unexpected-protocol');
    assert.match(d.evidence.join(' '), /HTTP\/1\.1 400/);
  });

  test('a greeting that refuses service (554)', async () => {
    const s = keep(await startGreetingServer('554 5.7.1 No SMTP service here\r\n', { close: true }));
    const d = find((await probe(smtp(s.port))).ports[0]!, 'service-refuses');
    assert.match(d.evidence[0]!, /554 5\.7\.1 No SMTP service here/);
  });

  test('a server that greets and then never answers EHLO', async () => {
    const s = keep(await startGreetingServer('220 slow.example ESMTP\r\n'));
    find((await probe(smtp(s.port))).ports[0]!, 'dialog-timeout');
  });

  test('a dual-mode port (TLS sniffed from the first byte) serves both ways', async () => {
    const s = keep(await startDualModeServer(leaf));
    const p = (await probe({ ca: ca.cert, ports: [{ port: s.port, protocol: 'imap' }] })).ports[0]!;
    assert.equal(p.mode, 'dual');
    assert.equal(find(p, 'dual-mode-port').severity, 'info');
    assert.equal(p.tls?.via, 'implicit');
  });
});

describe('probe: STARTTLS that goes wrong', () => {
  test('STARTTLS advertised but refused with 454', async () => {
    const s = keep(await startStartTlsSmtpServer(leaf, { vulnerable: false, refuse: true }));
    const d = find((await probe(smtp(s.port))).ports[0]!, 'starttls-refused');
    assert.match(d.evidence[0]!, /STARTTLS → 454 4\.7\.0 TLS not available/);
  });

  test('STARTTLS accepted, then the handshake gets garbage', async () => {
    const s = keep(await startStartTlsSmtpServer(leaf, { vulnerable: false, breakHandshake: true }));
    const d = find((await probe(smtp(s.port))).ports[0]!, 'starttls-handshake-failed');
    assert.match(d.evidence[0]!, /plaintext instead of a TLS handshake: "this is not TLS/);
  });

  test('bytes right after the STARTTLS answer are dropped and reported', async () => {
    const s = keep(await startStartTlsSmtpServer(leaf, { vulnerable: false, afterReady: '250 injected\r\n' }));
    const p = (await probe(smtp(s.port))).ports[0]!;
    assert.equal(p.tls?.discardedBytesBeforeHandshake, 14);
    assert.equal(find(p, 'plaintext-after-starttls-reply').severity, 'warning');
  });

  test('AUTH PLAIN LOGIN offered before STARTTLS', async () => {
    const s = keep(await startStartTlsSmtpServer(leaf, { vulnerable: false, authBeforeTls: true }));
    const p = (await probe(smtp(s.port))).ports[0]!;
    assert.deepEqual(p.beforeTls?.cleartextMethods, ['AUTH PLAIN', 'AUTH LOGIN']);
    assert.match(find(p, 'cleartext-auth-before-tls').fix, /smtpd_tls_auth_only = yes/);
  });
});

describe('probe: handshakes and certificates', () => {
  test('a server that offers only anonymous ciphers: the normal handshake fails, the anonymous one works', async (t) => {
    const r = await startSServer({ cert: leaf, args: ['-nocert', '-tls1_2', '-cipher', 'aNULL:@SECLEVEL=0'] });
    if (!r.ok) return t.skip(r.reason);
    stop(r.peer.stop);
    const p = (await probe(imaps(r.peer.port, { timeoutMs: 1000 }))).ports[0]!;
    assert.match(find(p, 'tls-handshake-failed').evidence[0]!, /handshake_failure/);
    find(p, 'anonymous-cipher-accepted');
  });

  test('a certificate whose validity starts next week', async () => {
    const future = await makeLeaf({ names: ['mail.example.test'], ca, validFromDays: 7, validToDays: 100 });
    const s = keep(await startImapTlsServer({ cert: future.cert, key: future.key }));
    find((await probe(imaps(s.port))).ports[0]!, 'cert-not-yet-valid');
  });

  test('a chain that ends in a root this machine does not trust', async () => {
    const otherRoot = await makeCa('unknown root');
    const server = await makeLeaf({ names: ['mail.example.test'], ca: otherRoot });
    const s = keep(await startImapTlsServer({ cert: `${server.cert.trim()}\n${otherRoot.cert.trim()}\n`, key: server.key }));
    const d = find((await probe(imaps(s.port))).ports[0]!, 'cert-untrusted');
    assert.match(d.evidence[0]!, /SELF_SIGNED_CERT_IN_CHAIN/);
  });

  test('a SHA-1 signature and a 1024-bit RSA key are weak', async () => {
    const sha1 = await makeLeaf({ names: ['mail.example.test'], ca, algorithm: 'sha1' });
    // selfsigned cannot sign an RSA leaf with the EC test CA: the 1024-bit one is self-signed
    // and trusted by passing it as the CA.
    const small = await makeLeaf({ names: ['mail.example.test'], rsaBits: 1024 });
    // Node refuses to load such certificates at its default security level.
    const weak = { ciphers: 'DEFAULT:@SECLEVEL=0' };
    const a = keep(await startImapTlsServer({ cert: sha1.cert, key: sha1.key, ...weak }));
    const b = keep(await startImapTlsServer({ cert: small.cert, key: small.key, ...weak }));
    const [ra, rb] = await Promise.all([probe(imaps(a.port)), probe({ ...imaps(b.port), ca: small.cert })]);
    assert.match(find(ra.ports[0]!, 'cert-weak-signature').evidence[0]!, /ecdsa-with-SHA1/);
    assert.match(find(rb.ports[0]!, 'cert-weak-key').evidence[0]!, /rsa 1024 bits/);
  });
});

describe('probe: where the probe runs from', () => {
  test('probing ::1 is probing from the server itself: results may look safer than remote users see', async (t) => {
    const s: TestServer | null = await startImapTlsServerV6({ cert: leaf.cert, key: leaf.key });
    if (!s) return t.skip('no IPv6 loopback here');
    stop(() => s.close());
    const r = await probe({ host: '::1', address: '::1', ca: ca.cert, ports: [{ port: s.port, protocol: 'imap' }] });
    assert.equal(find(r, 'probing-from-server').severity, 'warning');
  });

  test('a default scan of an address where nothing listens finds no service', async (t) => {
    const r = await scanHost('127.0.0.3', { timeoutMs: 500 });
    if (r.ports.some((p) => p.status === 'open')) return t.skip('something listens on a standard port of 127.0.0.3');
    assert.equal(r.ports.length, 9);
    assert.ok(r.ports.every((p) => p.verdict === 'closed' && p.diagnoses.length === 0));
    assert.equal(find(r, 'no-service').severity, 'failure');
    assert.ok(!ids(r).includes('probing-from-server'));
  });
});

describe('probe: names that do not resolve', () => {
  test('an unresolvable host is one failure saying so, not a hang', async () => {
    const t0 = Date.now();
    const r = await scanHost('no-such-host.invalid', { timeoutMs: 2000 });
    assert.equal(find(r, 'dns-failed').severity, 'failure');
    assert.equal(r.ports.length, 0);
    assert.equal(r.exitCode, 2);
    assert.ok(Date.now() - t0 < 3000);
  });
});
