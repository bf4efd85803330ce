// IMAP login over real sockets: LOGINDISABLED and [PRIVACYREQUIRED] before TLS under
// SecureLogin, STARTTLS and its command-injection case, strict ALPN, LOGIN with every login-name
// form, AUTHENTICATE PLAIN/LOGIN/SCRAM-SHA-256(-PLUS) with SASL-IR, delegation through the
// authorization identity, response codes, per-user+IP limits, and commands in the wrong state.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { TestServer, message } from '../../helpers/server.js';
import { createClientExchange } from '../../../src/wire/sasl/client.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function implicit(): Promise<ImapTestClient> {
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  return c;
}

async function plain(): Promise<{ c: ImapTestClient; greeting: string }> {
  const c = await ImapTestClient.connect(server.port('imap', 'starttls'));
  return { c, greeting: await c.greeting() };
}

function caps(line: string): string[] {
  const m = /CAPABILITY ([^\]\r\n]*)/.exec(line);
  return m ? m[1]!.split(' ') : [];
}

/** AUTHENTICATE with our SCRAM client; returns the tagged line. */
async function scram(c: ImapTestClient, mechanism: string, username: string, password: string, channelData?: Buffer, authzid?: string): Promise<string> {
  const ex = createClientExchange(mechanism, { username, password, ...(authzid ? { authzid } : {}), ...(channelData ? { channelBinding: { type: 'tls-exporter' as const, data: channelData } } : {}) })!;
  const tag = c.nextTag();
  c.send(`${tag} AUTHENTICATE ${mechanism} ${ex.initialResponse()!.toString('base64')}\r\n`);
  for (;;) {
    const line = (await c.readLine())!;
    if (line.startsWith('+ ')) {
      const step = ex.step(Buffer.from(line.slice(2), 'base64'));
      if (step.type === 'error') {
        c.send('*\r\n');
        continue;
      }
      c.send((step.type === 'respond' ? step.data.toString('base64') : '') + '\r\n');
      continue;
    }
    if (line.startsWith(tag + ' ')) {
      if (line.startsWith(`${tag} OK`)) assert.notEqual(ex.finish().type, 'error', 'the server proved it knows the key');
      return line;
    }
  }
}

