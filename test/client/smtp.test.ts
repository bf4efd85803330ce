// SmtpClient and SmtpPool against Postfix (STARTTLS, implicit TLS and a plaintext listener,
// SMTP AUTH through Dovecot's auth socket) and against scripted servers for refusals, retries
// and silence.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpClient } from '../../src/client/smtp.js';
import { SmtpPool } from '../../src/client/smtp-pool.js';
import { ImapClient } from '../../src/client/imap.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../helpers/server.js';
import { MailClientError } from '../../src/client/errors.js';
import { MailBuilder } from '../../src/wire/mime/builder.js';
import type { ProtocolLogEntry } from '../../src/client/logger.js';
import { makeGoodCerts, type TestCert } from '../peers/certs.js';
import type { PostfixPeer } from '../peers/postfix.js';
import { DOVECOT_USERS, startDovecotPeer, startPostfixPeer, type DovecotHandle } from './peers.js';
import { serveLines, startFakeServer, type FakeServer, type FakeSession } from './fake-server.js';

let ca: TestCert;
let leaf: TestCert;
let dovecot: DovecotHandle | string;
let postfix: PostfixPeer | string;
let server: TestServer;
let serverCa: string;
const fakes: FakeServer[] = [];
const USER = 'alice@example.test';
const PASSWORD = DOVECOT_USERS[USER]!;

