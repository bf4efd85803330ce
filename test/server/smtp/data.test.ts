// The message phase over real sockets: end-of-data is only <CRLF>.<CRLF> (SMTP smuggling,
// 2023: bare LF, <LF>.<LF>, <LF>.<CRLF> and <CR>.<CR> never end DATA), dot-stuffing, bare-LF
// content, and CHUNKING/BDAT (RFC 3030) with data pipelined behind the command.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../../helpers/server.js';
import { SmtpClient, mail } from './client.js';
import { ALICE, BOB, PW, inbox } from './helpers.js';

/** The body of a stored message (after the first empty line). */
function bodyOf(m: Buffer): string {
  const s = m.toString('latin1');
  return s.slice(s.indexOf('\r\n\r\n') + 4);
}

describe('DATA on the inbound MX: SMTP smuggling', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await TestServer.start({ config: { smtp: { bindings: ['127.0.0.1:0'] } } });
    await server.addUser({ address: BOB, password: 'pw-bob' });
    port = server.port('smtp', 'starttls');
  });
  after(() => server.stop());

  const smuggled = `MAIL FROM:<admin@example.test>\r\nRCPT TO:<${BOB}>\r\nDATA\r\nSubject: smuggled\r\n\r\nevil\r\n`;
  for (const [name, fake] of [
    ['<LF>.<LF>', '\n.\n'],
    ['<LF>.<CRLF>', '\n.\r\n'],
    ['<CRLF>.<LF>', '\r\n.\n'],
    ['<CR>.<CR>', '\r.\r'],
    ['<CR><LF>.<CR> then bare LF', '\r\n.\r'],
  ] as const) {
    test(`${name} inside the body does not end DATA: the "smuggled" commands stay message text`, async () => {
      const before = (await inbox(server, BOB)).length;
      const c = await SmtpClient.open(port);
      await c.ehlo();
      assert.equal((await c.cmd('MAIL FROM:<carol@remote.example>')).code, 250);
      assert.equal((await c.cmd(`RCPT TO:<${BOB}>`)).code, 250);
      assert.equal((await c.cmd('DATA')).code, 354);
      const subject = `outer ${name}`;
      c.send(`From: carol@remote.example\r\nSubject: ${subject}\r\n\r\nhello${fake}${smuggled}.\r\nNOOP\r\n`);
      const r = await c.reply();
      assert.equal(r.code, 250, r.text);
      assert.equal((await c.reply()).code, 250, 'NOOP');
      await new Promise((res) => setTimeout(res, 50));
      assert.equal(c.line.pending, '', 'no reply to any smuggled command');
      await c.quit();
      const after = await inbox(server, BOB);
      assert.equal(after.length, before + 1, 'exactly one message');
      const text = after.at(-1)!.toString('latin1');
      assert.ok(text.includes(`Subject: ${subject}`));
      assert.ok(text.includes('MAIL FROM:<admin@example.test>'), 'the smuggled commands are part of the body');
    });
  }

  test('dot-stuffing: a line "..x" arrives as ".x" and a lone ".." line as "."', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.cmd('MAIL FROM:<carol@remote.example>');
    await c.cmd(`RCPT TO:<${BOB}>`);
    await c.cmd('DATA');
    c.send('Subject: dots\r\n\r\n..x\r\n..\r\nend\r\n.\r\n');
    assert.equal((await c.reply()).code, 250);
    await c.quit();
    const m = (await inbox(server, BOB)).at(-1)!;
    assert.equal(bodyOf(m), '.x\r\n.\r\nend\r\n');
  });

  test('content lines ending in a bare LF are stored with CRLF', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.cmd('MAIL FROM:<carol@remote.example>');
    await c.cmd(`RCPT TO:<${BOB}>`);
    await c.cmd('DATA');
    c.send('Subject: lf\n\none\ntwo\r\n.\r\n');
    assert.equal((await c.reply()).code, 250);
    await c.quit();
    const m = (await inbox(server, BOB)).at(-1)!;
    assert.ok(m.toString().includes('Subject: lf\r\n\r\none\r\ntwo\r\n'));
  });

  test('an empty message (DATA then ".") is accepted', async () => {
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.cmd('MAIL FROM:<>');
    await c.cmd(`RCPT TO:<${BOB}>`);
    assert.equal((await c.cmd('DATA')).code, 354);
    c.send('.\r\n');
    assert.equal((await c.reply()).code, 250);
    await c.quit();
  });

  test('a client that leaves in the middle of DATA has nothing delivered', async () => {
    const before = (await inbox(server, BOB)).length;
    const c = await SmtpClient.open(port);
    await c.ehlo();
    await c.cmd('MAIL FROM:<carol@remote.example>');
    await c.cmd(`RCPT TO:<${BOB}>`);
    await c.cmd('DATA');
    c.send('Subject: cut off\r\n\r\npartial');
    await new Promise((res) => setTimeout(res, 50));
    c.close();
    await new Promise((res) => setTimeout(res, 100));
    assert.equal((await inbox(server, BOB)).length, before);
  });
});

