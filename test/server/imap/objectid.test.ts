// RFC 8474 OBJECTID over real sockets: MAILBOXID from CREATE, SELECT and STATUS, kept across
// RENAME and never given to another mailbox; EMAILID kept by COPY and MOVE and found by SEARCH;
// THREADID NIL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;

async function login(): Promise<ImapTestClient> {
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  await c.login('olive', 'pw-olive');
  return c;
}

const OBJECT_ID = '[A-Za-z0-9_-]{1,255}';
const codeId = (line: string, code: string) => new RegExp(`\\[${code} \\((${OBJECT_ID})\\)\\]`).exec(line)?.[1];

describe('IMAP OBJECTID (RFC 8474)', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'olive@example.test', password: 'pw-olive' });
    await server.deliver('olive@example.test', message('first'));
    await server.deliver('olive@example.test', message('second'));
  });
  after(() => server.stop());

  test('OBJECTID is advertised after login', async () => {
    const c = await login();
    assert.match((await c.ok('CAPABILITY')).untagged[0]!, / OBJECTID( |$)/);
    c.close();
  });

  test('MAILBOXID: given by CREATE, the same in SELECT and STATUS, kept by RENAME, never reused', async () => {
    const c = await login();
    const created = await c.ok('CREATE Projects');
    const id = codeId(created.tagged, 'MAILBOXID');
    assert.ok(id, created.tagged);
    const selected = await c.ok('SELECT Projects');
    assert.ok(selected.untagged.some((l) => codeId(l, 'MAILBOXID') === id), selected.all);
    await c.ok('UNSELECT');
    assert.ok((await c.ok('STATUS Projects (MAILBOXID MESSAGES)')).untagged[0]!.includes(`MAILBOXID (${id})`));
    await c.ok('RENAME Projects Archive/Projects');
    assert.ok((await c.ok('STATUS Archive/Projects (MAILBOXID)')).untagged[0]!.includes(`MAILBOXID (${id})`));
    await c.ok('DELETE Archive/Projects');
    const again = codeId((await c.ok('CREATE Projects')).tagged, 'MAILBOXID');
    assert.ok(again && again !== id, 'a mailbox created under a used name gets a new id');
    const inbox = codeId((await c.ok('SELECT INBOX')).untagged.find((l) => l.includes('MAILBOXID'))!, 'MAILBOXID');
    assert.ok(inbox && inbox !== again);
    c.close();
  });

  test('EMAILID: distinct per message, kept by COPY and MOVE, found by SEARCH; THREADID NIL', async () => {
    const c = await login();
    await c.ok('CREATE Keep');
    await c.ok('SELECT INBOX');
    const fetched = (await c.ok('UID FETCH 1:* (EMAILID THREADID)')).untagged;
    const ids = fetched.map((l) => /EMAILID \(([A-Za-z0-9_-]+)\)/.exec(l)?.[1]);
    assert.equal(ids.length, 2);
    assert.ok(ids[0] && ids[1] && ids[0] !== ids[1], fetched.join('\n'));
    for (const l of fetched) assert.match(l, /THREADID NIL/);
    assert.deepEqual((await c.ok(`UID SEARCH EMAILID ${ids[1]}`)).untagged, ['* SEARCH 2']);
    assert.deepEqual((await c.ok('SEARCH THREADID T1')).untagged, ['* SEARCH']);
    assert.deepEqual((await c.ok('SEARCH EMAILID Enotours')).untagged, ['* SEARCH']);
    await c.ok('UID COPY 1 Keep');
    await c.ok('UID MOVE 2 Keep');
    await c.ok('SELECT Keep');
    const moved = (await c.ok('FETCH 1:* (EMAILID)')).untagged.map((l) => /EMAILID \(([A-Za-z0-9_-]+)\)/.exec(l)?.[1]);
    assert.deepEqual(moved, [ids[0], ids[1]]);
    assert.deepEqual((await c.ok(`SEARCH NOT EMAILID ${ids[0]}`)).untagged, ['* SEARCH 2']);
    c.close();
  });

  test('a malformed object id in SEARCH is BAD and the session goes on', async () => {
    const c = await login();
    await c.ok('SELECT INBOX');
    assert.match((await c.command('SEARCH EMAILID "a b"')).tagged, /^\S+ BAD/);
    assert.match((await c.command('SEARCH THREADID')).tagged, /^\S+ BAD/);
    await c.ok('NOOP');
    c.close();
  });
});
