// IMAP on the PostgreSQL store, across two nodes: what one node's client does (APPEND, STORE,
// EXPUNGE) reaches an IDLE session on the other node through LISTEN/NOTIFY within a second, and
// SELECT, FETCH, SEARCH (pg_trgm) and QRESYNC answer as on SQLite.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { postgresUrl, uniqueSchemaName, pgAdmin } from '../../store/helpers.js';
import { ImapTestClient } from './imap-client.js';

const url = await postgresUrl();

async function expectLine(c: ImapTestClient, re: RegExp, ms: number): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = await c.readLine(Math.max(1, deadline - Date.now()));
    if (line === null) throw new Error('closed');
    if (re.test(line)) return line;
  }
}

/** APPEND with a non-synchronizing literal; returns the new UID. */
async function append(c: ImapTestClient, msg: string): Promise<number> {
  const r = await c.ok(`APPEND INBOX {${Buffer.byteLength(msg)}+}\r\n${msg}`);
  return Number(/APPENDUID \d+ (\d+)/.exec(r.tagged)![1]);
}

describe('IMAP on PostgreSQL, two nodes', { skip: url ? false : 'no PostgreSQL at 127.0.0.1:5432 (database test)' }, () => {
  let a: TestServer;
  let b: TestServer;
  const schema = uniqueSchemaName();

  before(async () => {
    const store = { kind: 'postgres', url, schema };
    a = await TestServer.start({ config: { store } });
    b = await TestServer.start({ config: { store } });
    await a.addUser({ address: 'alice@example.test', password: 'pw-alice', domain: 'EXAMPLE' });
    await a.deliver('alice@example.test', message('first on postgres', 'Searchable body about zanzibar.\r\n'));
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    if (url) await pgAdmin(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  async function login(node: TestServer): Promise<ImapTestClient> {
    const c = await ImapTestClient.connect(node.port('imap', 'tls'), { tls: true });
    await c.greeting();
    await c.login('alice', 'pw-alice');
    return c;
  }

  test('SELECT, FETCH, SEARCH and STORE answer as on SQLite', async () => {
    const c = await login(b);
    assert.ok((await c.ok('SELECT INBOX')).untagged.includes('* 1 EXISTS'));
    assert.match((await c.ok('FETCH 1 (ENVELOPE)')).untagged[0]!, /"first on postgres"/);
    assert.deepEqual((await c.ok('SEARCH BODY ZANZIBAR')).untagged, ['* SEARCH 1']);
    assert.deepEqual((await c.ok('SEARCH BODY nowhere')).untagged, ['* SEARCH']);
    assert.match((await c.ok('STORE 1 +FLAGS ($Pg)')).untagged[0]!, /FLAGS \(\$Pg \\Recent\)/);
    c.close();
  });

  test('an IDLE session on node B hears node A\'s APPEND, STORE and EXPUNGE within a second', async () => {
    const idler = await login(b);
    await idler.ok('SELECT INBOX');
    const writer = await login(a);
    await writer.ok('SELECT INBOX');
    idler.send('i IDLE\r\n');
    assert.equal(await idler.readLine(), '+ idling');
    let t = Date.now();
    await append(writer, 'Subject: node a\r\n\r\nx');
    assert.equal(await expectLine(idler, /EXISTS/, 1000), '* 2 EXISTS');
    assert.ok(Date.now() - t < 1000);
    t = Date.now();
    await writer.ok('STORE 2 +FLAGS (\\Deleted)');
    assert.match(await expectLine(idler, /FETCH/, 1000), /^\* 2 FETCH \(FLAGS \(\\Deleted/);
    await writer.ok('EXPUNGE');
    assert.equal(await expectLine(idler, /EXPUNGE/, 1000), '* 2 EXPUNGE');
    assert.ok(Date.now() - t < 2000);
    idler.send('DONE\r\n');
    await idler.until('i');
    idler.close();
    writer.close();
  });

  test('QRESYNC on node B reports node A\'s expunge as VANISHED (EARLIER)', async () => {
    const c = await login(b);
    await c.ok('ENABLE QRESYNC');
    const sel = await c.ok('SELECT INBOX');
    const v = Number(/UIDVALIDITY (\d+)/.exec(sel.all)![1]);
    const m = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.all)![1]);
    await c.ok('UNSELECT');
    const w = await login(a);
    await w.ok('SELECT INBOX');
    const uid = await append(w, 'Subject: gone!\r\n\r\nx');
    await w.ok(`UID STORE ${uid} +FLAGS.SILENT (\\Deleted)`);
    await w.ok(`UID EXPUNGE ${uid}`);
    const again = await c.ok(`SELECT INBOX (QRESYNC (${v} ${m}))`);
    assert.ok(again.untagged.includes(`* VANISHED (EARLIER) ${uid}`), again.all);
    c.close();
    w.close();
  });
});