describe('IMAP login', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pässwörd 1', domain: 'EXAMPLE', sam: 'asmith', alias: 'alice', upn: 'asmith@corp.example.test' });
    await server.addUser({ address: 'bob@example.test', password: 'pw-bob', domain: 'EXAMPLE' });
    await server.addUser({ address: 'sales@example.test', shared: true, alias: 'sales' });
    await server.addUser({ address: 'root@example.test', password: 'pw-root', admin: true });
    await server.addUser({ address: 'noimap@example.test', password: 'pw-x', domain: 'EXAMPLE' });
    await server.setUser('noimap@example.test', { imapEnabled: false });
    await server.grant('sales@example.test', 'alice@example.test');
    await server.deliver('alice@example.test', message('for alice'));
    for (let i = 0; i < 2; i++) await server.deliver('sales@example.test', message(`for sales ${i}`));
  });
  after(() => server.stop());

  test('the greeting carries the capabilities; before TLS: STARTTLS, LOGINDISABLED and only SCRAM', async () => {
    const { c, greeting } = await plain();
    assert.match(greeting, /^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*\] The postern IMAP4 service is ready\.$/);
    const list = caps(greeting);
    for (const cap of ['STARTTLS', 'LOGINDISABLED', 'SASL-IR', 'AUTH=SCRAM-SHA-256', 'LITERAL+', 'ID', 'ENABLE', 'IDLE']) assert.ok(list.includes(cap), cap);
    for (const cap of ['AUTH=PLAIN', 'AUTH=LOGIN', 'AUTH=SCRAM-SHA-256-PLUS']) assert.ok(!list.includes(cap), cap);
    c.close();
  });

  test('before TLS, LOGIN and AUTHENTICATE PLAIN get NO [PRIVACYREQUIRED] and no password prompt', async () => {
    const { c } = await plain();
    assert.match((await c.command('LOGIN bob pw-bob')).tagged, /^t1 NO \[PRIVACYREQUIRED\] /);
    assert.match((await c.command(`AUTHENTICATE PLAIN ${b64('\0bob\0pw-bob')}`)).tagged, /^t2 NO \[PRIVACYREQUIRED\] /);
    const r = await c.command('AUTHENTICATE LOGIN');
    assert.match(r.tagged, /NO \[PRIVACYREQUIRED\]/);
    assert.deepEqual(r.untagged, []);
    c.close();
  });

  test('SCRAM-SHA-256 is allowed before TLS (no password crosses the wire)', async () => {
    const { c } = await plain();
    assert.match(await scram(c, 'SCRAM-SHA-256', 'bob', 'pw-bob'), /^t1 OK \[CAPABILITY /);
    c.close();
  });

  test('STARTTLS upgrades; afterwards LOGIN works and STARTTLS is neither offered nor accepted', async () => {
    const { c } = await plain();
    assert.equal((await c.command('STARTTLS')).tagged, 't1 OK Begin TLS negotiation now.');
    await c.startTls();
    const list = caps((await c.ok('CAPABILITY')).untagged[0]!);
    assert.ok(!list.includes('STARTTLS') && !list.includes('LOGINDISABLED'));
    assert.ok(list.includes('AUTH=PLAIN') && list.includes('AUTH=SCRAM-SHA-256-PLUS'));
    assert.match((await c.command('STARTTLS')).tagged, /BAD/);
    const login = await c.login('bob', 'pw-bob');
    assert.match(login.tagged, /^t4 OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*IDLE.*\] Logged in$/);
    c.close();
  });

  test('commands pipelined after STARTTLS are thrown away, not run after the handshake (CVE-2011-0411 class)', async () => {
    const { c } = await plain();
    c.send('a STARTTLS\r\nb LOGIN bob pw-bob\r\n');
    assert.equal(await c.readLine(), 'a OK Begin TLS negotiation now.');
    await c.startTls();
    const r = await c.command('NOOP');
    assert.deepEqual(r.untagged, []);
    assert.equal(r.tagged, 't1 OK NOOP completed.');
    assert.match((await c.command('SELECT INBOX')).tagged, /^t2 BAD .*log in first/i, 'still not logged in');
    c.close();
  });

  test('a TLS client offering only a foreign ALPN protocol is refused; "imap" and no ALPN are served', async () => {
    await assert.rejects(ImapTestClient.connect(server.port('imap', 'tls'), { tls: true, alpn: ['http/1.1'] }));
    const ok = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true, alpn: ['imap'] });
    assert.equal((ok.socket as tls.TLSSocket).alpnProtocol, 'imap');
    assert.match(await ok.greeting(), /^\* OK/);
    ok.close();
  });

  test('every login-name form works, and invalid ones fail with [AUTHENTICATIONFAILED]', async () => {
    const cases: Array<[string, RegExp]> = [
      ['asmith', /OK/], ['EXAMPLE\\asmith', /OK/], ['example/asmith', /OK/], ['asmith@corp.example.test', /OK/],
      ['EXAMPLE\\asmith@corp.example.test', /OK/], ['alice@example.test', /NO \[AUTHENTICATIONFAILED\]/],
      ['EXAMPLE\\asmith\\sales@example.test', /NO \[AUTHENTICATIONFAILED\]/],
    ];
    for (const [name, expected] of cases) {
      const c = await implicit();
      assert.match((await c.command(`LOGIN "${name.replace(/\\/g, '\\\\')}" "pässwörd 1"`)).tagged, expected, name);
      c.close();
    }
  });

  test('domain\\user\\alias opens the delegated mailbox (FullAccess): its INBOX has its messages', async () => {
    const c = await implicit();
    await c.ok('LOGIN "EXAMPLE\\\\asmith\\\\sales" "pässwörd 1"');
    assert.ok((await c.ok('SELECT INBOX')).untagged.includes('* 2 EXISTS'));
    c.close();
  });

  test('SASL PLAIN with an authorization identity opens the delegated mailbox; without a grant it is refused', async () => {
    const c = await implicit();
    await c.ok(`AUTHENTICATE PLAIN ${b64('sales@example.test\0asmith\0pässwörd 1')}`);
    assert.ok((await c.ok('SELECT INBOX')).untagged.includes('* 2 EXISTS'));
    c.close();
    const d = await implicit();
    assert.match((await d.command(`AUTHENTICATE PLAIN ${b64('sales@example.test\0bob\0pw-bob')}`)).tagged, /NO \[AUTHORIZATIONFAILED\]/);
    d.close();
  });

  test('AUTHENTICATE PLAIN without an initial response asks with "+ " and takes the answer', async () => {
    const c = await implicit();
    c.send('a AUTHENTICATE PLAIN\r\n');
    assert.equal(await c.readLine(), '+ ');
    c.send(b64('\0bob\0pw-bob') + '\r\n');
    assert.match((await c.until('a')).tagged, /^a OK \[CAPABILITY/);
    c.close();
  });

  test('AUTHENTICATE LOGIN asks for the user name and password in base64', async () => {
    const c = await implicit();
    c.send('a AUTHENTICATE LOGIN\r\n');
    assert.equal(await c.readLine(), `+ ${b64('Username:')}`);
    c.send(b64('bob') + '\r\n');
    assert.equal(await c.readLine(), `+ ${b64('Password:')}`);
    c.send(b64('pw-bob') + '\r\n');
    assert.match((await c.until('a')).tagged, /^a OK/);
    c.close();
  });

  test('a cancelled AUTHENTICATE ("*") gets BAD and the session goes on', async () => {
    const c = await implicit();
    c.send('a AUTHENTICATE PLAIN\r\n');
    await c.readLine();
    c.send('*\r\n');
    assert.match((await c.until('a')).tagged, /^a BAD Authentication cancelled/);
    await c.login('bob', 'pw-bob');
    c.close();
  });

  test('SCRAM-SHA-256-PLUS binds to the TLS 1.3 channel; another channel\'s binding fails', async () => {
    const c = await implicit();
    const exporter = (c.socket as tls.TLSSocket).exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
    assert.match(await scram(c, 'SCRAM-SHA-256-PLUS', 'asmith', 'pässwörd 1', exporter), /^t1 OK/);
    c.close();
    const d = await implicit();
    assert.match(await scram(d, 'SCRAM-SHA-256-PLUS', 'asmith', 'pässwörd 1', Buffer.alloc(32, 7)), /NO/);
    d.close();
  });

  test('failures say why in response codes: wrong password, IMAP disabled, admin account, shared mailbox', async () => {
    const c = await implicit();
    assert.match((await c.command('LOGIN bob wrong')).tagged, /^t1 NO \[AUTHENTICATIONFAILED\] Authentication failed\.$/);
    assert.match((await c.command('LOGIN noimap pw-x')).tagged, /^t2 NO \[CONTACTADMIN\] IMAP access is disabled/);
    assert.match((await c.command('LOGIN root@example.test pw-root')).tagged, /^t3 NO \[CONTACTADMIN\] Administrator accounts may not use IMAP/);
    assert.match((await c.command('LOGIN sales@example.test x')).tagged, /^t4 NO \[AUTHENTICATIONFAILED\]/);
    c.close();
  });

  test('LOGIN with literals (RFC 9051 §6.2.3) gets "+" continuations', async () => {
    const c = await implicit();
    c.send('a LOGIN {3}\r\n');
    assert.match((await c.readLine())!, /^\+ /);
    c.send('bob {6}\r\n');
    assert.match((await c.readLine())!, /^\+ /);
    c.send('pw-bob\r\n');
    assert.match((await c.until('a')).tagged, /^a OK/);
    c.close();
  });

  test('commands in the wrong state get BAD, and logging in twice is refused', async () => {
    const c = await implicit();
    assert.match((await c.command('SELECT INBOX')).tagged, /^t1 BAD SELECT needs an authenticated session/);
    assert.match((await c.command('FETCH 1 FLAGS')).tagged, /^t2 BAD/);
    assert.match((await c.command('ENABLE CONDSTORE')).tagged, /^t3 BAD/);
    await c.login('bob', 'pw-bob');
    assert.match((await c.command('LOGIN bob pw-bob')).tagged, /^t5 BAD/);
    assert.match((await c.command('FETCH 1 FLAGS')).tagged, /^t6 BAD FETCH needs a selected mailbox/);
    assert.match((await c.command('STARTTLS')).tagged, /^t7 BAD/);
    c.close();
  });

  test('LOGOUT says BYE, completes, and closes', async () => {
    const c = await implicit();
    const r = await c.command('LOGOUT');
    assert.deepEqual(r.untagged, ['* BYE Logging out']);
    assert.equal(r.tagged, 't1 OK Logout completed.');
    await c.closedByServer();
  });

  test('ID answers with the server name', async () => {
    const c = await implicit();
    const r = await c.ok('ID ("name" "test-client" "version" "1")');
    assert.match(r.untagged[0]!, /^\* ID \("name" "postern"/);
    c.close();
  });
});