describe('CHUNKING / BDAT (RFC 3030) on submission', () => {
  let server: TestServer;
  let port: number;
  before(async () => {
    server = await TestServer.start({ config: { limits: { maxMessageSize: 4096 } } });
    await server.addUser({ address: ALICE, password: PW });
    await server.addUser({ address: BOB, password: 'pw-bob' });
    port = server.port('submission', 'tls');
  });
  after(() => server.stop());

  async function session(): Promise<SmtpClient> {
    const c = await SmtpClient.open(port, { tls: true });
    await c.ehlo();
    assert.equal((await c.authPlain(ALICE, PW)).code, 235);
    return c;
  }

  test('chunks pipelined with their commands in one packet are taken byte for byte, "." lines included', async () => {
    const c = await session();
    const part1 = `From: ${ALICE}\r\nTo: ${BOB}\r\nSubject: chunked\r\n\r\nline one\r\n.\r\n`;
    const part2 = 'BDAT 99\r\n..not stuffed\r\n';
    c.send(`MAIL FROM:<${ALICE}> BODY=BINARYMIME\r\nRCPT TO:<${BOB}>\r\nBDAT ${Buffer.byteLength(part1)}\r\n${part1}BDAT ${Buffer.byteLength(part2)} LAST\r\n${part2}`);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.reply()).code, 250);
    const first = await c.reply();
    assert.equal(first.code, 250);
    assert.match(first.text, new RegExp(`^2\\.0\\.0 ${Buffer.byteLength(part1)} octets received`));
    const last = await c.reply();
    assert.equal(last.code, 250);
    assert.match(last.text, /queued as/);
    await c.quit();
    const m = (await inbox(server, BOB)).at(-1)!.toString();
    assert.ok(m.endsWith(`\r\n\r\nline one\r\n.\r\nBDAT 99\r\n..not stuffed\r\n`), JSON.stringify(m.slice(-80)));
  });

  test('BDAT 0 LAST closes a message sent in earlier chunks', async () => {
    const c = await session();
    await c.cmd(`MAIL FROM:<${ALICE}>`);
    await c.cmd(`RCPT TO:<${BOB}>`);
    const body = mail(ALICE, BOB, 'zero last');
    c.send(`BDAT ${Buffer.byteLength(body)}\r\n${body}`);
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.cmd('BDAT 0 LAST')).code, 250);
    await c.quit();
    assert.ok((await inbox(server, BOB)).some((m) => m.includes('zero last')));
  });

  test('a refused BDAT still has its chunk read: the next command is answered in step', async () => {
    const c = await session();
    c.send('BDAT 12\r\nNOOP\r\nNOOP\r\nRSET\r\n');
    const r = await c.reply();
    assert.equal(r.code, 503);
    const next = await c.reply();
    assert.equal(next.code, 250, 'RSET, not the NOOPs inside the chunk');
    await new Promise((res) => setTimeout(res, 50));
    assert.equal(c.line.pending, '');
    await c.quit();
  });

  test('chunks over the size limit get 552 5.3.4; the transaction ends and later chunks are refused', async () => {
    const c = await session();
    await c.cmd(`MAIL FROM:<${ALICE}>`);
    await c.cmd(`RCPT TO:<${BOB}>`);
    const big = 'z'.repeat(5000);
    c.send(`BDAT ${big.length}\r\n${big}`);
    const r = await c.reply();
    assert.equal(r.code, 552);
    assert.match(r.text, /^5\.3\.4 /);
    c.send('BDAT 3 LAST\r\nabc');
    assert.equal((await c.reply()).code, 503);
    assert.equal((await c.cmd('NOOP')).code, 250);
    await c.quit();
  });

  test('DATA after BDAT is refused, and BODY=BINARYMIME with DATA is refused (RFC 3030 §3)', async () => {
    const c = await session();
    await c.cmd(`MAIL FROM:<${ALICE}>`);
    await c.cmd(`RCPT TO:<${BOB}>`);
    c.send('BDAT 4\r\nabcd');
    assert.equal((await c.reply()).code, 250);
    assert.equal((await c.cmd('DATA')).code, 503);
    await c.cmd('RSET');
    await c.cmd(`MAIL FROM:<${ALICE}> BODY=BINARYMIME`);
    await c.cmd(`RCPT TO:<${BOB}>`);
    assert.equal((await c.cmd('DATA')).code, 503);
    await c.quit();
  });
});