before(async () => {
  ({ ca, leaf } = await makeGoodCerts());
  server = await TestServer.start();
  serverCa = readFileSync(join(server.dataDir, 'tls', 'cert.pem'), 'utf8');
  await server.addUser({ address: 'alice@example.test', password: PASSWORD });
  await server.addUser({ address: 'bob@example.test', password: 'pw-bob' });
  await server.addUser({ address: 'carol@example.test', password: 'pw-carol' });
  await server.addUser({ address: 'jürgen@example.test', password: 'pw-jurgen', sam: 'juergen', alias: 'juergen' });
  dovecot = await startDovecotPeer(leaf);
  if (typeof dovecot !== 'string') {
    const started = await startPostfixPeer(leaf, dovecot.authSocket, 'message_size_limit = 200000');
    postfix = started;
  } else {
    postfix = dovecot;
  }
});
after(async () => {
  await server.stop();
  if (typeof postfix !== 'string') await postfix.stop();
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

const mail = (subject: string, to = 'bob@example.test') =>
  new MailBuilder().from(USER).to(to).subject(subject).text('Hello from the postern client.\n');

interface SmtpTarget {
  name: string;
  port: () => number;
  security: 'starttls' | 'tls';
  ca: () => string;
  /** The mechanism login() must choose. */
  mechanism: string;
  skip: () => string | false;
}

const smtpTargets: SmtpTarget[] = [
  ...(['starttls', 'tls'] as const).map((security): SmtpTarget => ({
    name: `Postfix (Dovecot SASL), ${security === 'tls' ? 'implicit TLS' : 'STARTTLS'}`,
    port: () => (security === 'tls' ? (postfix as PostfixPeer).implicit : (postfix as PostfixPeer).starttls),
    security,
    ca: () => ca.cert,
    mechanism: 'SCRAM-SHA-256',
    skip: () => (typeof postfix === 'string' ? postfix : false),
  })),
  ...(['starttls', 'tls'] as const).map((security): SmtpTarget => ({
    name: `postern submission, ${security === 'tls' ? 'implicit TLS' : 'STARTTLS'}`,
    port: () => server.port('submission', security),
    security,
    ca: () => serverCa,
    mechanism: 'SCRAM-SHA-256-PLUS',
    skip: () => false,
  })),
];

for (const target of smtpTargets) {
  describe(`SMTP client against ${target.name}`, () => {
    const connect = (log?: ProtocolLogEntry[]) =>
      SmtpClient.connect({ host: '127.0.0.1', port: target.port(), security: target.security, tls: { ca: target.ca() }, ...(log && { logger: (e: ProtocolLogEntry) => log.push(e) }) });

    test('logs in with the strongest mechanism and sends a MailBuilder message, pipelining MAIL and RCPT', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const log: ProtocolLogEntry[] = [];
      const smtp = await connect(log);
      assert.equal(smtp.secure, true);
      assert.ok(smtp.capabilities.has('PIPELINING'));
      await smtp.login(USER, PASSWORD);
      const result = await smtp.send(mail(`via ${target.name}`, 'bob@example.test').cc('carol@example.test'));
      assert.deepEqual(result.accepted, ['bob@example.test', 'carol@example.test']);
      assert.deepEqual(result.rejected, []);
      assert.match(result.response, /queued as/);
      assert.ok(result.queueId);
      assert.ok(result.messageId);
      await smtp.quit();
      const lines = log.map((e) => `${e.direction} ${e.text}`);
      const mailAt = lines.findIndex((l) => l.startsWith('client MAIL FROM:'));
      // RFC 2920: both RCPTs go out before the answer to MAIL is read.
      assert.match(lines[mailAt + 1]!, /^client RCPT TO:<bob@/);
      assert.match(lines[mailAt + 2]!, /^client RCPT TO:<carol@/);
      assert.ok(lines.includes(`client AUTH ${target.mechanism} ***`), lines.join('\n'));
      assert.ok(!lines.join('\n').includes(PASSWORD));
    });

    test('DSN options, 8-bit bodies and UTF-8 addresses use DSN, 8BITMIME and SMTPUTF8', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const log: ProtocolLogEntry[] = [];
      const smtp = await connect(log);
      await smtp.login(USER, PASSWORD);
      const raw = 'From: alice@example.test\r\nTo: bob@example.test\r\nSubject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße\r\n';
      const r1 = await smtp.send(raw, { dsn: { ret: 'HDRS', envid: 'id+1=x', notify: ['SUCCESS', 'FAILURE'] } });
      assert.deepEqual(r1.warnings, []);
      const sent = log.filter((e) => e.direction === 'client').map((e) => e.text);
      assert.ok(sent.some((l) => /^MAIL FROM:<alice@example.test> SIZE=\d+ BODY=8BITMIME RET=HDRS ENVID=id\+2B1\+3Dx$/.test(l)), sent.join('\n'));
      assert.ok(sent.includes('RCPT TO:<bob@example.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.test'));
      const r2 = await smtp.send(mail('utf8 address', 'jürgen@example.test'));
      assert.deepEqual(r2.accepted, ['jürgen@example.test']);
      assert.ok(log.some((e) => /^MAIL FROM:<alice@example\.test> .*SMTPUTF8/.test(e.text)));
      await smtp.quit();
    });

    test('a wrong password fails with auth-failed and the SMTP code', async (t) => {
      const skip = target.skip();
      if (skip) return t.skip(skip);
      const smtp = await connect();
      await assert.rejects(smtp.login(USER, 'nope'), (err: unknown) => isCode('auth-failed', new RegExp(`refused the login of alice@example\\.test with ${target.mechanism}: 535`))(err) && (err as MailClientError).smtpCode === 535);
      smtp.close();
    });
  });
}

