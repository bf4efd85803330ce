// The CLI contract (DESIGN §2) driven as scripts drive it: exit codes, stdout, one-sentence
// errors on stderr, and changes a running server sees without a restart.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { stringify } from 'yaml';
import { postern, spawnServer, stopChild } from '../helpers/cli.js';
import { testConfig } from '../helpers/server.js';
import { LineClient } from '../helpers/line-client.js';

let data: string;
const D = () => ['--data', data];

describe('postern admin commands', () => {
  let server: { child: ChildProcess; listeners: Array<{ protocol: string; security: string; port: number }> } | null = null;
  before(() => {
    data = mkdtempSync(join(tmpdir(), 'postern-cli-'));
    writeFileSync(join(data, 'postern.yaml'), stringify(testConfig({})));
  });
  after(async () => { if (server) await stopChild(server.child); });

  test('user add with --password-stdin reads one line, the newline not included', async () => {
    const r = await postern(['user', 'add', 'alice@example.test', '--password-stdin', '--domain', 'EXAMPLE', ...D()], { input: 'pw-alice\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Added alice@example\.test \(login as EXAMPLE\\alice or alice@example\.test\)/);
  });

  test('user add of an existing address fails with one sentence and exit 1', async () => {
    const r = await postern(['user', 'add', 'alice@example.test', ...D()]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'postern: alice@example.test exists already: use "postern user set" to change it.\n');
  });

  test('user add refuses a malformed address', async () => {
    const r = await postern(['user', 'add', 'not-an-address', ...D()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is not an email address/);
  });

  test('shared mailbox, FullAccess grant and user list --json', async () => {
    assert.equal((await postern(['user', 'add', 'sales@example.test', '--shared', '--alias', 'sales', ...D()])).code, 0);
    const g = await postern(['permission', 'add', 'sales@example.test', '--user', 'alice@example.test', '--access', 'full', ...D()]);
    assert.equal(g.code, 0, g.stderr);
    const bad = await postern(['permission', 'add', 'sales@example.test', '--user', 'alice@example.test', '--access', 'read', ...D()]);
    assert.equal(bad.code, 1);
    const list = await postern(['user', 'list', '--json', ...D()]);
    const users = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
    const alice = users.find((u) => u.address === 'alice@example.test')!;
    const sales = users.find((u) => u.address === 'sales@example.test')!;
    assert.deepEqual(alice.fullAccessFor, ['sales@example.test']);
    assert.equal(alice.upn, 'alice@example.test');
    assert.equal(alice.domain, 'EXAMPLE');
    assert.equal(alice.sam, 'alice');
    assert.equal(sales.shared, true);
    assert.equal(sales.domain, 'EXAMPLE', 'default domain: first label of the address domain, upper-case');
    assert.ok(!JSON.stringify(users).includes('scrypt'), 'no hashes in the listing');
  });

  test('deliver reads a message from stdin; an unknown recipient fails', async () => {
    const r = await postern(['deliver', 'alice@example.test', ...D()], { input: 'Subject: cli\r\n\r\nbody\r\n' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Delivered to alice@example\.test INBOX \(UID 1\)/);
    const unknown = await postern(['deliver', 'nobody@example.test', ...D()], { input: 'Subject: x\r\n\r\nx\r\n' });
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'postern: No mailbox for nobody@example.test.\n');
  });

  test('settings get prints the Get-PopSettings shape, and --json the same fields', async () => {
    const r = await postern(['settings', 'get', 'pop3', ...D()]);
    assert.equal(r.code, 0, r.stderr);
    for (const field of ['ProtocolName', 'UnencryptedOrTLSBindings', 'SSLBindings', 'X509CertificateName', 'Banner', 'LoginType', 'AuthenticatedConnectionTimeout', 'PreAuthenticatedConnectionTimeout', 'ProtocolLogEnabled']) {
      assert.match(r.stdout, new RegExp(`^${field} +: `, 'm'), field);
    }
    assert.match(r.stdout, /^ProtocolName +: POP3$/m);
    assert.match(r.stdout, /^LoginType +: SecureLogin$/m);
    assert.match(r.stdout, /^AuthenticatedConnectionTimeout +: 00:30:00$/m);
    assert.match(r.stdout, /^PreAuthenticatedConnectionTimeout +: 00:01:00$/m);
    const j = JSON.parse((await postern(['settings', 'get', 'pop3', '--json', ...D()])).stdout);
    assert.equal(j.ProtocolName, 'POP3');
    assert.deepEqual(j.SSLBindings, ['127.0.0.1:0']);
    assert.equal(j.ProtocolLogEnabled, false);
  });

  test('settings set refuses a bad value naming the allowed ones, and leaves the file alone', async () => {
    const before = readFileSync(join(data, 'postern.yaml'), 'utf8');
    const r = await postern(['settings', 'set', 'pop3', '--login-type', 'Secure', ...D()]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pop3\.loginType: must be one of SecureLogin \| PlainTextAuthentication \| PlainTextLogin/);
    assert.equal(readFileSync(join(data, 'postern.yaml'), 'utf8'), before);
    const unknown = await postern(['settings', 'set', 'pop3', '--login-tpye', 'SecureLogin', ...D()]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /pop3\.loginTpye/);
  });

  test('a running server applies settings set and user set to the next connection, without a restart', async () => {
    server = await spawnServer(['--data', data], data);
    const port = server.listeners.find((l) => l.protocol === 'pop3' && l.security === 'starttls')!.port;
    const first = await LineClient.connect(port);
    assert.equal(await first.readLine(), '+OK The postern POP3 service is ready.');
    first.close();
    const r = await postern(['settings', 'set', 'pop3', '--banner', 'Hello from the changed banner', '--login-type', 'PlainTextLogin', ...D()]);
    assert.equal(r.code, 0, r.stderr);
    let banner = '';
    for (let i = 0; i < 40 && banner !== '+OK Hello from the changed banner'; i++) {
      await new Promise((res) => setTimeout(res, 250));
      const c = await LineClient.connect(port);
      banner = (await c.readLine()) ?? '';
      c.close();
    }
    assert.equal(banner, '+OK Hello from the changed banner');
    const c = await LineClient.connect(port);
    await c.readLine();
    assert.match(await c.command('USER alice@example.test'), /^\+OK/, 'PlainTextLogin now allows USER without TLS');
    assert.match(await c.command('PASS pw-alice'), /^\+OK Logged in/);
    c.line('QUIT'); await c.readLine();
    assert.equal((await postern(['user', 'set', 'alice@example.test', '--pop-enabled', 'false', ...D()])).code, 0);
    const d = await LineClient.connect(port);
    await d.readLine();
    await d.command('USER alice@example.test');
    assert.match(await d.command('PASS pw-alice'), /^-ERR \[AUTH\] POP3 access is disabled/);
    d.close();
    const bad = await postern(['user', 'set', 'alice@example.test', '--pop-enabled', 'maybe', ...D()]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--pop-enabled takes true or false/);
  });

  test('user remove deletes the account', async () => {
    assert.equal((await postern(['user', 'add', 'temp@example.test', ...D()])).code, 0);
    assert.equal((await postern(['user', 'remove', 'temp@example.test', ...D()])).code, 0);
    const list = JSON.parse((await postern(['user', 'list', '--json', ...D()])).stdout) as Array<{ address: string }>;
    assert.ok(!list.some((u) => u.address === 'temp@example.test'));
    const again = await postern(['user', 'remove', 'temp@example.test', ...D()]);
    assert.equal(again.code, 1);
  });
});

describe('postern init and config errors', () => {
  test('init makes postern.yaml, the store and the self-signed certificate; a second init refuses', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'postern-init-')), 'data');
    const r = await postern(['init', '--data', dir, '--hostname', 'mail.example.test']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(join(dir, 'postern.yaml')));
    assert.ok(existsSync(join(dir, 'postern.sqlite')));
    assert.ok(existsSync(join(dir, 'tls', 'cert.pem')) && existsSync(join(dir, 'tls', 'key.pem')));
    const s = await postern(['settings', 'get', 'imap', '--data', dir]);
    assert.match(s.stdout, /^X509CertificateName +: mail\.example\.test$/m);
    const again = await postern(['init', '--data', dir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists already/);
  });

  test('serve with a bad config exits non-zero naming the key and what is allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'postern-bad-'));
    writeFileSync(join(dir, 'postern.yaml'), 'pop3:\n  loginType: Plain\n  bogus: 1\n');
    const r = await postern(['serve', '--data', dir]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /pop3\.loginType: must be one of/);
    assert.match(r.stderr, /unknown key pop3\.bogus/);
  });

  test('serve on a port already taken fails with a sentence saying what to do', async () => {
    const net = await import('node:net');
    const blocker = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'postern-busy-'));
    writeFileSync(join(dir, 'postern.yaml'), stringify(testConfig({ pop3: { unencryptedOrTLSBindings: [`127.0.0.1:${port}`] } })));
    const r = await postern(['serve', '--data', dir]);
    blocker.close();
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot listen for pop3 on 127\\.0\\.0\\.1:${port}: another program listens there`));
  });

  test('an unknown command prints help-style guidance and exits non-zero', async () => {
    const r = await postern(['frobnicate']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unknown command/);
  });
});
