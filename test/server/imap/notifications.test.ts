// When a session hears of other sessions' changes (RFC 9051 §7, RFC 3501 §7.4.1, RFC 2177 IDLE):
// EXISTS, FETCH FLAGS and EXPUNGE at the end of commands, never EXPUNGE during FETCH/STORE/SEARCH
// by sequence number, at once during IDLE (within a second, also for mail delivered by another
// process), "* OK Still here" keepalives, MODSEQ/UID/VANISHED when CONDSTORE/QRESYNC are on, and
// no wrong data when messages vanish under a FETCH.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { TestServer, message } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;
let n = 0;

async function session(address: string): Promise<ImapTestClient> {
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  await c.login(address, 'pw');
  return c;
}

/** A user with `count` messages, and two sessions on its INBOX. */
async function pair(count: number): Promise<{ a: ImapTestClient; b: ImapTestClient; address: string }> {
  const address = `n${++n}@example.test`;
  await server.addUser({ address, password: 'pw', domain: 'EXAMPLE' });
  for (let i = 1; i <= count; i++) await server.deliver(address, message(`msg ${i}`, `uid marker ${i}\r\n`));
  const a = await session(address);
  const b = await session(address);
  await a.ok('SELECT INBOX');
  await b.ok('SELECT INBOX');
  return { a, b, address };
}