describe('SMTP client against Postfix', () => {
  const pf = (): PostfixPeer => postfix as PostfixPeer;
  const skip = (t: { skip: (m: string) => void }): boolean => {
    if (typeof postfix === 'string') {
      t.skip(postfix);
      return true;
    }
    return false;
  };

  test('a message over the SIZE limit is refused before MAIL FROM', async (t) => {
    if (skip(t)) return;
    const log: string[] = [];
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: pf().starttls, security: 'starttls', tls: { ca: ca.cert }, logger: (e) => log.push(e.text) });
    assert.equal(smtp.maxSize, 200000);
    const big = mail('too big').attach({ filename: 'big.bin', content: Buffer.alloc(300_000, 7) });
    await assert.rejects(smtp.send(big), isCode('message-too-large', /accepts at most 195\.3 KiB \(200000 bytes\) \(SIZE 200000\); nothing was sent/));
    assert.ok(!log.some((l) => l.startsWith('MAIL FROM')));
    // The session is still usable.
    const ok = await smtp.send(mail('small enough'));
    assert.equal(ok.accepted.length, 1);
    assert.ok(log.some((l) => /^MAIL FROM:<alice@example\.test> SIZE=\d+/.test(l)));
    await smtp.quit();
  });

  test('the plaintext listener: starttls fails (no downgrade), none logs in with SCRAM only', async (t) => {
    if (skip(t)) return;
    await assert.rejects(
      SmtpClient.connect({ host: '127.0.0.1', port: pf().plain, security: 'starttls' }),
      isCode('starttls-not-offered', /does not offer STARTTLS, and security 'starttls' requires it — no silent downgrade/),
    );
    await assert.rejects(SmtpClient.connect({ host: '127.0.0.1', port: pf().plain, security: 'auto' }), isCode('starttls-not-offered'));
    const log: string[] = [];
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: pf().plain, security: 'none', logger: (e) => log.push(e.text) });
    await assert.rejects(smtp.login(USER, PASSWORD, { mechanism: 'PLAIN' }), isCode('cleartext-refused', /would send the secret in clear/));
    await smtp.login(USER, PASSWORD); // SCRAM: the password never crosses the wire
    assert.ok(log.some((l) => l === 'AUTH SCRAM-SHA-256 ***'));
    await smtp.quit();
  });

  test("security 'tls' on the STARTTLS port and 'starttls' on the implicit port are named, not timed out", async (t) => {
    if (skip(t)) return;
    await assert.rejects(
      SmtpClient.connect({ host: '127.0.0.1', port: pf().starttls, security: 'tls', tls: { ca: ca.cert } }),
      isCode('expects-starttls', /answered in plaintext \("220 .*ESMTP Postfix"\) instead of a TLS handshake: it expects STARTTLS, not implicit TLS/),
    );
    await assert.rejects(
      SmtpClient.connect({ host: '127.0.0.1', port: pf().implicit, security: 'starttls', tls: { ca: ca.cert } }),
      isCode('expects-implicit-tls', /expects implicit TLS, not STARTTLS/),
    );
  });

  test('a pool sends 20 messages over at most 3 connections', async (t) => {
    if (skip(t)) return;
    const pool = new SmtpPool({ host: '127.0.0.1', port: pf().starttls, security: 'starttls', tls: { ca: ca.cert }, auth: { user: USER, password: PASSWORD }, maxConnections: 3 });
    let most = 0;
    const sends = Array.from({ length: 20 }, (_, i) => pool.send(mail(`pool ${i}`)).finally(() => { most = Math.max(most, pool.connections); }));
    const results = await Promise.all(sends);
    assert.equal(results.filter((r) => r.accepted.length === 1).length, 20);
    assert.ok(most <= 3 && most >= 1, `connections: ${most}`);
    await pool.close();
    assert.equal(pool.connections, 0);
  });
});

