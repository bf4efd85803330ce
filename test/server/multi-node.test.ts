// Past one machine: two stateless postern nodes on one PostgreSQL. Accounts and mail added
// through one node are served by the other, and the POP3 maildrop lock holds across nodes.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../helpers/server.js';
import { LineClient } from '../helpers/line-client.js';
import { connectWithSession } from '../helpers/tls-resume.js';
import { postgresUrl, uniqueSchemaName, pgAdmin } from '../store/helpers.js';

const url = await postgresUrl();

describe('two nodes on one PostgreSQL', { skip: url ? false : 'no PostgreSQL at 127.0.0.1:5432 (database test)' }, () => {
  let a: TestServer;
  let b: TestServer;
  const schema = uniqueSchemaName();

  before(async () => {
    const store = { kind: 'postgres', url, schema };
    a = await TestServer.start({ config: { store } });
    b = await TestServer.start({ config: { store } });
    await a.addUser({ address: 'alice@example.test', password: 'pw-alice' });
    await a.deliver('alice@example.test', message('via node a'));
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    if (url) await pgAdmin(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
  });

  async function login(node: TestServer): Promise<{ c: LineClient; reply: string }> {
    const c = await LineClient.connect(node.port('pop3', 'tls'), { tls: true });
    await c.readLine();
    await c.command('USER alice@example.test');
    return { c, reply: await c.command('PASS pw-alice') };
  }

  test('a TLS ticket from node A resumes on node B (one ticket key in the store)', async () => {
    for (const maxVersion of ['TLSv1.3', 'TLSv1.2'] as const) {
      const first = await connectWithSession(a.port('imap', 'tls'), undefined, maxVersion);
      assert.ok(first.session, maxVersion);
      const other = await connectWithSession(b.port('imap', 'tls'), first.session, maxVersion);
      assert.match(other.greeting, /^\* OK/);
      assert.equal(other.reused, true, maxVersion);
    }
  });

  test('an account and a message added through node A are served by node B', async () => {
    const { c, reply } = await login(b);
    assert.match(reply, /^\+OK Logged in\. 1 message/);
    assert.match(await c.command('RETR 1'), /^\+OK/);
    assert.ok((await c.readDotBody()).includes('Subject: via node a'));
    c.line('QUIT'); await c.readLine();
  });

  test('the maildrop lock taken on node A refuses a session on node B with [IN-USE], until A quits', async () => {
    const first = await login(a);
    assert.match(first.reply, /^\+OK/);
    const second = await login(b);
    assert.match(second.reply, /^-ERR \[IN-USE\]/);
    first.c.line('QUIT'); await first.c.readLine();
    await new Promise((r) => setTimeout(r, 200));
    assert.match(await second.c.command('USER alice@example.test'), /^\+OK/);
    assert.match(await second.c.command('PASS pw-alice'), /^\+OK/);
    second.c.close();
  });

  test('a deletion committed on node B is seen on node A', async () => {
    const { c } = await login(b);
    await c.command('DELE 1');
    assert.match(await c.command('QUIT'), /1 message deleted/);
    await new Promise((r) => setTimeout(r, 100));
    const other = await login(a);
    assert.match(other.reply, /^\+OK Logged in\. 0 messages/);
    other.c.close();
  });
});
