// Submission (RFC 6409) over real sockets: STARTTLS on 587 and implicit TLS on 465, AUTH only
// after TLS under SecureLogin, the STARTTLS injection case, every verb, sender checks,
// relaying refused, unknown recipients, SIZE and recipient limits.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { TestServer } from '../../helpers/server.js';
import { SmtpClient, mail } from './client.js';
import { ALICE, BOB, PW, inbox } from './helpers.js';

describe('submission on the STARTTLS port (587) under SecureLogin', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await TestServer.start({ config: { limits: { maxMessageSize: 20_000 }, submission: { maxRecipients: 3 } } });
    await server.addUser({ address: ALICE, password: PW });
    await server.addUser({ address: BOB, password: 'pw-bob' });
    await server.addUser({ address: 'sales@example.test', shared: true });
    await server.addUser({ address: 'ceo@example.test', password: 'pw-ceo' });
    await server.grant('sales@example.test', ALICE);
    port = server.port('submission', 'starttls');
  });
  after(() => server.stop());

  test('the greeting names the host and the banner; EHLO before TLS offers STARTTLS but no AUTH', async () => {
    const c = await SmtpClient.connect(port);
    const g = await c.reply();
    assert.equal(g.code, 220);
    assert.equal(g.text, 'localhost ESMTP The postern SMTP submission service is ready.');
    const kw = await c.ehlo();
    assert.ok(kw.has('STARTTLS'));
    assert.ok(!kw.has('AUTH'), 'no AUTH before TLS');
    for (const k of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'DSN', 'BINARYMIME']) assert.ok(kw.has(k), k);
    assert.equal(kw.get('SIZE'), 'SIZE 20000');
    await c.quit();
  });

  test('before TLS, AUTH is refused with 538 5.7.11 and MAIL with 530 5.7.0 (STARTTLS first)', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    const auth = await c.authPlain(ALICE, PW);
    assert.equal(auth.code, 538);
    assert.match(auth.text, /^5\.7\.11 /);
    const scram = await c.cmd('AUTH SCRAM-SHA-256');
    assert.equal(scram.code, 538, 'even challenge-response AUTH waits for TLS on submission');
    const m = await c.cmd(`MAIL FROM:<${ALICE}>`);
    assert.equal(m.code, 530);
    assert.match(m.text, /^5\.7\.0 Must issue a STARTTLS command first/);
    await c.quit();
  });

  test('after STARTTLS the client must EHLO again; then AUTH PLAIN LOGIN SCRAM are offered and not STARTTLS', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(c.line.tlsSocket!.getProtocol()!));
    const early = await c.cmd(`MAIL FROM:<${ALICE}>`);
    assert.equal(early.code, 503, 'state before TLS is forgotten (RFC 3207 §4.2)');
    const kw = await c.ehlo();
    assert.equal(kw.get('AUTH'), 'AUTH PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS');
    assert.ok(!kw.has('STARTTLS'));
    const again = await c.cmd('STARTTLS');
    assert.equal(again.code, 503);
    await c.quit();
  });

  test('STARTTLS injection: commands pipelined behind STARTTLS in the same packet are discarded, never answered', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    c.send(`STARTTLS\r\nMAIL FROM:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\n`);
    const r = await c.reply();
    assert.equal(r.code, 220);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(c.line.pending, '', 'nothing answered in plaintext');
    await c.line.startTls();
    // The first reply inside TLS belongs to our first TLS command, not to the injected MAIL.
    const n = await c.cmd('NOOP');
    assert.equal(n.code, 250);
    const m = await c.cmd('RCPT TO:<bob@example.test>');
    assert.equal(m.code, 503, 'the injected MAIL FROM did not start a transaction');
    await c.quit();
  });

  test('AUTH PLAIN with a wrong password gets 535 5.7.8; the right one 235 2.7.0', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    await c.ehlo();
    const bad = await c.authPlain(ALICE, 'wrong');
    assert.equal(bad.code, 535);
    assert.match(bad.text, /^5\.7\.8 /);
    const ok = await c.authPlain(ALICE, PW);
    assert.equal(ok.code, 235);
    assert.match(ok.text, /^2\.7\.0 /);
    const twice = await c.authPlain(ALICE, PW);
    assert.equal(twice.code, 503);
    await c.quit();
  });

  test('AUTH LOGIN asks for user and password with 334 challenges; "*" cancels with 501', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    await c.ehlo();
    let r = await c.cmd('AUTH LOGIN');
    assert.equal(r.code, 334);
    r = await c.cmd('*');
    assert.equal(r.code, 501);
    r = await c.cmd('AUTH LOGIN');
    assert.equal(r.code, 334);
    assert.equal(Buffer.from(r.text, 'base64').toString(), 'Username:');
    r = await c.cmd(Buffer.from(ALICE).toString('base64'));
    assert.equal(r.code, 334);
    r = await c.cmd(Buffer.from(PW).toString('base64'));
    assert.equal(r.code, 235);
    await c.quit();
  });

  test('AUTH with an unknown mechanism gets 504, and malformed base64 501', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    await c.ehlo();
    assert.equal((await c.cmd('AUTH CRAM-MD5')).code, 504);
    assert.equal((await c.cmd('AUTH PLAIN !!!notbase64')).code, 501);
    await c.quit();
  });

  test('a message to a local recipient is delivered with Return-Path and Received, and 250 names its id', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    const r = await c.sendMail(ALICE, [BOB], mail(ALICE, BOB, 'local delivery'));
    assert.equal(r.code, 250);
    const id = /^2\.0\.0 Ok: queued as ([0-9A-F]{16})$/.exec(r.text)?.[1];
    assert.ok(id, r.text);
    await c.quit();
    const msgs = await inbox(server, BOB);
    const got = msgs.map((m) => m.toString()).find((m) => m.includes('Subject: local delivery'));
    assert.ok(got);
    assert.ok(got.startsWith(`Return-Path: <${ALICE}>\r\nReceived: from client.example.test ([127.0.0.1])\r\n\tby localhost (postern) with ESMTPSA id ${id}\r\n\t(using TLSv1.`), got.slice(0, 300));
    assert.match(got, /\r\n\tfor <bob@example\.test>;\r\n\t\w{3}, \d\d \w{3} \d{4} /);
  });

  test('several local recipients share one delivery; each gets the message once', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    const r = await c.sendMail(ALICE, [BOB, 'ceo@example.test', 'BOB@EXAMPLE.TEST'], mail(ALICE, BOB, 'fan out'));
    assert.equal(r.code, 250);
    await c.quit();
    assert.equal((await inbox(server, BOB)).filter((m) => m.includes('Subject: fan out')).length, 1);
    assert.equal((await inbox(server, 'ceo@example.test')).filter((m) => m.includes('Subject: fan out')).length, 1);
  });

  test('sender spoofing is refused: MAIL FROM another user gets 553 5.7.1; a FullAccess mailbox is allowed', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    const spoof = await c.cmd('MAIL FROM:<ceo@example.test>');
    assert.equal(spoof.code, 553);
    assert.match(spoof.text, /^5\.7\.1 <ceo@example\.test>: Sender address rejected/);
    assert.equal((await c.cmd('MAIL FROM:<>')).code, 553, 'no null sender from users');
    assert.equal((await c.cmd('MAIL FROM:<someone@elsewhere.example>')).code, 553);
    const shared = await c.sendMail('sales@example.test', [BOB], mail('sales@example.test', BOB, 'from sales'));
    assert.equal(shared.code, 250, shared.text);
    await c.quit();
  });

  test('a forged From: header is refused at the end of DATA with 550 5.7.1', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    const r = await c.sendMail(ALICE, [BOB], mail('"The CEO" <ceo@example.test>', BOB, 'forged header'));
    assert.equal(r.code, 550);
    assert.match(r.text, /^5\.7\.1 From: ceo@example\.test is not an address you may send as/);
    await c.quit();
    assert.equal((await inbox(server, BOB)).filter((m) => m.includes('forged header')).length, 0);
  });

  test('without a smarthost, relaying is refused at RCPT with 554 5.7.1; unknown local users with 550 5.1.1', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    const relay = await c.cmd('RCPT TO:<someone@elsewhere.example>');
    assert.equal(relay.code, 554);
    assert.match(relay.text, /^5\.7\.1 .*Relay access denied/);
    const unknown = await c.cmd('RCPT TO:<nobody@example.test>');
    assert.equal(unknown.code, 550);
    assert.match(unknown.text, /^5\.1\.1 /);
    assert.equal((await c.cmd('DATA')).code, 554, 'no valid recipients');
    await c.quit();
  });

  test('too many recipients: the one past maxRecipients gets 452 4.5.3, the message still goes to the first ones', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    for (const to of [BOB, 'ceo@example.test', ALICE]) assert.equal((await c.cmd(`RCPT TO:<${to}>`)).code, 250);
    const fourth = await c.cmd('RCPT TO:<sales@example.test>');
    assert.equal(fourth.code, 452);
    assert.match(fourth.text, /^4\.5\.3 /);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.send(`${mail(ALICE, BOB, 'three only')}.\r\n`);
    assert.equal((await c.reply()).code, 250);
    await c.quit();
  });

  test('SIZE: a declared size over the limit gets 552 5.3.4 at MAIL; an actual one at the end of DATA', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    const declared = await c.cmd(`MAIL FROM:<${ALICE}> SIZE=20001`);
    assert.equal(declared.code, 552);
    assert.match(declared.text, /^5\.3\.4 /);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}> SIZE=100`)).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.send(mail(ALICE, BOB, 'too big') + ('y'.repeat(998) + '\r\n').repeat(25) + '.\r\n');
    const r = await c.reply();
    assert.equal(r.code, 552);
    assert.match(r.text, /^5\.3\.4 /);
    // The session is still in step: a new transaction works.
    assert.equal((await c.sendMail(ALICE, [BOB], mail(ALICE, BOB, 'small after big'))).code, 250);
    await c.quit();
  });

  test('commands out of order get 503 5.5.1; unknown commands 500 5.5.2; VRFY 252, EXPN 502, HELP 214, NOOP and RSET 250', async () => {
    const c = await SmtpClient.open(port);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 503, 'MAIL before EHLO');
    await c.ehlo();
    await c.startTls();
    await c.ehlo();
    await c.authPlain(ALICE, PW);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 503);
    assert.equal((await c.cmd('DATA')).code, 503);
    assert.equal((await c.cmd('BDAT 0 LAST')).code, 503);
    const unknown = await c.cmd('FROB');
    assert.equal(unknown.code, 500);
    assert.match(unknown.text, /^5\.5\.2 /);
    assert.equal((await c.cmd(`VRFY ${BOB}`)).code, 252);
    assert.equal((await c.cmd('EXPN staff')).code, 502);
    const help = await c.cmd('HELP');
    assert.equal(help.code, 214);
    assert.match(help.text, /EHLO HELO STARTTLS AUTH MAIL RCPT DATA BDAT RSET NOOP QUIT/);
    assert.equal((await c.cmd('NOOP anything')).code, 250);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 503, 'nested MAIL');
    assert.equal((await c.cmd('RSET')).code, 250);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250, 'RSET ended the transaction');
    const q = await c.cmd('QUIT');
    assert.equal(q.code, 221);
    await c.line.closedByServer();
  });

  test('syntax errors: a missing "<>", a bad address and an unknown parameter get 501 and 555', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    assert.equal((await c.cmd(`MAIL FROM:${ALICE}`)).code, 501);
    assert.equal((await c.cmd('MAIL FROM:<a b@example.test>')).code, 501);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}> FROB=1`)).code, 555);
    assert.equal((await c.cmd(`MAIL FROM: <${ALICE}> BODY=8BITMIME`)).code, 250, 'the space after FROM: is tolerated');
    assert.equal((await c.cmd(`RCPT TO:<${BOB}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+40example.test`)).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}> NOTIFY=NEVER,SUCCESS`)).code, 501);
    await c.quit();
  });

  test('bare LF or bare CR in a command line is refused with 500 5.5.2 and the command is not run', async () => {
    const c = await SmtpClient.open(port);
    c.send('EHLO bare.example\n');
    let r = await c.reply();
    assert.equal(r.code, 500);
    assert.match(r.text, /^5\.5\.2 Bare CR or LF/);
    c.send('NOOP\rEHLO x\r\n');
    r = await c.reply();
    assert.equal(r.code, 500);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 503, 'no EHLO was taken from those lines');
    await c.quit();
  });

  test('HELO gives a session without extensions: MAIL parameters are refused', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    const r = await c.cmd('HELO old.example');
    assert.equal(r.code, 250);
    assert.equal(r.lines.length, 1);
    assert.equal((await c.authPlain(ALICE, PW)).code, 235);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}> BODY=8BITMIME`)).code, 555);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    await c.quit();
  });

  test('SMTPUTF8: a UTF-8 recipient needs the SMTPUTF8 parameter (553 5.6.7 without)', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    assert.equal((await c.cmd('RCPT TO:<jösé@example.test>')).code, 553);
    assert.equal((await c.cmd('RSET')).code, 250);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}> SMTPUTF8`)).code, 250);
    assert.equal((await c.cmd('RCPT TO:<jösé@example.test>')).code, 550, 'syntax accepted; no such user');
    await c.quit();
  });

  test('a user with SmtpEnabled false cannot log in (535) and a disabled one neither', async () => {
    await server.addUser({ address: 'nosmtp@example.test', password: 'pw-n' });
    await server.setUser('nosmtp@example.test', { smtpEnabled: false });
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    await c.ehlo();
    const r = await c.authPlain('nosmtp@example.test', 'pw-n');
    assert.equal(r.code, 535);
    assert.match(r.text, /SMTP access is disabled/);
    await c.quit();
  });

  test('PIPELINING: MAIL, RCPT, RCPT and DATA in one packet get their replies in order', async () => {
    const c = await SmtpClient.open(port);
    await c.login(ALICE, PW);
    c.send(`MAIL FROM:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\nRCPT TO:<nobody@example.test>\r\nDATA\r\n`);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 550);
    assert.equal((await c.reply()).code, 354);
    c.send(`${mail(ALICE, BOB, 'pipelined')}.\r\nNOOP\r\n`);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    await c.quit();
  });

  test('a client that offers a foreign ALPN protocol is refused the handshake (ALPACA)', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    assert.equal((await c.cmd('STARTTLS')).code, 220);
    await assert.rejects(c.line.startTls({ alpn: ['imap'] }));
    c.close();
  });
});

describe('submission on the implicit TLS port (465)', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: ALICE, password: PW });
    await server.addUser({ address: BOB, password: 'pw-bob' });
  });
  after(() => server.stop());

  test('TLS from the first byte: EHLO offers AUTH at once and no STARTTLS; mail is delivered', async () => {
    const c = await SmtpClient.open(server.port('submission', 'tls'), { tls: true, alpn: ['smtp'] });
    assert.equal((c.line.socket as tls.TLSSocket).alpnProtocol, 'smtp');
    const kw = await c.ehlo();
    assert.ok(!kw.has('STARTTLS'));
    assert.match(kw.get('AUTH')!, /^AUTH PLAIN LOGIN SCRAM-SHA-256/);
    assert.equal((await c.cmd('STARTTLS')).code, 503);
    assert.equal((await c.authPlain(ALICE, PW)).code, 235);
    assert.equal((await c.sendMail(ALICE, [BOB], mail(ALICE, BOB, 'over 465'))).code, 250);
    await c.quit();
    assert.equal((await inbox(server, BOB)).filter((m) => m.includes('over 465')).length, 1);
  });
});

describe('submission under PlainTextLogin', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ config: { submission: { loginType: 'PlainTextLogin', sendAs: 'own' } } });
    await server.addUser({ address: ALICE, password: PW });
    await server.addUser({ address: 'sales@example.test', shared: true });
    await server.grant('sales@example.test', ALICE);
  });
  after(() => server.stop());

  test('AUTH is offered before TLS; MAIL before AUTH gets 530 5.7.0 Authentication required', async () => {
    const c = await SmtpClient.open(server.port('submission', 'starttls'));
    const kw = await c.ehlo();
    assert.match(kw.get('AUTH')!, /^AUTH PLAIN LOGIN SCRAM-SHA-256$/);
    const m = await c.cmd(`MAIL FROM:<${ALICE}>`);
    assert.equal(m.code, 530);
    assert.match(m.text, /^5\.7\.0 Authentication required/);
    assert.equal((await c.authPlain(ALICE, PW)).code, 235);
    assert.equal((await c.cmd(`MAIL FROM:<${ALICE}>`)).code, 250);
    await c.quit();
  });

  test('sendAs "own": even a FullAccess mailbox may not be the sender', async () => {
    const c = await SmtpClient.open(server.port('submission', 'starttls'));
    await c.ehlo();
    await c.authPlain(ALICE, PW);
    assert.equal((await c.cmd('MAIL FROM:<sales@example.test>')).code, 553);
    await c.quit();
  });
});

describe('submission sessions per user and address', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ config: { submission: { maxConnectionsPerUserIp: 2 } } });
    await server.addUser({ address: ALICE, password: PW });
  });
  after(() => server.stop());

  test('a third simultaneous login from one address gets 454 4.7.0; a slot frees when a session ends', async () => {
    const open = async () => {
      const c = await SmtpClient.open(server.port('submission', 'tls'), { tls: true });
      await c.ehlo();
      return c;
    };
    const a = await open();
    const b = await open();
    const c = await open();
    assert.equal((await a.authPlain(ALICE, PW)).code, 235);
    assert.equal((await b.authPlain(ALICE, PW)).code, 235);
    const third = await c.authPlain(ALICE, PW);
    assert.equal(third.code, 454);
    assert.match(third.text, /^4\.7\.0 Too many connections/);
    await a.quit();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((await c.authPlain(ALICE, PW)).code, 235);
    await b.quit();
    await c.quit();
  });
});
