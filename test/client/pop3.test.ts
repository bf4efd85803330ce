// Pop3Client against postern's POP3 server and Dovecot's, over implicit TLS and STARTTLS, plus
// scripted servers for what real servers do not do (silence, odd answers, expired tokens).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pop3Client } from '../../src/client/pop3.js';
import { MailClientError } from '../../src/client/errors.js';
import type { ProtocolLogEntry } from '../../src/client/logger.js';
import { TestServer, message } from '../helpers/server.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import { startDovecotPeer, DOVECOT_USERS, type DovecotHandle } from './peers.js';
import { serveLines, startFakeServer, type FakeServer } from './fake-server.js';

let server: TestServer;
let serverCa: string;
let ca: TestCert;
let leaf: TestCert;
let dovecot: DovecotHandle | string;
const fakes: FakeServer[] = [];

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
  server = await TestServer.start();
  serverCa = readFileSync(join(server.dataDir, 'tls', 'cert.pem'), 'utf8');
  await server.addUser({ address: 'alice@example.test', password: 'pw-alice' });
  dovecot = await startDovecotPeer(leaf);
});
after(async () => {
  await server.stop();
  if (typeof dovecot !== 'string') await dovecot.peer.stop();
  for (const f of fakes) await f.close();
});

function isCode(code: string, re?: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof MailClientError, `expected MailClientError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (re) assert.match(err.message, re);
    return true;
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

interface Target {
  name: string;
  port: () => number;
  security: 'tls' | 'starttls';
  ca: () => string;
  user: string;
  password: string;
  deliver: (m: string) => Promise<void> | void;
  skip?: () => string | false;
}

const targets: Target[] = [
  { name: 'postern, implicit TLS', port: () => server.port('pop3', 'tls'), security: 'tls', ca: () => serverCa, user: 'alice@example.test', password: 'pw-alice', deliver: async (m) => void (await server.deliver('alice@example.test', m)) },
  { name: 'postern, STARTTLS', port: () => server.port('pop3', 'starttls'), security: 'starttls', ca: () => serverCa, user: 'alice@example.test', password: 'pw-alice', deliver: async (m) => void (await server.deliver('alice@example.test', m)) },
  ...(['tls', 'starttls'] as const).map((security): Target => ({
    name: `Dovecot, ${security === 'tls' ? 'implicit TLS' : 'STARTTLS'}`,
    port: () => (typeof dovecot === 'string' ? 0 : security === 'tls' ? dovecot.peer.pop3s : dovecot.peer.pop3),
    security,
    ca: () => ca.cert,
    user: 'bob@example.test',
    password: DOVECOT_USERS['bob@example.test']!,
    deliver: (m) => { if (typeof dovecot !== 'string') dovecot.deliver('bob@example.test', m); },
    skip: () => (typeof dovecot === 'string' ? dovecot : false),
  })),
];

for (const target of targets) {
  describe(`POP3 client against ${target.name}`, () => {
    const connect = (extra: Partial<Parameters<typeof Pop3Client.connect>[0]> = {}) =>
      Pop3Client.connect({ host: '127.0.0.1', port: target.port(), security: target.security, tls: { ca: target.ca() }, ...extra });

    test('logs in, lists, reads a dot-stuffed message as a stream, deletes on QUIT', async (t) => {
      const skip = target.skip?.();
      if (skip) return t.skip(skip);
      const body = '.leading dot\r\n..two dots\r\n.\r\nend\r\n';
      await target.deliver(message('pop3 stream', body));
      const pop = await connect();
      assert.equal(pop.secure, true);
      await pop.login(target.user, target.password);
      const { count } = await pop.stat();
      assert.ok(count >= 1);
      const list = await pop.list();
      const uidl = await pop.uidl();
      assert.equal(list.length, count);
      assert.equal(uidl.length, count);
      assert.ok(uidl.every((u) => u.uid.length > 0));
      const last = list[list.length - 1]!;
      const eml = await readAll(await pop.retr(last.seq));
      assert.ok(eml.toString().endsWith('\r\n\r\n' + body), 'body with its leading dots intact');
      const top = (await pop.top(last.seq, 0)).toString();
      assert.match(top, /Subject: pop3 stream/);
      assert.ok(!top.includes('leading dot'));
      await pop.dele(last.seq);
      await pop.quit();
      assert.equal(pop.closed, true);

      const again = await connect();
      await again.login(target.user, target.password);
      assert.equal((await again.stat()).count, count - 1, 'QUIT committed the deletion');
      await again.quit();
    });

    test('a command issued while a RETR stream is unread is queued and runs; the stream stays complete', async (t) => {
      const skip = target.skip?.();
      if (skip) return t.skip(skip);
      const big = 'x'.repeat(998) + '\r\n';
      await target.deliver(message('big one', big.repeat(3000)));
      const pop = await connect();
      await pop.login(target.user, target.password);
      const list = await pop.list();
      const seq = list[list.length - 1]!.seq;
      const stream = await pop.retr(seq);
      // Not reading the stream yet: stat() must not wait for us forever.
      const stat = await pop.stat();
      assert.equal(stat.count, list.length);
      const eml = await readAll(stream);
      assert.equal(eml.length, list[list.length - 1]!.size);
      await pop.quit();
    });

    test('close() without QUIT keeps messages marked for deletion', async (t) => {
      const skip = target.skip?.();
      if (skip) return t.skip(skip);
      await target.deliver(message('keep me'));
      const pop = await connect();
      await pop.login(target.user, target.password);
      const { count } = await pop.stat();
      await pop.dele(count);
      pop.close();
      const again = await connect();
      await again.login(target.user, target.password);
      assert.equal((await again.stat()).count, count);
      await again.quit();
    });

    test('a wrong password fails with auth-failed in words, and the session can try again', async (t) => {
      const skip = target.skip?.();
      if (skip) return t.skip(skip);
      const pop = await connect();
      await assert.rejects(pop.login(target.user, 'wrong'), isCode('auth-failed', /refused the login of/));
      if (!pop.closed) {
        await pop.login(target.user, target.password);
        await pop.stat();
      }
      pop.close();
    });

    test('the protocol log shows commands but never the password', async (t) => {
      const skip = target.skip?.();
      if (skip) return t.skip(skip);
      for (const mechanism of ['PLAIN', 'USER', undefined]) {
        const log: ProtocolLogEntry[] = [];
        const pop = await connect({ logger: (e) => log.push(e) });
        await pop.login(target.user, target.password, mechanism ? { mechanism } : {});
        await pop.quit();
        const text = log.map((e) => e.text).join('\n');
        assert.ok(!text.includes(target.password), `${mechanism}: password in log`);
        assert.ok(!text.includes(Buffer.from(`\0${target.user}\0${target.password}`).toString('base64')), `${mechanism}: PLAIN response in log`);
        assert.match(text, /STAT|QUIT/);
        if (mechanism === 'USER') assert.match(text, /PASS \*\*\*/);
      }
    });
  });
}

describe('POP3 client security modes against postern', () => {
  test("security 'tls' on the STARTTLS port says the port expects STARTTLS", async () => {
    await assert.rejects(
      Pop3Client.connect({ host: '127.0.0.1', port: server.port('pop3', 'starttls'), security: 'tls', tls: { ca: serverCa } }),
      isCode('expects-starttls', /answered in plaintext \("\+OK.*it expects STARTTLS, not implicit TLS/),
    );
  });

  test("security 'starttls' on the implicit-TLS port says the port expects implicit TLS", async () => {
    await assert.rejects(
      Pop3Client.connect({ host: '127.0.0.1', port: server.port('pop3', 'tls'), security: 'starttls', tls: { ca: serverCa } }),
      isCode('expects-implicit-tls', /expects implicit TLS, not STARTTLS/),
    );
  });

  test('without the CA the self-signed certificate is refused in words', async () => {
    await assert.rejects(
      Pop3Client.connect({ host: '127.0.0.1', port: server.port('pop3', 'tls'), security: 'tls' }),
      isCode('certificate-untrusted', /not trusted: it is self-signed/),
    );
  });

  test('tls.checkCertificate can pin a fingerprint and refuse others', async () => {
    const port = server.port('pop3', 'tls');
    let seen = '';
    const ok = await Pop3Client.connect({ host: '127.0.0.1', port, security: 'tls', tls: { rejectUnauthorized: false, checkCertificate: (c) => { seen = c.fingerprint256; } } });
    ok.close();
    const pinned = await Pop3Client.connect({ host: '127.0.0.1', port, security: 'tls', tls: { rejectUnauthorized: false, checkCertificate: (c) => (c.fingerprint256 === seen ? undefined : 'not the pinned key') } });
    pinned.close();
    await assert.rejects(
      Pop3Client.connect({ host: '127.0.0.1', port, security: 'tls', tls: { ca: serverCa, checkCertificate: () => 'fingerprint does not match the pin' } }),
      isCode('certificate-rejected', /fingerprint does not match the pin/),
    );
  });

  test("'auto' on port 995-style ports is not guessed from the port: a non-implicit port needs STLS", async () => {
    // The starttls listener offers STLS, so 'auto' upgrades and the session is encrypted.
    const pop = await Pop3Client.connect({ host: '127.0.0.1', port: server.port('pop3', 'starttls'), security: 'auto', tls: { ca: serverCa } });
    assert.equal(pop.secure, true);
    pop.close();
  });

  test('TLS pinned to 1.2 only is negotiated as 1.2', async () => {
    const pop = await Pop3Client.connect({ host: '127.0.0.1', port: server.port('pop3', 'tls'), security: 'tls', tls: { ca: serverCa, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } });
    assert.equal(pop.tls?.version, 'TLSv1.2');
    // Without TLS 1.3 there is no tls-exporter binding, so SCRAM without -PLUS is chosen.
    const log: string[] = [];
    pop.close();
    const pop2 = await Pop3Client.connect({ host: '127.0.0.1', port: server.port('pop3', 'tls'), security: 'tls', tls: { ca: serverCa, maxVersion: 'TLSv1.2' }, logger: (e) => log.push(e.text) });
    await pop2.login('alice@example.test', 'pw-alice');
    assert.ok(log.some((l) => /AUTH SCRAM-SHA-256 /.test(l)), log.join('\n'));
    await pop2.quit();
  });
});

describe('POP3 client against scripted servers', () => {
  async function fake(script: Parameters<typeof startFakeServer>[1], tls = false): Promise<FakeServer> {
    const f = await startFakeServer({ cert: leaf, tls }, script);
    fakes.push(f);
    return f;
  }

  test('a server that stops answering fails the call with a timeout in words, not a hang', async () => {
    const f = await fake(async (s) => {
      s.write('+OK ready\r\n');
      await serveLines(s, (l) => (l === 'CAPA' ? '+OK\r\nUSER\r\n.\r\n' : l.startsWith('USER') || l.startsWith('PASS') ? '+OK\r\n' : ''));
    });
    const pop = await Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'none', allowCleartextPassword: true, timeoutMs: 300 });
    await pop.login('u', 'p');
    await assert.rejects(pop.stat(), isCode('timeout', /did not answer within 300 ms while we waited for the answer to STAT/));
    assert.equal(pop.closed, true);
  });

  test('an AbortSignal cancels a pending call', async () => {
    const f = await fake(async (s) => {
      s.write('+OK ready\r\n');
      await serveLines(s, (l) => (l === 'CAPA' ? '+OK\r\nUSER\r\n.\r\n' : l.startsWith('USER') || l.startsWith('PASS') ? '+OK\r\n' : ''));
    });
    const pop = await Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'none', allowCleartextPassword: true });
    await pop.login('u', 'p');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const started = Date.now();
    await assert.rejects(pop.stat({ signal: ac.signal }), isCode('aborted'));
    assert.ok(Date.now() - started < 2000);
    // A call queued behind it is cancelled without being sent.
    await assert.rejects(pop.noop({ signal: AbortSignal.abort() }), isCode('aborted'));
  });

  test('RETR streams a large body that arrives in small pieces, un-stuffing split dots', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 5000; i++) lines.push(i % 3 === 0 ? `.line ${i}` : `line ${i}`);
    const original = lines.join('\r\n') + '\r\n';
    const stuffed = lines.map((l) => (l.startsWith('.') ? '.' + l : l)).join('\r\n') + '\r\n.\r\n';
    const f = await fake(async (s) => {
      s.write('+OK ready\r\n');
      await serveLines(s, async (l) => {
        if (l === 'CAPA') return '+OK\r\nUSER\r\n.\r\n';
        if (l.startsWith('USER') || l.startsWith('PASS')) return '+OK\r\n';
        if (l === 'RETR 1') {
          s.write(`+OK ${original.length} octets\r\n`);
          for (let i = 0; i < stuffed.length; i += 7) s.write(stuffed.slice(i, i + 7));
          return '';
        }
        if (l === 'QUIT') return '+OK bye\r\n';
        return '-ERR\r\n';
      });
    });
    const pop = await Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'none', allowCleartextPassword: true });
    await pop.login('u', 'p');
    assert.equal((await pop.retrieve(1)).toString(), original);
    await pop.quit();
  });

  test('loginOAuth2 asks for a fresh token when the server says the first has expired', async () => {
    const valid = 'fresh-token';
    const f = await fake(async (s) => {
      s.write('+OK ready\r\n');
      await serveLines(s, async (l) => {
        if (l === 'CAPA') return '+OK\r\nSASL OAUTHBEARER XOAUTH2\r\n.\r\n';
        const m = /^AUTH OAUTHBEARER (\S+)$/.exec(l);
        if (m) {
          if (Buffer.from(m[1]!, 'base64').toString().includes(`Bearer ${valid}`)) return '+OK welcome\r\n';
          s.write('+ ' + Buffer.from('{"status":"invalid_token","scope":"mail"}').toString('base64') + '\r\n');
          await s.readLine();
          return '-ERR [AUTH] token expired\r\n';
        }
        if (l === 'STAT') return '+OK 0 0\r\n';
        return '-ERR\r\n';
      });
    }, true);
    const calls: Array<{ expired: boolean }> = [];
    const pop = await Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'tls', tls: { ca: ca.cert } });
    await pop.loginOAuth2('alice@example.test', async (info) => {
      calls.push({ expired: info.expired });
      return info.expired ? valid : 'stale-token';
    });
    assert.deepEqual(calls, [{ expired: false }, { expired: true }]);
    assert.deepEqual(await pop.stat(), { count: 0, size: 0 });
    pop.close();

    const pop2 = await Pop3Client.connect({ host: '127.0.0.1', port: f.port, security: 'tls', tls: { ca: ca.cert } });
    await assert.rejects(pop2.loginOAuth2('alice@example.test', 'stale-token'), isCode('token-rejected', /pass a function that returns a fresh token/));
    pop2.close();
  });
});
