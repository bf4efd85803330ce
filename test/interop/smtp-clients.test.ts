// Real SMTP clients against postern: Python's smtplib (587 + starttls, 465 SMTP_SSL, LMTP),
// swaks and msmtp from Debian, curl (smtp with required STARTTLS, smtps), nodemailer; the
// delivered mail is read back over POP3 by Python's poplib.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { TestServer } from '../helpers/server.js';
import { spawnSync } from 'node:child_process';
import { run, which } from '../helpers/run.js';
import { inbox } from '../server/smtp/helpers.js';

/** swaks needs Perl's Net::SSLeay and IO::Socket::SSL for TLS. */
const SWAKS = !which('swaks') ? 'swaks is not installed (apt-get install swaks)'
  : spawnSync('perl', ['-MNet::SSLeay', '-MIO::Socket::SSL', '-e1']).status !== 0 ? 'swaks cannot do TLS here (apt-get install libnet-ssleay-perl libio-socket-ssl-perl)'
  : false;

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
const PW = 'pw alice+/&%';

const SMTPLIB = `
import smtplib, ssl, sys
mode, port, user, pw, sender, rcpt, subject = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
msg = f"From: {sender}\\r\\nTo: {rcpt}\\r\\nSubject: {subject}\\r\\n\\r\\nHello from smtplib.\\r\\n.dotted line\\r\\n"
if mode == 'starttls':
    c = smtplib.SMTP('127.0.0.1', port, timeout=10); c.ehlo(); before = c.has_extn('auth'); c.starttls(context=ctx); c.ehlo()
    assert not before, 'AUTH offered before TLS'
    c.login(user, pw)
elif mode == 'ssl':
    c = smtplib.SMTP_SSL('127.0.0.1', port, context=ctx, timeout=10); c.ehlo(); c.login(user, pw)
else:
    c = smtplib.LMTP('127.0.0.1', port, timeout=10); c.ehlo('py.example')
refused = c.sendmail(sender, [rcpt, 'nobody@example.test'] if mode == 'lmtp' else [rcpt], msg)
print(sorted(refused.keys()))
c.quit()
`;

const POPLIB = `
import poplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = poplib.POP3_SSL('127.0.0.1', int(sys.argv[1]), context=ctx, timeout=10); c.user(sys.argv[2]); c.pass_(sys.argv[3])
n = c.stat()[0]
for i in range(1, n + 1):
    for line in c.retr(i)[1]:
        if line.startswith(b'Subject: '): print(line.decode()[9:])
c.quit()
`;