describe('IMAP LoginTypes and limits', () => {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ config: { imap: { loginType: 'PlainTextAuthentication', maxConnectionsPerUserIp: 2 } } });
    await srv.addUser({ address: 'bob@example.test', password: 'pw-bob', domain: 'EXAMPLE' });
  });
  after(() => srv.stop());

  test('PlainTextAuthentication: LOGIN is refused even over TLS with [CANNOT]; AUTHENTICATE PLAIN works', async () => {
    const c = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    const list = caps(await c.greeting());
    assert.ok(list.includes('LOGINDISABLED') && list.includes('AUTH=PLAIN'));
    assert.match((await c.command('LOGIN bob pw-bob')).tagged, /NO \[CANNOT\]/);
    await c.ok(`AUTHENTICATE PLAIN ${b64('\0bob\0pw-bob')}`);
    c.close();
  });

  test('sessions per user and address are capped (mail_max_userip_connections)', async () => {
    const open: ImapTestClient[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
      await c.greeting();
      await c.ok(`AUTHENTICATE PLAIN ${b64('\0bob\0pw-bob')}`);
      open.push(c);
    }
    const third = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    await third.greeting();
    assert.match((await third.command(`AUTHENTICATE PLAIN ${b64('\0bob\0pw-bob')}`)).tagged, /NO \[UNAVAILABLE\] Maximum number of connections/);
    open[0]!.close();
    await new Promise((r) => setTimeout(r, 100));
    await third.ok(`AUTHENTICATE PLAIN ${b64('\0bob\0pw-bob')}`);
    third.close();
    open[1]!.close();
  });
});