/** Reads lines until one matches, within `ms`. */
async function expectLine(c: ImapTestClient, re: RegExp, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no line matching ${re} within ${ms} ms`);
    const line = await c.readLine(left);
    if (line === null) throw new Error('closed');
    if (re.test(line)) return line;
  }
}

describe('IMAP notifications', () => {
  before(async () => {
    server = await TestServer.start({ config: { imap: { idleKeepaliveInterval: '1s' } } });
  });
  after(() => server.stop());

  test('another session\'s new message: EXISTS and RECENT at the next command', async () => {
    const { a, address } = await pair(1);
    await server.deliver(address, message('new one'));
    const r = await a.ok('NOOP');
    // Session a selected first, so message 1 is \\Recent to it as well as the new one.
    assert.deepEqual(r.untagged, ['* 2 EXISTS', '* 2 RECENT']);
    assert.deepEqual((await a.ok('NOOP')).untagged, [], 'told once');
    a.close();
  });

  test('another session\'s flag change: FETCH FLAGS at the next command; our own change is not told twice', async () => {
    const { a, b } = await pair(2);
    await b.ok('STORE 2 +FLAGS (\\Flagged)');
    assert.deepEqual((await a.ok('NOOP')).untagged, ['* 2 FETCH (FLAGS (\\Flagged \\Recent))']);
    await a.ok('STORE 1 +FLAGS (\\Seen)');
    assert.deepEqual((await a.ok('NOOP')).untagged, []);
    a.close();
    b.close();
  });

  test('a new keyword set elsewhere comes with a fresh FLAGS list first', async () => {
    const { a, b } = await pair(1);
    await b.ok('STORE 1 +FLAGS ($Important)');
    const r = await a.ok('NOOP');
    assert.equal(r.untagged[0], '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Important)');
    assert.match(r.untagged[1]!, /^\* OK \[PERMANENTFLAGS \(.*\$Important \\\*\)\]/);
    assert.equal(r.untagged[2], '* 1 FETCH (FLAGS ($Important \\Recent))');
    a.close();
    b.close();
  });

  test('EXPUNGE is held during FETCH, STORE and SEARCH by number, and sent at the next command that may (RFC 3501 §7.4.1)', async () => {
    const { a, b } = await pair(3);
    await b.ok('STORE 2 +FLAGS.SILENT (\\Deleted)');
    await b.ok('EXPUNGE');
    const f = await a.command('FETCH 1:3 (UID)');
    assert.ok(!f.untagged.some((l) => /EXPUNGE/.test(l)), f.all);
    assert.deepEqual(f.untagged.filter((l) => /FETCH \(UID/.test(l)), ['* 1 FETCH (UID 1)', '* 3 FETCH (UID 3)'], 'numbers stay as the client knows them');
    assert.match(f.tagged, /OK \[EXPUNGEISSUED\]/);
    const s = await a.ok('SEARCH ALL');
    assert.ok(!s.all.includes('EXPUNGE'));
    const st = await a.ok('STORE 3 +FLAGS.SILENT (\\Seen)');
    assert.ok(!st.all.includes('EXPUNGE'));
    const noop = await a.ok('NOOP');
    assert.ok(noop.untagged.includes('* 2 EXPUNGE'), noop.all);
    assert.deepEqual((await a.ok('FETCH 1:* (UID)')).untagged, ['* 1 FETCH (UID 1)', '* 2 FETCH (UID 3)']);
    a.close();
    b.close();
  });

  test('UID commands may carry EXPUNGE', async () => {
    const { a, b } = await pair(2);
    await b.ok('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await b.ok('EXPUNGE');
    const r = await a.ok('UID FETCH 1:* (FLAGS)');
    assert.ok(r.untagged.includes('* 1 EXPUNGE'), r.all);
    a.close();
    b.close();
  });

  test('messages expunged while a FETCH runs are skipped, and every answer matches its UID', async () => {
    const { a, b } = await pair(60);
    const fetching = a.command('FETCH 1:60 (UID BODY.PEEK[TEXT])', 15000);
    await b.ok('STORE 1:60 +FLAGS.SILENT (\\Deleted)');
    await b.ok('EXPUNGE');
    const r = await fetching;
    for (const line of r.untagged.filter((l) => /FETCH/.test(l))) {
      const m = /^\* (\d+) FETCH \(UID (\d+) BODY\[TEXT\] \{\d+\}\r\nuid marker (\d+)\r\n\)$/.exec(line);
      assert.ok(m, line);
      assert.equal(m[1], m[2], 'sequence number and UID agree (no renumbering under the client)');
      assert.equal(m[2], m[3], 'the body is the message with that UID');
    }
    assert.ok((await a.ok('NOOP')).untagged.filter((l) => /EXPUNGE/.test(l)).length === 60);
    a.close();
    b.close();
  });

  test('IDLE: a new message, a flag change and an expunge reach the idling session within a second', async () => {
    const { a, b, address } = await pair(2);
    a.send('i1 IDLE\r\n');
    assert.equal(await a.readLine(), '+ idling');
    let t = Date.now();
    await server.deliver(address, message('while idle'));
    assert.equal(await expectLine(a, /EXISTS/, 1000), '* 3 EXISTS');
    assert.ok(Date.now() - t < 1000);
    t = Date.now();
    await b.ok('STORE 1 +FLAGS (\\Answered)');
    assert.equal(await expectLine(a, /FETCH/, 1000), '* 1 FETCH (FLAGS (\\Answered \\Recent))');
    await b.ok('STORE 2 +FLAGS.SILENT (\\Deleted)');
    await b.ok('EXPUNGE');
    assert.equal(await expectLine(a, /EXPUNGE/, 1000), '* 2 EXPUNGE');
    assert.ok(Date.now() - t < 2000);
    a.send('DONE\r\n');
    assert.match((await a.until('i1')).tagged, /^i1 OK Idle completed/);
    a.close();
    b.close();
  });

  test('IDLE: mail delivered by another process (postern deliver) arrives within a second', async () => {
    const { a, address } = await pair(0);
    a.send('i1 IDLE\r\n');
    assert.equal(await a.readLine(), '+ idling');
    // The CLI module next to this test (src/cli.ts from source, dist/src/cli.js when built).
    const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
    const cli = new URL(`../../../src/cli.${ext}`, import.meta.url).href;
    const run = `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(process.argv.slice(1));`;
    const child = spawn(process.execPath, [...(ext === 'ts' ? ['--import', 'tsx'] : []), '--input-type=module', '-e', run, 'deliver', address, '--data', server.dataDir], { stdio: ['pipe', 'ignore', 'pipe'] });
    child.stdin.end(message('from another process'));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const t = Date.now();
    assert.equal(await expectLine(a, /EXISTS/, 1000), '* 1 EXISTS');
    assert.ok(Date.now() - t < 1000);
    a.send('DONE\r\n');
    await a.until('i1');
    a.close();
  });

  test('an idling session hears "* OK Still here" at the keepalive interval', async () => {
    const { a } = await pair(0);
    a.send('i1 IDLE\r\n');
    await a.readLine();
    assert.equal(await expectLine(a, /Still here/, 2500), '* OK Still here');
    a.send('DONE\r\n');
    await a.until('i1');
    a.close();
  });

  test('IDLE ended by something other than DONE gets BAD', async () => {
    const { a } = await pair(0);
    a.send('i1 IDLE\r\n');
    await a.readLine();
    a.send('NOOP\r\n');
    assert.match((await a.until('i1')).tagged, /^i1 BAD/);
    a.close();
  });

  test('with CONDSTORE, unsolicited FETCH carries MODSEQ; with QRESYNC also UID, and EXPUNGE becomes VANISHED', async () => {
    const address = `n${++n}@example.test`;
    await server.addUser({ address, password: 'pw', domain: 'EXAMPLE' });
    for (let i = 0; i < 3; i++) await server.deliver(address, message(`m${i}`));
    const a = await session(address);
    const b = await session(address);
    await a.ok('ENABLE QRESYNC');
    await a.ok('SELECT INBOX');
    await b.ok('SELECT INBOX');
    await b.ok('STORE 1 +FLAGS (\\Seen)');
    const r = await a.ok('NOOP');
    assert.match(r.untagged[0]!, /^\* 1 FETCH \(UID 1 FLAGS \(\\Seen \\Recent\) MODSEQ \(\d+\)\)$/);
    await b.ok('STORE 2 +FLAGS.SILENT (\\Deleted)');
    await b.ok('EXPUNGE');
    assert.deepEqual((await a.ok('NOOP')).untagged, ['* VANISHED 2']);
    a.close();
    b.close();
  });

  test('APPEND and COPY into the selected mailbox are answered with its EXISTS', async () => {
    const { a } = await pair(1);
    const r = await a.ok('APPEND INBOX {12+}\r\nSubject: x\r\n');
    assert.ok(r.untagged.includes('* 2 EXISTS'), r.all);
    const c = await a.ok('COPY 1 INBOX');
    assert.ok(c.untagged.includes('* 3 EXISTS'), c.all);
    a.close();
  });
});
