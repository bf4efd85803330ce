// TLS session resumption as a real client sees it: openssl s_client saves the session of one
// connection and offers it on the next. TLS 1.2 without tickets resumes by session ID (the
// server's cache), TLS 1.3 by ticket; a session is never resumed on another protocol.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ensureSelfSignedCertificate, readCertificatePair } from '../../src/net/certificate.js';
import { TlsPolicy } from '../../src/net/tls-policy.js';
import { TlsSessionCache } from '../../src/net/tls-session-cache.js';
import { TestServer } from '../helpers/server.js';
import { run } from '../helpers/run.js';
import { connectWithSession } from '../helpers/tls-resume.js';

let server: TestServer;
let dir: string;

const STARTTLS: Record<string, string> = { pop3: 'pop3', imap: 'imap', submission: 'smtp' };

/** One s_client connection; returns "New" or "Reused" and the protocol version. */
async function connect(port: number, args: string[], input = ''): Promise<{ reuse: string; version: string; out: string }> {
  const r = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'localhost', ...args], { input });
  const m = /^(New|Reused), (TLSv1\.\d)/m.exec(r.stdout);
  assert.ok(m, `no handshake summary:\n${r.stdout.slice(-800)}\n${r.stderr.slice(-400)}`);
  return { reuse: m[1]!, version: m[2]!, out: r.stdout };
}

describe('TLS session resumption', () => {
  before(async () => {
    server = await TestServer.start();
    dir = mkdtempSync(join(tmpdir(), 'postern-sess-'));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const protocol of ['pop3', 'imap', 'submission']) {
    for (const security of ['tls', 'starttls'] as const) {
      test(`${protocol} ${security}: TLS 1.2 without tickets resumes by session ID`, async () => {
        const port = server.port(protocol, security);
        const base = ['-tls1_2', '-no_ticket', ...(security === 'starttls' ? ['-starttls', STARTTLS[protocol]!] : [])];
        const file = join(dir, `${protocol}-${security}.pem`);
        const first = await connect(port, [...base, '-sess_out', file]);
        assert.equal(first.reuse, 'New');
        assert.match(first.out, /Session-ID: [0-9A-F]{64}/, 'a session ID is issued');
        const second = await connect(port, [...base, '-sess_in', file]);
        assert.deepEqual([second.reuse, second.version], ['Reused', 'TLSv1.2']);
      });
    }
  }

  test('TLS 1.3 resumes with a ticket', async () => {
    const port = server.port('imap', 'tls');
    const file = join(dir, 'tls13.pem');
    // TLS 1.3 tickets arrive after the handshake: stay for a LOGOUT and its reply.
    await connect(port, ['-tls1_3', '-sess_out', file, '-ign_eof'], 'a LOGOUT\r\n');
    const second = await connect(port, ['-tls1_3', '-sess_in', file]);
    assert.deepEqual([second.reuse, second.version], ['Reused', 'TLSv1.3']);
  });

  test('a TLS 1.3 ticket still resumes after a restart: its key is kept in the store', async () => {
    const port = () => server.port('pop3', 'tls');
    const first = await connectWithSession(port());
    assert.equal(first.reused, false);
    assert.ok(first.session, 'the server issued a ticket');
    await server.restart();
    const again = await connectWithSession(port(), first.session);
    assert.match(again.greeting, /^\+OK/);
    assert.equal(again.reused, true);
  });

  test('a POP3 session is not resumed on IMAP: that is a new, full handshake', async () => {
    const file = join(dir, 'cross.pem');
    await connect(server.port('pop3', 'tls'), ['-tls1_2', '-no_ticket', '-sess_out', file]);
    const other = await connect(server.port('imap', 'tls'), ['-tls1_2', '-no_ticket', '-sess_in', file]);
    assert.equal(other.reuse, 'New');
  });
});

describe('TLS session cache', () => {
  const id = (n: number) => Buffer.from([n]);

  test('keeps at most maxEntries, dropping the oldest stored first', () => {
    const cache = new TlsSessionCache({ maxEntries: 2, ttlMs: 60_000 });
    cache.store(id(1), Buffer.from('a'));
    cache.store(id(2), Buffer.from('b'));
    cache.store(id(1), Buffer.from('a2')); // stored again: now the newest
    cache.store(id(3), Buffer.from('c'));
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup(id(2)), null);
    assert.equal(cache.lookup(id(1))?.toString(), 'a2');
    assert.equal(cache.lookup(id(3))?.toString(), 'c');
  });

  test('a session older than ttlMs is not resumed and is dropped', () => {
    let now = 1000;
    const cache = new TlsSessionCache({ maxEntries: 10, ttlMs: 500 }, () => now);
    cache.store(id(1), Buffer.from('a'));
    now += 499;
    assert.equal(cache.lookup(id(1))?.toString(), 'a');
    now += 1;
    assert.equal(cache.lookup(id(1)), null);
    assert.equal(cache.size, 0);
  });
});

describe('TLS policy ticket key', () => {
  test('kept across certificate reloads; setTicketKeys replaces it', async () => {
    const d = mkdtempSync(join(tmpdir(), 'postern-tk-'));
    try {
      const pair = readCertificatePair(await ensureSelfSignedCertificate(d, 'localhost'));
      const policy = new TlsPolicy(pair, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
      const drawn = policy.ticketKeys;
      assert.equal(drawn.length, 48);
      policy.reload(pair);
      assert.deepEqual(policy.ticketKeys, drawn);
      const next = randomBytes(48);
      policy.setTicketKeys(next);
      assert.deepEqual(policy.ticketKeys, next);
      policy.reload(pair);
      assert.deepEqual(policy.ticketKeys, next);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