describe('IMAP protocol log', () => {
  let srv: TestServer;
  before(async () => {
    srv = await TestServer.start({ config: { imap: { protocolLog: true } } });
    await srv.addUser({ address: 'bob@example.test', password: 'Secret-Pw-1', domain: 'EXAMPLE' });
  });
  after(() => srv.stop());

  test('commands and replies are logged, credentials never: LOGIN, literal passwords and SASL payloads show as ***', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const c = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    await c.greeting();
    await c.ok('LOGIN bob Secret-Pw-1');
    c.close();
    const d = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    await d.greeting();
    await d.ok(`AUTHENTICATE PLAIN ${b64('\0bob\0Secret-Pw-1')}`);
    await d.ok('SELECT INBOX');
    d.close();
    const e = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    await e.greeting();
    e.send('x LOGIN bob {11+}\r\nSecret-Pw-1\r\n');
    assert.match((await e.until('x')).tagged, /^x OK/);
    e.close();
    const f = await ImapTestClient.connect(srv.port('imap', 'tls'), { tls: true });
    await f.greeting();
    f.send('y AUTHENTICATE PLAIN\r\n');
    assert.equal(await f.readLine(), '+ ');
    f.send(b64('\0bob\0Secret-Pw-1') + '\r\n');
    assert.match((await f.until('y')).tagged, /^y OK/);
    f.close();
    await new Promise((r) => setTimeout(r, 300));
    const log = readFileSync(join(srv.dataDir, 'logs', 'imap-protocol.log'), 'utf8');
    assert.ok(log.includes('SELECT INBOX'), 'commands are logged');
    assert.ok(log.includes('LOGIN ***'));
    assert.ok(!log.includes('Secret-Pw-1'), 'no password');
    assert.ok(!log.includes(b64('\0bob\0Secret-Pw-1')), 'no SASL payload');
  });
});
