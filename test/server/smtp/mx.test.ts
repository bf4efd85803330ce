// Inbound SMTP on port 25 (the optional `smtp` section): off unless configured; mail for our
// domains without AUTH, relaying refused, unknown recipients refused at RCPT, STARTTLS offered,
// size limit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer } from '../../helpers/server.js';
import { SmtpClient, mail } from './client.js';
import { BOB, inbox } from './helpers.js';

describe('inbound MX', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await TestServer.start({
      config: { smtp: { bindings: ['127.0.0.1:0'], maxRecipients: 2 }, acceptedDomains: ['Lists.Example.Test'], limits: { maxMessageSize: 5000 } },
    });
    await server.addUser({ address: BOB, password: 'pw-bob' });
    port = server.port('smtp', 'starttls');
  });
  after(() => server.stop());

  test('without an smtp section there is no port-25 listener', async () => {
    const plain = await TestServer.start();
    try {
      const listeners = JSON.parse(readFileSync(join(plain.dataDir, 'listeners.json'), 'utf8')) as Array<{ protocol: string }>;
      assert.ok(!listeners.some((l) => l.protocol === 'smtp'));
      assert.ok(listeners.some((l) => l.protocol === 'submission'));
    } finally {
      await plain.stop();
    }
  });

  test('EHLO offers STARTTLS, SIZE and no AUTH; mail for a local user is delivered without login', async () => {
    const c = await SmtpClient.open(port);
    const kw = await c.ehlo('mx.remote.example');
    assert.ok(kw.has('STARTTLS'));
    assert.ok(!kw.has('AUTH'));
    assert.ok(!kw.has('DSN'), 'no DSN: the MX delivers locally and has nothing to report');
    assert.equal(kw.get('SIZE'), 'SIZE 5000');
    assert.equal((await c.cmd('AUTH PLAIN AGJvYkBleGFtcGxlLnRlc3QAcHctYm9i')).code, 502);
    const r = await c.sendMail('carol@remote.example', [BOB], mail('carol@remote.example', BOB, 'inbound plain'));
    assert.equal(r.code, 250);
    await c.quit();
    const m = (await inbox(server, BOB)).find((x) => x.includes('inbound plain'))!.toString();
    assert.match(m, /^Return-Path: <carol@remote\.example>\r\nReceived: from mx\.remote\.example \(\[127\.0\.0\.1\]\)\r\n\tby localhost \(postern\) with ESMTP id /);
  });

  test('after STARTTLS the Received field says ESMTPS and names the TLS version', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.startTls();
    await c.ehlo();
    assert.equal((await c.sendMail('carol@remote.example', [BOB], mail('carol@remote.example', BOB, 'inbound tls'))).code, 250);
    await c.quit();
    const m = (await inbox(server, BOB)).find((x) => x.includes('inbound tls'))!.toString();
    assert.match(m, /with ESMTPS id [0-9A-F]{16}\r\n\t\(using TLSv1\.[23] with cipher /);
  });

  test('relaying is refused (554 5.7.1), unknown users in our domains get 550 5.1.1', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    assert.equal((await c.cmd('MAIL FROM:<carol@remote.example>')).code, 250);
    const relay = await c.cmd('RCPT TO:<victim@elsewhere.example>');
    assert.equal(relay.code, 554);
    assert.match(relay.text, /^5\.7\.1 <victim@elsewhere\.example>: Relay access denied/);
    assert.equal((await c.cmd('RCPT TO:<nobody@example.test>')).code, 550);
    assert.equal((await c.cmd('RCPT TO:<list@lists.example.test>')).code, 550, 'acceptedDomains are local: unknown, not relayed');
    assert.equal((await c.cmd('RCPT TO:<nobody@localhost>')).code, 550, 'our host name is local');
    await c.quit();
  });

  test('the recipient limit and the size limit hold without AUTH too', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.cmd('MAIL FROM:<carol@remote.example>');
    await c.cmd(`RCPT TO:<${BOB}>`);
    await c.cmd(`RCPT TO:<${BOB}>`);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 452);
    await c.cmd('RSET');
    assert.equal((await c.cmd('MAIL FROM:<carol@remote.example> SIZE=9999')).code, 552);
    await c.quit();
  });

  test('DSN parameters are not accepted where DSN is not offered (555)', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    assert.equal((await c.cmd('MAIL FROM:<carol@remote.example> RET=HDRS')).code, 555);
    assert.equal((await c.cmd('MAIL FROM:<carol@remote.example>')).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${BOB}> NOTIFY=NEVER`)).code, 555);
    await c.quit();
  });

  test('the protocol log, when on, records commands and hides AUTH payloads', async () => {
    const s = await TestServer.start({ config: { submission: { protocolLog: true, loginType: 'PlainTextLogin' } } });
    try {
      await s.addUser({ address: 'dave@example.test', password: 'secret-pw' });
      const c = await SmtpClient.open(s.port('submission', 'starttls'));
      await c.ehlo();
      assert.equal((await c.authPlain('dave@example.test', 'secret-pw')).code, 235);
      await c.quit();
      await s.running.context.protocolLogs.close();
      await new Promise((r) => setTimeout(r, 200));
      const log = readFileSync(join(s.dataDir, 'logs', 'submission-protocol.log'), 'utf8');
      assert.match(log, /"AUTH PLAIN \*\*\*"/);
      assert.match(log, /235 2\.7\.0 Authentication successful/);
      assert.ok(!log.includes(Buffer.from('\0dave@example.test\0secret-pw').toString('base64')));
    } finally {
      await s.stop();
    }
  });
});