describe('SMTP client against postern submission', () => {
  for (const security of ['starttls', 'tls'] as const) {
    test(`${security}: a message sent with SCRAM-SHA-256-PLUS login is read back over IMAP`, async () => {
      const log: string[] = [];
      const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: server.port('submission', security), security, tls: { ca: serverCa }, logger: (e) => log.push(e.text) });
      await smtp.login('alice@example.test', PASSWORD);
      assert.ok(log.includes('AUTH SCRAM-SHA-256-PLUS ***'), log.join('\n'));
      const subject = `to bob via ${security}`;
      const sent = await smtp.send(new MailBuilder().from('alice@example.test').to('bob@example.test').subject(subject).text('Grüße, Bob.'));
      assert.deepEqual(sent.accepted, ['bob@example.test']);
      await smtp.quit();
      const imap = await ImapClient.connect({ host: '127.0.0.1', port: server.port('imap', 'tls'), security: 'tls', tls: { ca: serverCa } });
      await imap.login('bob@example.test', 'pw-bob');
      await imap.select('INBOX');
      let found: string[] = [];
      for (let i = 0; i < 50 && !found.includes(subject); i++) {
        found = (await imap.fetchAll('1:*', { envelope: true })).map((m) => m.envelope!.subject);
        if (!found.includes(subject)) await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(found.includes(subject), `bob's INBOX: ${found.join(', ')}`);
      const uids = await imap.search({ subject });
      const m = await imap.fetchOne(uids[0]!, { envelope: true, source: true });
      assert.equal(m?.envelope?.messageId, sent.messageId);
      await imap.logout();
    });
  }

  test('a sender that is not yours is refused with the code and in words', async () => {
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: server.port('submission', 'starttls'), tls: { ca: serverCa } });
    await smtp.login('alice@example.test', PASSWORD);
    await assert.rejects(
      smtp.send(new MailBuilder().from('mallory@example.test').to('bob@example.test').subject('forged').text('x')),
      (err: unknown) => isCode('command-failed', /refused the sender <mallory@example\.test>: 5\d\d/)(err) && (err as MailClientError).smtpCode! >= 500,
    );
    await smtp.quit();
  });

  test("security 'none': postern offers no AUTH before TLS, so login says there is nothing to use", async () => {
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: server.port('submission', 'starttls'), security: 'none' });
    assert.equal(smtp.secure, false);
    await assert.rejects(smtp.login(USER, PASSWORD), isCode('no-mechanism', /offers no login mechanism on this connection \(servers often offer them only after STARTTLS\)/));
    await smtp.quit();
  });

  test("security 'tls' on the STARTTLS submission port says so in words", async () => {
    await assert.rejects(
      SmtpClient.connect({ host: '127.0.0.1', port: server.port('submission', 'starttls'), security: 'tls', tls: { ca: serverCa } }),
      isCode('expects-starttls', /answered in plaintext \("220 .*it expects STARTTLS, not implicit TLS/),
    );
  });
});

