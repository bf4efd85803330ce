// POP3 under bad input: overlong lines, NUL bytes, unknown commands, wrong-state commands,
// pipelined floods, idle clients, connection caps — answered with -ERR or a clean close, and
// other sessions keep being served. Also the protocol log's redaction.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { TestServer, message } from '../../helpers/server.js';
import { LineClient } from '../../helpers/line-client.js';

let server: TestServer;

describe('POP3 robustness', () => {
  before(async () => {
    server = await TestServer.start({
      config: {
        pop3: { preAuthenticatedConnectionTimeout: '1s', protocolLog: true },
        limits: { maxPreAuthLineLength: 1024, maxConnectionsPerIp: 30, maxBadCommands: 5 },
      },
    });
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice' });
    for (let i = 0; i < 3; i++) await server.deliver('alice@example.test', message(`m${i}`));
  });
  after(() => server.stop());

  async function fresh(): Promise<LineClient> {
    const c = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
    await c.readLine();
    return c;
  }

  test('an overlong line gets -ERR and the session stays in step', async () => {
    const c = await fresh();
    assert.equal(await c.command('X'.repeat(5000)), '-ERR Line too long.');
    assert.match(await c.command('CAPA'), /^\+OK/);
    await c.readDotBody();
    c.close();
  });

  test('a NUL byte in a command gets -ERR', async () => {
    const c = await fresh();
    assert.equal(await c.command('USER al\0ice'), '-ERR Command contains a NUL byte.');
    c.close();
  });

  test('too many bad commands close the connection', async () => {
    const c = await fresh();
    for (let i = 0; i < 4; i++) assert.match(await c.command('BOGUS'), /^-ERR Unknown command/);
    assert.match(await c.command('BOGUS'), /^-ERR Unknown command/);
    assert.equal(await c.readLine(), '-ERR Too many bad commands; closing the connection.');
    await c.closedByServer();
  });

  test('a pipelined flood of 5,000 commands is answered in order, and another session is served meanwhile', async () => {
    const c = await fresh();
    await c.command('USER alice@example.test');
    await c.command('PASS pw-alice');
    c.send('NOOP\r\nSTAT\r\n'.repeat(2500));
    const other = await fresh();
    assert.match(await other.command('CAPA'), /^\+OK/);
    other.close();
    for (let i = 0; i < 2500; i++) {
      assert.equal(await c.readLine(), '+OK');
      assert.match((await c.readLine())!, /^\+OK 3 \d+$/);
    }
    c.line('QUIT');
    assert.match((await c.readLine())!, /^\+OK/);
  });

  test('an idle client before login is disconnected after the pre-auth timeout', async () => {
    const c = await fresh();
    const t0 = Date.now();
    assert.equal(await c.readLine(3000), '-ERR Disconnected for inactivity.');
    await c.closedByServer();
    assert.ok(Date.now() - t0 >= 900);
  });

  test('connections past the per-IP cap are refused with [SYS/TEMP] while existing ones work', async () => {
    const held: LineClient[] = [];
    for (let i = 0; i < 30; i++) held.push(await LineClient.connect(server.port('pop3', 'starttls')));
    const refused = await LineClient.connect(server.port('pop3', 'starttls'));
    assert.equal(await refused.readLine(), '-ERR [SYS/TEMP] Too many connections from your address.');
    assert.match((await held[0]!.readLine())!, /^\+OK/);
    for (const h of held) h.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await LineClient.connect(server.port('pop3', 'starttls'));
    assert.match((await again.readLine())!, /^\+OK/);
    again.close();
  });

  test('the protocol log records the session with credentials replaced by ***', async () => {
    const c = await fresh();
    await c.command('USER alice@example.test');
    await c.command('PASS pw-alice');
    await c.command(`AUTH PLAIN ${Buffer.from('\0alice@example.test\0pw-alice').toString('base64')}`);
    c.line('QUIT'); await c.readLine();
    await new Promise((r) => setTimeout(r, 300));
    const path = join(server.dataDir, 'logs', 'pop3-protocol.log');
    assert.ok(existsSync(path));
    const log = readFileSync(path, 'utf8');
    assert.match(log, /USER alice@example\.test/);
    assert.match(log, /PASS \*\*\*/);
    assert.ok(!log.includes('pw-alice'), 'password never logged');
    assert.ok(!log.includes(Buffer.from('\0alice@example.test\0pw-alice').toString('base64')), 'SASL payload never logged');
  });
});
