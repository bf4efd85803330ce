// POP3 transport security and LoginType over real sockets: STLS (RFC 2595), implicit TLS,
// the STARTTLS command-injection case, strict ALPN, TLS ≥ 1.2, and the three LoginTypes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { LineClient } from '../../helpers/line-client.js';

async function capa(c: LineClient): Promise<string[]> {
  assert.match(await c.command('CAPA'), /^\+OK/);
  return c.readDotBody();
}

describe('POP3 under SecureLogin (the default)', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice' });
    await server.deliver('alice@example.test', message('hello'));
  });
  after(() => server.stop());

  test('before TLS, CAPA offers STLS and SCRAM only: no USER, no PLAIN or LOGIN', async () => {
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    assert.equal(await c.readLine(), '+OK The postern POP3 service is ready.');
    const caps = await capa(c);
    assert.ok(caps.includes('STLS'));
    assert.ok(!caps.includes('USER'));
    assert.deepEqual(caps.find((l) => l.startsWith('SASL')), 'SASL SCRAM-SHA-256');
    for (const cap of ['TOP', 'UIDL', 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'IMPLEMENTATION postern']) assert.ok(caps.includes(cap), cap);
    c.close();
  });

  test('before TLS, USER and AUTH PLAIN are refused with [AUTH] and no password is asked for', async () => {
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    assert.match(await c.command('USER alice@example.test'), /^-ERR \[AUTH\] Plaintext authentication is disallowed/);
    assert.match(await c.command('PASS pw-alice'), /^-ERR \[AUTH\]/);
    assert.match(await c.command('AUTH PLAIN AGFsaWNlQGV4YW1wbGUudGVzdABwdy1hbGljZQ=='), /^-ERR \[AUTH\] Plaintext/);
    assert.match(await c.command('AUTH LOGIN'), /^-ERR \[AUTH\]/);
    c.close();
  });

  test('after STLS, CAPA offers USER and SASL PLAIN LOGIN SCRAM, and no STLS; login works', async () => {
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    assert.equal(await c.command('STLS'), '+OK Begin TLS negotiation now.');
    await c.startTls();
    assert.ok(['TLSv1.2', 'TLSv1.3'].includes(c.tlsSocket!.getProtocol()!));
    const caps = await capa(c);
    assert.ok(caps.includes('USER') && !caps.includes('STLS'));
    assert.match(caps.find((l) => l.startsWith('SASL'))!, /^SASL PLAIN LOGIN SCRAM-SHA-256 SCRAM-SHA-256-PLUS$/);
    assert.match(await c.command('STLS'), /^-ERR/);
    assert.match(await c.command('USER alice@example.test'), /^\+OK/);
    assert.match(await c.command('PASS pw-alice'), /^\+OK Logged in/);
    c.line('QUIT'); await c.readLine();
  });

  test('implicit TLS: no STLS offered, USER allowed at once', async () => {
    const c = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
    assert.equal(await c.readLine(), '+OK The postern POP3 service is ready.');
    const caps = await capa(c);
    assert.ok(caps.includes('USER') && !caps.includes('STLS'));
    assert.match(await c.command('STLS'), /^-ERR/);
    c.close();
  });

  test('STARTTLS injection: a command pipelined behind STLS in the same packet is discarded, never answered', async () => {
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    c.send('STLS\r\nCAPA\r\n');
    assert.equal(await c.readLine(), '+OK Begin TLS negotiation now.');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.pending, '', 'nothing answered in plaintext');
    await c.startTls();
    // The first reply inside TLS must belong to our first TLS command, not to the injected CAPA.
    assert.equal(await c.command('NOOP'), '-ERR Log in first: NOOP needs an authenticated session.');
    c.close();
  });

  test('STARTTLS injection: injected USER/PASS do not log the client in', async () => {
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    c.send('STLS\r\nUSER alice@example.test\r\nPASS pw-alice\r\n');
    assert.equal(await c.readLine(), '+OK Begin TLS negotiation now.');
    await c.startTls();
    assert.equal(await c.command('STAT'), '-ERR Log in first: STAT needs an authenticated session.');
    c.close();
  });

  test('strict ALPN: a client offering only another protocol is refused; offering pop3 is served', async () => {
    await assert.rejects(LineClient.connect(server.port('pop3', 'tls'), { tls: true, alpn: ['imap'] }), /no_application_protocol|NO_APPLICATION_PROTOCOL|alert/i);
    const ok = await LineClient.connect(server.port('pop3', 'tls'), { tls: true, alpn: ['pop3', 'imap'] });
    assert.equal(ok.tlsSocket!.alpnProtocol, 'pop3');
    assert.match((await ok.readLine())!, /^\+OK/);
    ok.close();
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    await c.command('STLS');
    await assert.rejects(c.startTls({ alpn: ['smtp'] }));
  });

  test('TLS 1.1 and older are refused by default', async () => {
    await assert.rejects(LineClient.connect(server.port('pop3', 'tls'), { tls: true, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));
  });

  test('the self-signed certificate was made in <data>/tls and is served', async () => {
    const c = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
    const cert = c.tlsSocket!.getPeerCertificate();
    assert.match(cert.subjectaltname ?? '', /DNS:localhost/);
    assert.match(cert.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
    c.close();
  });
});

describe('POP3 under PlainTextAuthentication and PlainTextLogin', () => {
  let server: TestServer;
  before(async () => {
    server = await TestServer.start({ config: { pop3: { loginType: 'PlainTextAuthentication' } } });
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice' });
  });
  after(() => server.stop());

  test('PlainTextAuthentication: USER refused even over TLS, AUTH PLAIN allowed without TLS', async () => {
    const t = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
    await t.readLine();
    assert.ok(!(await capa(t)).includes('USER'));
    assert.match(await t.command('USER alice@example.test'), /^-ERR \[AUTH\] USER\/PASS is disabled here; use AUTH/);
    t.close();
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    assert.match((await capa(c)).find((l) => l.startsWith('SASL'))!, /PLAIN LOGIN SCRAM-SHA-256/);
    const plain = Buffer.from('\0alice@example.test\0pw-alice').toString('base64');
    assert.match(await c.command(`AUTH PLAIN ${plain}`), /^\+OK Logged in/);
    c.line('QUIT'); await c.readLine();
  });

  test('PlainTextLogin (set live with the config file): USER/PASS allowed without TLS', async () => {
    server.rewriteConfig({ pop3: { loginType: 'PlainTextLogin' } });
    await new Promise((r) => setTimeout(r, 1500));
    const c = await LineClient.connect(server.port('pop3', 'starttls'));
    await c.readLine();
    assert.ok((await capa(c)).includes('USER'));
    assert.match(await c.command('USER alice@example.test'), /^\+OK/);
    assert.match(await c.command('PASS pw-alice'), /^\+OK Logged in/);
    c.line('QUIT'); await c.readLine();
  });
});