describe('SMTP interop with real clients', () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: ALICE, password: PW });
    await server.addUser({ address: BOB, password: 'pw-bob' });
    dir = mkdtempSync(join(tmpdir(), 'postern-smtp-interop-'));
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const delivered = async (subject: string) => (await inbox(server, BOB)).filter((m) => m.includes(`Subject: ${subject}`)).length;

  test('Python smtplib on 587: no AUTH before STARTTLS, then login and sendmail', async () => {
    const r = await run('python3', ['-c', SMTPLIB, 'starttls', String(server.port('submission', 'starttls')), ALICE, PW, ALICE, BOB, 'smtplib 587']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), '[]');
    assert.equal(await delivered('smtplib 587'), 1);
    const m = (await inbox(server, BOB)).find((x) => x.includes('smtplib 587'))!.toString();
    assert.ok(m.includes('\r\n.dotted line\r\n'), 'dot-stuffing undone');
  });

  test('Python smtplib SMTP_SSL on 465', async () => {
    const r = await run('python3', ['-c', SMTPLIB, 'ssl', String(server.port('submission', 'tls')), ALICE, PW, ALICE, BOB, 'smtplib 465']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await delivered('smtplib 465'), 1);
  });

  test('Python smtplib LMTP: per-recipient results, the unknown one refused', async () => {
    const r = await run('python3', ['-c', SMTPLIB, 'lmtp', String(server.port('lmtp', 'plain')), '', '', 'carol@remote.example', BOB, 'smtplib lmtp']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "['nobody@example.test']");
    assert.equal(await delivered('smtplib lmtp'), 1);
  });

  test('Python smtplib: a spoofed sender is refused (SMTPSenderRefused)', async () => {
    const r = await run('python3', ['-c', SMTPLIB, 'ssl', String(server.port('submission', 'tls')), ALICE, PW, BOB, BOB, 'spoof']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SMTPSenderRefused: \(553, b'5\.7\.1 <bob@example\.test>: Sender address rejected/);
  });

  test('swaks with STARTTLS and AUTH PLAIN on 587, and with --tls-on-connect on 465', { skip: SWAKS }, async () => {
    for (const [flag, port, subject] of [['--tls', server.port('submission', 'starttls'), 'swaks 587'], ['--tls-on-connect', server.port('submission', 'tls'), 'swaks 465']] as const) {
      const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(port), flag, '--auth', 'PLAIN', '--auth-user', ALICE, '--auth-password', PW,
        '--from', ALICE, '--to', BOB, '--header', `Subject: ${subject}`, '--body', 'Hello from swaks.', '--silent', '2']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.equal(await delivered(subject), 1, subject);
    }
  });

  test('swaks speaking LMTP', { skip: SWAKS }, async () => {
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(server.port('lmtp', 'plain')), '--protocol', 'LMTP',
      '--from', 'carol@remote.example', '--to', BOB, '--header', 'Subject: swaks lmtp', '--silent', '2']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(await delivered('swaks lmtp'), 1);
  });

  test('swaks: AUTH before STARTTLS is refused under SecureLogin', { skip: SWAKS }, async () => {
    const r = await run('swaks', ['--server', '127.0.0.1', '--port', String(server.port('submission', 'starttls')), '--auth', 'PLAIN',
      '--auth-user', ALICE, '--auth-password', PW, '--from', ALICE, '--to', BOB, '--silent', '2']);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /Host did not advertise authentication/);
  });

  test('msmtp with STARTTLS on 587 and with implicit TLS on 465', { skip: which('msmtp') ? false : 'msmtp is not installed (apt-get install msmtp)' }, async () => {
    for (const [starttls, port, subject] of [['on', server.port('submission', 'starttls'), 'msmtp 587'], ['off', server.port('submission', 'tls'), 'msmtp 465']] as const) {
      const r = await run('msmtp', ['--host=127.0.0.1', `--port=${port}`, '--tls=on', `--tls-starttls=${starttls}`, '--tls-certcheck=off',
        '--auth=plain', `--user=${ALICE}`, `--passwordeval=printf '%s' '${PW}'`, `--from=${ALICE}`, BOB],
      { input: `From: ${ALICE}\nTo: ${BOB}\nSubject: ${subject}\n\nHello from msmtp.\n` });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await delivered(subject), 1, subject);
    }
  });

  test('curl smtp:// with --ssl-reqd (STARTTLS) and smtps://', { skip: which('curl') ? false : 'curl is not installed' }, async () => {
    const file = join(dir, 'curl.eml');
    for (const [url, subject] of [[`smtp://127.0.0.1:${server.port('submission', 'starttls')}`, 'curl smtp'], [`smtps://127.0.0.1:${server.port('submission', 'tls')}`, 'curl smtps']] as const) {
      // LF line ends, as most files have: curl sends them as they are.
      writeFileSync(file, `From: ${ALICE}\nTo: ${BOB}\nSubject: ${subject}\n\nHello from curl.\n.\n`);
      const r = await run('curl', ['-sS', '--url', url, '--ssl-reqd', '--insecure', '--mail-from', ALICE, '--mail-rcpt', BOB,
        '--user', `${ALICE}:${PW}`, '--upload-file', file]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await delivered(subject), 1, subject);
    }
    const m = (await inbox(server, BOB)).find((x) => x.includes('curl smtps'))!.toString();
    // curl stuffs dots only after CRLF, so its "." line arrives after a bare LF: content, kept.
    // The file does not end in CRLF, so curl adds one before its <CRLF>.<CRLF>.
    assert.ok(m.endsWith('\r\nHello from curl.\r\n.\r\n\r\n'), `bare LF lines stored as CRLF, the "." line kept: ${JSON.stringify(m.slice(-60))}`);
  });

  test('nodemailer over 465 with AUTH, and a pooled connection over 587 sending three messages', async () => {
    const direct = nodemailer.createTransport({ host: '127.0.0.1', port: server.port('submission', 'tls'), secure: true, auth: { user: ALICE, pass: PW }, tls: { rejectUnauthorized: false } });
    const info = await direct.sendMail({ from: ALICE, to: BOB, subject: 'nodemailer 465', text: 'Hello from nodemailer.' });
    assert.match(info.response, /^250 2\.0\.0 Ok: queued as [0-9A-F]{16}$/);
    const pooled = nodemailer.createTransport({ pool: true, maxConnections: 1, host: '127.0.0.1', port: server.port('submission', 'starttls'), secure: false, requireTLS: true, auth: { user: ALICE, pass: PW }, tls: { rejectUnauthorized: false } });
    for (let i = 0; i < 3; i++) await pooled.sendMail({ from: ALICE, to: BOB, subject: `nodemailer pool ${i}`, text: 'x', attachments: [{ filename: 'a.bin', content: Buffer.alloc(3000, 7) }] });
    pooled.close();
    assert.equal(await delivered('nodemailer 465'), 1);
    for (let i = 0; i < 3; i++) assert.equal(await delivered(`nodemailer pool ${i}`), 1);
  });

  test('what was delivered is read back over IMAP (imapflow, implicit TLS)', async () => {
    const client = new ImapFlow({ host: '127.0.0.1', port: server.port('imap', 'tls'), secure: true, auth: { user: BOB, pass: 'pw-bob' }, tls: { rejectUnauthorized: false }, logger: false });
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      const subjects: string[] = [];
      for await (const m of client.fetch('1:*', { envelope: true })) subjects.push(m.envelope?.subject ?? '');
      for (const s of ['smtplib 587', 'swaks 465', 'msmtp 587', 'curl smtps', 'nodemailer pool 2']) assert.ok(subjects.includes(s), `${s} in ${subjects.join(', ')}`);
    } finally {
      await client.logout();
    }
  });

  test('what was delivered is read back over POP3 (Python poplib, POP3_SSL)', async () => {
    const r = await run('python3', ['-c', POPLIB, String(server.port('pop3', 'tls')), BOB, 'pw-bob']);
    assert.equal(r.code, 0, r.stderr);
    const subjects = r.stdout.trim().split('\n');
    for (const s of ['smtplib 587', 'smtplib 465', 'smtplib lmtp', 'nodemailer 465']) assert.ok(subjects.includes(s), `${s} in ${subjects.join(', ')}`);
  });
});
