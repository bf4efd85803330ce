// POP3 login over real sockets: every row of the login-name table (seed 003), delegation,
// per-user switches, admin bar, disabled and shared accounts, failure delay and lockout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { LineClient } from '../../helpers/line-client.js';

let server: TestServer;

async function tryLogin(user: string, password: string): Promise<{ reply: string; client: LineClient }> {
  const c = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
  await c.readLine();
  const u = await c.command(`USER ${user}`);
  if (!u.startsWith('+OK')) return { reply: u, client: c };
  return { reply: await c.command(`PASS ${password}`), client: c };
}

async function statAs(user: string, password: string): Promise<string> {
  const { reply, client } = await tryLogin(user, password);
  if (!reply.startsWith('+OK')) { client.close(); return reply; }
  const stat = await client.command('STAT');
  client.line('QUIT'); await client.readLine();
  return stat;
}

describe('POP3 login names, delegation and account switches', () => {
  before(async () => {
    server = await TestServer.start();
    // SAM name and alias differ, and the UPN is not the address (seed 003's test user).
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice', domain: 'EXAMPLE', sam: 'asmith', alias: 'alice', upn: 'asmith@corp.example.test' });
    await server.addUser({ address: 'sales@example.test', shared: true, alias: 'sales' });
    await server.addUser({ address: 'bob@example.test', password: 'pw-bob', domain: 'EXAMPLE' });
    await server.addUser({ address: 'root@example.test', password: 'pw-root', admin: true });
    await server.addUser({ address: 'carol@other.test', password: 'pw-carol', domain: 'OTHER', sam: 'asmith', alias: 'carol' });
    await server.grant('sales@example.test', 'alice@example.test');
    await server.deliver('alice@example.test', message('for alice'));
    for (let i = 0; i < 2; i++) await server.deliver('sales@example.test', message(`for sales ${i}`));
  });
  after(() => server.stop());

  const ALICE_OWN = /^\+OK 1 \d+$/;
  const SALES = /^\+OK 2 \d+$/;

  test('domain\\user logs in to the user\'s own mailbox (SAM name, not alias)', async () => {
    assert.match(await statAs('EXAMPLE\\asmith', 'pw-alice'), ALICE_OWN);
    assert.match(await statAs('example/asmith', 'pw-alice'), ALICE_OWN);
  });

  test('domain\\user\\alias opens the delegated mailbox with FullAccess', async () => {
    assert.match(await statAs('EXAMPLE\\asmith\\sales', 'pw-alice'), SALES);
    assert.match(await statAs('EXAMPLE/asmith/sales', 'pw-alice'), SALES);
  });

  test('upn logs in; upn\\alias opens the delegated mailbox', async () => {
    assert.match(await statAs('asmith@corp.example.test', 'pw-alice'), ALICE_OWN);
    assert.match(await statAs('asmith@corp.example.test\\sales', 'pw-alice'), SALES);
  });

  test('domain\\upn works when the UPN\'s account is in that domain, not otherwise', async () => {
    assert.match(await statAs('EXAMPLE\\asmith@corp.example.test', 'pw-alice'), ALICE_OWN);
    assert.match(await statAs('OTHER\\asmith@corp.example.test', 'pw-alice'), /^-ERR \[AUTH\]/);
  });

  test('a bare SAM name that exists in two domains is ambiguous and refused; a unique one works', async () => {
    assert.match(await statAs('asmith', 'pw-alice'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('bob', 'pw-bob'), /^\+OK 0 0$/);
  });

  test('the SMTP address is not a login name unless it is the UPN; the alias alone is not either (seed 003)', async () => {
    assert.match(await statAs('alice@example.test', 'pw-alice'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('alice', 'pw-alice'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('bob@example.test', 'pw-bob'), /^\+OK/);
  });

  test('invalid forms are refused: Domain\\UPN\\Alias, two separators with @, one separator with two @', async () => {
    for (const name of ['EXAMPLE\\asmith@corp.example.test\\sales', 'EXAMPLE\\asmith\\sales@example.test', 'a@b@c\\sales', 'EXAMPLE\\a\\b\\c']) {
      assert.match(await statAs(name, 'pw-alice'), /^-ERR \[AUTH\]/, name);
    }
  });

  test('a mailbox the user has no FullAccess on cannot be opened, even with the right password', async () => {
    const r = await statAs('EXAMPLE\\bob\\sales', 'pw-bob');
    assert.match(r, /^-ERR \[AUTH\] No mailbox "sales"/);
  });

  test('a shared mailbox never logs in itself; anonymous and guest do not exist', async () => {
    assert.match(await statAs('sales@example.test', ''), /^-ERR/);
    assert.match(await statAs('anonymous', 'anonymous'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('Guest', 'guest'), /^-ERR \[AUTH\]/);
  });

  test('a wrong password fails with [AUTH] after the failure delay', async () => {
    const t0 = Date.now();
    assert.match(await statAs('bob@example.test', 'wrong'), /^-ERR \[AUTH\] Authentication failed\.$/);
    assert.ok(Date.now() - t0 >= 45, 'failure delay applied');
  });

  test('an admin account is barred from POP3', async () => {
    assert.match(await statAs('root@example.test', 'pw-root'), /^-ERR \[AUTH\] Administrator accounts may not use POP3/);
  });

  test('PopEnabled false refuses POP3 at the next login; true again lets the user in', async () => {
    await server.setUser('bob@example.test', { popEnabled: false });
    assert.match(await statAs('bob@example.test', 'pw-bob'), /^-ERR \[AUTH\] POP3 access is disabled/);
    await server.setUser('bob@example.test', { popEnabled: true });
    assert.match(await statAs('bob@example.test', 'pw-bob'), /^\+OK/);
  });

  test('PopEnabled false on the delegated mailbox refuses opening it', async () => {
    await server.setUser('sales@example.test', { popEnabled: false });
    assert.match(await statAs('EXAMPLE\\asmith\\sales', 'pw-alice'), /^-ERR \[AUTH\] POP3 access is disabled for sales@example.test/);
    await server.setUser('sales@example.test', { popEnabled: true });
  });

  test('a disabled account never logs in, in any name form', async () => {
    await server.setUser('bob@example.test', { disabled: true });
    assert.match(await statAs('bob@example.test', 'pw-bob'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('EXAMPLE\\bob', 'pw-bob'), /^-ERR \[AUTH\]/);
    await server.setUser('bob@example.test', { disabled: false });
  });

  test('a changed password takes effect at the next login (the verified-credential cache is keyed by the hash)', async () => {
    assert.match(await statAs('bob@example.test', 'pw-bob'), /^\+OK/);
    await server.setUser('bob@example.test', { password: 'pw-bob-2' });
    assert.match(await statAs('bob@example.test', 'pw-bob'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('bob@example.test', 'pw-bob-2'), /^\+OK/);
    await server.setUser('bob@example.test', { password: 'pw-bob' });
  });
});

describe('POP3 lockout', () => {
  before(async () => {
    server = await TestServer.start({ config: { auth: { lockout: { threshold: 3, window: '1m', duration: '1m' } } } });
    await server.addUser({ address: 'dave@example.test', password: 'pw-dave' });
  });
  after(() => server.stop());

  test('after repeated failures from one address even the right password is refused for a while', async () => {
    for (let i = 0; i < 3; i++) assert.match(await statAs('dave@example.test', 'nope'), /^-ERR \[AUTH\]/);
    assert.match(await statAs('dave@example.test', 'pw-dave'), /^-ERR \[AUTH\] Too many failed logins/);
  });
});