describe('SMTP client against scripted servers', () => {
  async function fake(script: (s: FakeSession) => Promise<void>, tls = false): Promise<FakeServer> {
    const f = await startFakeServer({ cert: leaf, tls }, script);
    fakes.push(f);
    return f;
  }

  /** A plaintext ESMTP server; `rcpt` decides each recipient; messages land in `got`. */
  function esmtp(options: { ehlo?: string[]; rcpt?: (a: string) => string | Promise<string>; got?: string[]; onData?: (s: FakeSession) => Promise<boolean> }) {
    return async (s: FakeSession): Promise<void> => {
      s.write('220 fake ESMTP\r\n');
      await serveLines(s, async (l) => {
        if (/^EHLO /.test(l)) return ['250-fake', ...(options.ehlo ?? ['PIPELINING', '8BITMIME', 'SIZE 1000000']).map((k) => `250-${k}`), '250 OK'].join('\r\n').replace(/250-OK$/, '250 OK') + '\r\n';
        if (/^MAIL FROM:/.test(l)) return '250 2.1.0 ok\r\n';
        const r = /^RCPT TO:<([^>]*)>/.exec(l);
        if (r) return (await (options.rcpt ?? (() => '250 2.1.5 ok'))(r[1]!)) + '\r\n';
        if (l === 'DATA') {
          s.write('354 go\r\n');
          let body = '';
          for (;;) {
            const line = await s.readLine();
            if (line === '.') break;
            body += line + '\n';
          }
          options.got?.push(body);
          if (options.onData && !(await options.onData(s))) return null;
          return '250 2.0.0 Ok: queued as ABC123\r\n';
        }
        if (l === 'RSET' || l === 'NOOP') return '250 ok\r\n';
        if (l === 'QUIT') return '221 bye\r\n';
        return '502 unknown\r\n';
      });
    };
  }

  test('partly refused recipients: sent to the others, refusals listed; requireAllRecipients sends nothing', async () => {
    const got: string[] = [];
    const f = await fake(esmtp({ rcpt: (a) => (a.startsWith('nobody') ? '550 5.1.1 no such user' : '250 ok'), got }));
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: f.port, security: 'none' });
    const r = await smtp.send(mail('partial').to('nobody@example.test'));
    assert.deepEqual(r.accepted, ['bob@example.test']);
    assert.deepEqual(r.rejected, [{ address: 'nobody@example.test', code: 550, enhancedCode: '5.1.1', message: 'no such user' }]);
    assert.equal(got.length, 1);
    await assert.rejects(smtp.send(mail('strict').to('nobody@example.test'), { requireAllRecipients: true }), isCode('recipients-refused', /<nobody@example\.test>: 550 5\.1\.1 no such user; nothing was sent/));
    await assert.rejects(smtp.send(mail('none', 'nobody@example.test')), isCode('recipients-refused', /refused every recipient/));
    assert.equal(got.length, 1);
    assert.equal(f.sessions[0]!.lines.filter((l) => l === 'RSET').length, 2);
    await smtp.quit();
  });

  test('dot-stuffing and line ends: a body with leading dots and bare LFs arrives intact', async () => {
    const got: string[] = [];
    const f = await fake(esmtp({ got, ehlo: ['8BITMIME'] }));
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: f.port, security: 'none' });
    await smtp.send('From: a@example.test\nTo: b@example.test\n\n.one\n..two\n.\nlast', { envelope: { from: '', to: ['b@example.test'] } });
    assert.equal(got[0], 'From: a@example.test\nTo: b@example.test\n\n..one\n...two\n..\nlast\n');
    assert.ok(f.sessions[0]!.lines.includes('MAIL FROM:<>'), 'null reverse-path');
    await smtp.quit();
  });

  test('8-bit bodies to a server without 8BITMIME are converted to 7 bits; an 8-bit header is refused before anything is sent', async () => {
    const got: string[] = [];
    const f = await fake(esmtp({ ehlo: ['PIPELINING'], got }));
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: f.port, security: 'none' });
    const r = await smtp.send('From: a@example.test\r\nTo: b@example.test\r\nSubject: menu\r\n\r\nCafé crème\r\n');
    assert.match(r.warnings.join('\n'), /does not offer 8BITMIME: the 8-bit parts were sent as quoted-printable or base64/);
    assert.ok(/^[\x00-\x7f]*$/.test(got[0]!), got[0]);
    assert.match(got[0]!, /Content-Transfer-Encoding: quoted-printable\nMIME-Version: 1\.0\nContent-Type: text\/plain; charset=utf-8\n\nCaf=C3=A9 cr=C3=A8me\n$/);
    assert.ok(!f.sessions[0]!.lines.some((l) => / BODY=/.test(l)), 'no BODY=8BITMIME to a server without it');
    await assert.rejects(smtp.send('From: a@example.test\r\nTo: b@example.test\r\nSubject: Café\r\n\r\nx\r\n'), isCode('extension-unsupported', /cannot be converted to 7 bits \(a header holds 8-bit text/));
    assert.equal(f.sessions[0]!.lines.filter((l) => l.startsWith('MAIL')).length, 1, 'the refused message sent nothing');
    await smtp.quit();
  });

  test('a streamed message is sent with backpressure and the envelope given', async () => {
    const got: string[] = [];
    const f = await fake(esmtp({ got }));
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: f.port, security: 'none' });
    async function* chunks() {
      yield Buffer.from('Subject: streamed\r\n\r\n');
      for (let i = 0; i < 200; i++) yield Buffer.from(`line ${i}\r\n`);
    }
    const r = await smtp.send(chunks(), { envelope: { from: 'a@example.test', to: ['b@example.test'] } });
    assert.equal(r.queueId, 'ABC123');
    assert.equal(got[0]!.split('\n').length, 203);
    await smtp.quit();
  });

  test('loginOAuth2 over XOAUTH2 asks for a fresh token after a 334 error challenge', async () => {
    const f = await fake(async (s) => {
      s.write('220 fake ESMTP\r\n');
      await serveLines(s, async (l) => {
        if (/^EHLO /.test(l)) return '250-fake\r\n250 AUTH XOAUTH2\r\n';
        const m = /^AUTH XOAUTH2 (\S+)$/.exec(l);
        if (m) {
          if (Buffer.from(m[1]!, 'base64').toString().includes('Bearer good')) return '235 2.7.0 accepted\r\n';
          s.write(`334 ${Buffer.from('{"status":"401","schemes":"bearer"}').toString('base64')}\r\n`);
          await s.readLine();
          return '535 5.7.8 token expired\r\n';
        }
        if (l === 'QUIT') return '221 bye\r\n';
        return '502 no\r\n';
      });
    }, true);
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: f.port, security: 'tls', tls: { ca: ca.cert } });
    const asked: boolean[] = [];
    await smtp.loginOAuth2('alice@example.test', ({ expired }) => {
      asked.push(expired);
      return expired ? 'good' : 'old';
    });
    assert.deepEqual(asked, [false, true]);
    assert.equal(smtp.loggedIn, true);
    await smtp.quit();
  });

  test('an AbortSignal cancels a send waiting for the server, and a queued send before it goes out', async () => {
    const f = await fake(esmtp({ rcpt: () => new Promise<string>(() => undefined) }));
    const smtp = await SmtpClient.connect({ host: '127.0.0.1', port: f.port, security: 'none' });
    const ac = new AbortController();
    const first = smtp.send(mail('stuck'), { signal: ac.signal });
    const queued = smtp.send(mail('queued'), { signal: AbortSignal.timeout(50) });
    await assert.rejects(queued, isCode('aborted', /before it was sent/));
    ac.abort();
    await assert.rejects(first, isCode('aborted', /cancelled/));
    assert.equal(smtp.closed, true);
  });

  test('no answer after the data: timeout says the message may already be queued, and the pool does not resend it', async () => {
    let sessions = 0;
    const f = await fake(async (s) => {
      sessions++;
      await esmtp({ onData: async () => new Promise<boolean>(() => undefined) })(s);
    });
    const pool = new SmtpPool({ host: '127.0.0.1', port: f.port, security: 'none', timeoutMs: 300 });
    await assert.rejects(pool.send(mail('silent')), (err: unknown) => isCode('timeout', /may have queued it; resending may deliver it twice/)(err) && (err as MailClientError).deliveryUncertain === true);
    assert.equal(sessions, 1);
    await pool.close();
  });

  test('the pool resends on a fresh connection when the server dropped an idle session', async () => {
    const got: string[] = [];
    let n = 0;
    const f = await fake(async (s) => {
      n++;
      const first = n === 1;
      // The first session closes right after its first message, as an idle-timeout would.
      await esmtp({ got, onData: async (sess) => { if (first) { sess.write('250 2.0.0 Ok: queued as ONE\r\n'); sess.write('421 4.4.2 idle timeout\r\n'); sess.end(); return false; } return true; } })(s);
    });
    const pool = new SmtpPool({ host: '127.0.0.1', port: f.port, security: 'none', maxConnections: 1 });
    const a = await pool.send(mail('first'));
    assert.equal(a.queueId, 'ONE');
    await new Promise((r) => setTimeout(r, 50));
    const b = await pool.send(mail('second'));
    assert.equal(b.queueId, 'ABC123');
    assert.equal(got.length, 2);
    assert.equal(n, 2);
    await pool.close();
  });
});
