// LMTP (RFC 2033) over a real socket: LHLO, recipients checked at RCPT, and one reply per
// accepted recipient after DATA (and after the last BDAT chunk).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../../helpers/server.js';
import { SmtpClient, mail } from './client.js';
import { ALICE, BOB, inbox } from './helpers.js';

describe('LMTP', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await TestServer.start({ config: { limits: { maxMessageSize: 10_000 } } });
    await server.addUser({ address: ALICE, password: 'pw' });
    await server.addUser({ address: BOB, password: 'pw' });
    await server.addUser({ address: 'sales@example.test', shared: true });
    port = server.port('lmtp', 'plain');
  });
  after(() => server.stop());

  test('the greeting says LMTP; LHLO lists the extensions; EHLO and HELO are refused', async () => {
    const c = await SmtpClient.connect(port);
    const g = await c.reply();
    assert.equal(g.code, 220);
    assert.match(g.text, /^localhost LMTP /);
    const e = await c.cmd('EHLO mta.example');
    assert.equal(e.code, 502);
    assert.match(e.text, /LHLO/);
    assert.equal((await c.cmd('HELO mta.example')).code, 502);
    const kw = await c.ehlo('mta.example', 'LHLO');
    for (const k of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'CHUNKING', 'SIZE']) assert.ok(kw.has(k), k);
    for (const k of ['STARTTLS', 'AUTH', 'DSN']) assert.ok(!kw.has(k), k);
    assert.equal((await c.cmd('STARTTLS')).code, 502);
    assert.equal((await c.cmd('AUTH PLAIN AGFAYgBj')).code, 502);
    await c.quit();
  });

  test('unknown recipients are refused at RCPT (any domain); DATA gets one reply per accepted recipient', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo('mta.example', 'LHLO');
    assert.equal((await c.cmd('MAIL FROM:<carol@remote.example>')).code, 250);
    assert.equal((await c.cmd(`RCPT TO:<${ALICE}>`)).code, 250);
    const unknown = await c.cmd('RCPT TO:<nobody@example.test>');
    assert.equal(unknown.code, 550);
    assert.match(unknown.text, /^5\.1\.1 /);
    assert.equal((await c.cmd('RCPT TO:<someone@remote.example>')).code, 550, 'LMTP never relays');
    assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
    assert.equal((await c.cmd('RCPT TO:<sales@example.test>')).code, 250, 'shared mailboxes receive mail');
    assert.equal((await c.cmd('DATA')).code, 354);
    c.send(`${mail('carol@remote.example', ALICE, 'lmtp fan-out')}.\r\n`);
    const replies = [await c.reply(), await c.reply(), await c.reply()];
    assert.deepEqual(replies.map((r) => r.code), [250, 250, 250]);
    assert.match(replies[0]!.text, /^2\.1\.5 <alice@example\.test> Ok: delivered as [0-9A-F]{16}$/);
    assert.match(replies[1]!.text, /<bob@example\.test>/);
    assert.match(replies[2]!.text, /<sales@example\.test>/);
    await c.quit();
    for (const who of [ALICE, BOB, 'sales@example.test']) {
      const m = (await inbox(server, who)).find((x) => x.includes('lmtp fan-out'))!.toString();
      assert.ok(m.startsWith('Return-Path: <carol@remote.example>\r\nReceived: from mta.example ([127.0.0.1])\r\n\tby localhost (postern) with LMTP id '), m.slice(0, 200));
    }
  });

  test('a message over the size limit gets 552 for each recipient', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo('mta.example', 'LHLO');
    await c.cmd('MAIL FROM:<carol@remote.example>');
    await c.cmd(`RCPT TO:<${ALICE}>`);
    await c.cmd(`RCPT TO:<${BOB}>`);
    await c.cmd('DATA');
    c.send(`Subject: big\r\n\r\n${('x'.repeat(900) + '\r\n').repeat(15)}.\r\n`);
    const a = await c.reply();
    const b = await c.reply();
    assert.equal(a.code, 552);
    assert.equal(b.code, 552);
    await c.quit();
  });

  test('BDAT in LMTP: the last chunk is answered once per recipient', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo('mta.example', 'LHLO');
    const body = mail('carol@remote.example', ALICE, 'lmtp chunks');
    c.send(`MAIL FROM:<carol@remote.example>\r\nRCPT TO:<${ALICE}>\r\nRCPT TO:<${BOB}>\r\nBDAT ${Buffer.byteLength(body)} LAST\r\n${body}`);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    await c.quit();
    assert.ok((await inbox(server, BOB)).some((m) => m.includes('lmtp chunks')));
  });

  test('DATA with no accepted recipient gets 554 5.5.1 (RFC 2033 §4.2)', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo('mta.example', 'LHLO');
    await c.cmd('MAIL FROM:<carol@remote.example>');
    await c.cmd('RCPT TO:<nobody@example.test>');
    const r = await c.cmd('DATA');
    assert.equal(r.code, 554);
    await c.quit();
  });
});
