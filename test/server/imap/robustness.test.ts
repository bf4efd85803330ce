// Bad input over real sockets (issue: "gets BAD/NO, never a crash, a hang or unbounded
// memory"): unbalanced parentheses, literals larger than announced or allowed, 8-bit atoms,
// huge sequence sets, deeply nested multiparts, a 50 MB line and a header line of tens of MB,
// floods of bad commands, and timeouts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;
let userNo = 0;

async function fresh(): Promise<ImapTestClient> {
  const address = `r${++userNo}@example.test`;
  await server.addUser({ address, password: 'pw', domain: 'EXAMPLE' });
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  await c.login(address, 'pw');
  return c;
}

async function stillWorks(c: ImapTestClient): Promise<void> {
  assert.match((await c.command('NOOP')).tagged, /^t\d+ OK NOOP completed\.$/);
}

describe('IMAP bad input', () => {
  before(async () => {
    server = await TestServer.start({ config: { imap: { preAuthenticatedConnectionTimeout: '2s' } } });
  });
  after(() => server.stop());

  test('unbalanced parentheses get BAD and the session stays in step', async () => {
    const c = await fresh();
    await c.ok('SELECT INBOX');
    for (const cmd of ['FETCH 1 (FLAGS', 'FETCH 1 FLAGS)', 'SEARCH (SEEN (FLAGGED)', 'STORE 1 +FLAGS (\\Seen', 'LIST () "" ("a" "b"', 'STATUS INBOX (MESSAGES']) {
      assert.match((await c.command(cmd)).tagged, /^t\d+ BAD /, cmd);
    }
    await stillWorks(c);
    c.close();
  });

  test('a literal with more bytes than announced: the extra bytes are the rest of the line, which is BAD', async () => {
    const c = await fresh();
    c.send('a LOGIN {3}\r\n');
    await c.readLine();
    c.send('toolong "x"\r\n');
    assert.match((await c.until('a')).tagged, /^a BAD/);
    c.send('b APPEND INBOX {5+}\r\nSubject: x\r\n\r\nbody\r\n');
    assert.match((await c.until('b')).tagged, /^b BAD/);
    await stillWorks(c);
    c.close();
  });

  test('8-bit characters in atoms get BAD', async () => {
    const c = await fresh();
    c.send(Buffer.concat([Buffer.from('a SELECT IN'), Buffer.from([0xc3, 0xa9]), Buffer.from('BOX\r\n')]));
    assert.match((await c.until('a')).tagged, /^a BAD .*8-bit/);
    c.send(Buffer.concat([Buffer.from('b FETCH 1 FL'), Buffer.from([0xff]), Buffer.from('AGS\r\n')]));
    assert.match((await c.until('b')).tagged, /^b BAD/);
    await stillWorks(c);
    c.close();
  });

  test('sequence sets: 1:4294967295 works; 0 and 4294967296 are BAD; 10,000 ranges resolve quickly; 100,000 ranges are a line too long', async () => {
    const c = await fresh();
    await c.ok('APPEND INBOX {12+}\r\nSubject: x\r\n');
    await c.ok('SELECT INBOX');
    assert.deepEqual((await c.ok('UID FETCH 1:4294967295 (UID)')).untagged, ['* 1 FETCH (UID 1)']);
    assert.match((await c.command('UID FETCH 0:5 (UID)')).tagged, /BAD/);
    assert.match((await c.command('UID FETCH 1:4294967296 (UID)')).tagged, /BAD/);
    const tenThousand = Array.from({ length: 10_000 }, (_, i) => String(i * 3 + 1)).join(',');
    const started = performance.now();
    assert.deepEqual((await c.ok(`UID FETCH ${tenThousand} (UID)`)).untagged, ['* 1 FETCH (UID 1)']);
    assert.ok(performance.now() - started < 1000);
    const hundredThousand = Array.from({ length: 100_000 }, (_, i) => String(i * 2 + 1)).join(',');
    assert.match((await c.command(`UID FETCH ${hundredThousand} (UID)`)).tagged, /^t\d+ BAD \[TOOBIG\] Command line too long/);
    await stillWorks(c);
    c.close();
  });

  test('a 50 MB line without a line break is dropped as it arrives: BAD, memory stays bounded, session in step', async () => {
    const c = await fresh();
    const before = process.memoryUsage().rss;
    const chunk = Buffer.alloc(1024 * 1024, 0x41);
    c.send('a NOOP ');
    for (let i = 0; i < 50; i++) c.send(chunk);
    c.send('\r\n');
    assert.match((await c.until('a', 20000)).tagged, /^a BAD \[TOOBIG\]/);
    assert.ok(process.memoryUsage().rss - before < 200 * 1024 * 1024, 'the line was not buffered');
    await stillWorks(c);
    c.close();
  });

  test('a message with a 20 MB single-line header is stored, fetched and searched without trouble', async () => {
    const c = await fresh();
    const msg = Buffer.concat([Buffer.from('Subject: '), Buffer.alloc(20 * 1024 * 1024, 0x62), Buffer.from('\r\nFrom: a@b.example\r\n\r\nneedle in the body\r\n')]);
    c.send(Buffer.concat([Buffer.from(`a APPEND INBOX {${msg.length}+}\r\n`), msg, Buffer.from('\r\n')]));
    assert.match((await c.until('a', 30000)).tagged, /^a OK/);
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 (BODYSTRUCTURE RFC822.SIZE BODY.PEEK[TEXT])', 20000);
    assert.ok(f.untagged[0]!.includes(`RFC822.SIZE ${msg.length}`));
    assert.ok(f.untagged[0]!.includes('needle in the body'));
    assert.deepEqual((await c.ok('SEARCH BODY needle', 20000)).untagged, ['* SEARCH 1']);
    c.close();
  });

  test('a message nested 5,000 multiparts deep: structure is cut at a bounded depth, BODYSTRUCTURE answers', async () => {
    const c = await fresh();
    const nested = Array.from({ length: 5000 }, (_, i) => `Content-Type: multipart/mixed; boundary=b${i}\r\n\r\n--b${i}\r\n`).join('') + 'Content-Type: text/plain\r\n\r\nx\r\n';
    await c.ok(`APPEND INBOX {${nested.length}+}\r\n${nested}`);
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 BODYSTRUCTURE');
    const depth = Math.max(...[...f.untagged[0]!].reduce<number[]>((acc, ch) => {
      const d = (acc[acc.length - 1] ?? 0) + (ch === '(' ? 1 : ch === ')' ? -1 : 0);
      acc.push(d);
      return acc;
    }, []));
    assert.ok(depth < 200, `nesting in the response: ${depth}`);
    await stillWorks(c);
    c.close();
  });

  test('a literal over 2^32-1 octets that cannot be skipped ends the session with BYE', async () => {
    const c = await fresh();
    c.send('a APPEND INBOX {99999999999+}\r\n');
    assert.match((await c.readLine())!, /^a BAD \[TOOBIG\]/);
    assert.match((await c.readLine())!, /^\* BYE/);
    await c.closedByServer();
  });

  test('before login, literals are small: a 1 MB non-synchronizing literal is skipped with BAD [TOOBIG]', async () => {
    const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    await c.greeting();
    const big = 'x'.repeat(1024 * 1024);
    c.send(`a LOGIN {${big.length}+}\r\n${big} pw\r\nb NOOP\r\n`);
    assert.match((await c.until('a')).tagged, /^a BAD \[TOOBIG\] Literal too large/);
    assert.match((await c.until('b')).tagged, /^b OK/);
    c.close();
  });

  test('before login, lines are short: a 10 KB line gets BAD', async () => {
    const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    await c.greeting();
    assert.match((await c.command(`LOGIN ${'u'.repeat(10_000)} pw`)).tagged, /^t1 BAD \[TOOBIG\] Command line too long\.$/);
    c.close();
  });

  test('a flood of bad commands ends with BYE and a close', async () => {
    const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    await c.greeting();
    let flood = '';
    for (let i = 0; i < 1000; i++) flood += `x${i} FROBNICATE\r\n`;
    c.send(flood);
    let bye = '';
    for (;;) {
      const l = await c.readLine();
      if (l === null) break;
      if (l.startsWith('* BYE')) bye = l;
    }
    assert.equal(bye, '* BYE Too many invalid IMAP commands.');
    assert.ok(c.isClosed);
  });

  test('random bytes get BAD answers and at worst a BYE, never a crash', async () => {
    const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    await c.greeting();
    const noise = Buffer.alloc(64 * 1024);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + (i >> 3) * 31) & 0xff;
    c.send(noise);
    c.send('\r\nz NOOP\r\n');
    for (;;) {
      const l = await c.readLine(5000).catch(() => null);
      if (l === null || l.startsWith('z ') || l.startsWith('* BYE')) break;
    }
    const probe = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    assert.match(await probe.greeting(), /^\* OK/, 'the server still serves');
    probe.close();
    c.close();
  });

  test('empty lines get an untagged BAD; unknown commands a tagged one', async () => {
    const c = await fresh();
    c.send('\r\n');
    assert.equal(await c.readLine(), '* BAD Empty command line.');
    assert.equal((await c.command('FROB')).tagged.replace(/^t\d+/, 't'), 't BAD Unknown command FROB.');
    await stillWorks(c);
    c.close();
  });

  test('an idle connection before login is closed at preAuthenticatedConnectionTimeout with BYE', async () => {
    const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
    await c.greeting();
    assert.equal(await c.readLine(4000), '* BYE Disconnected for inactivity.');
    await c.closedByServer();
  });
});
