// POP3 over real sockets: every transaction command and its errors (RFC 1939).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { LineClient } from '../../helpers/line-client.js';

let server: TestServer;

async function login(user = 'alice@example.test', password = 'pw-alice'): Promise<LineClient> {
  const c = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
  assert.match((await c.readLine())!, /^\+OK The postern POP3 service is ready\.$/);
  assert.match(await c.command(`USER ${user}`), /^\+OK/);
  assert.match(await c.command(`PASS ${password}`), /^\+OK Logged in/);
  return c;
}

describe('POP3 transaction state', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice', domain: 'EXAMPLE' });
    await server.deliver('alice@example.test', message('first', 'line one\r\n.starts with a dot\r\n.\r\nend\r\n'));
    await server.deliver('alice@example.test', message('second', 'a\r\nb\r\nc\r\nd\r\n'));
    await server.deliver('alice@example.test', 'Subject: bare LF\n\nbody with LF endings\n');
  });
  after(() => server.stop());

  test('STAT, LIST and UIDL report each message with its exact size', async () => {
    const c = await login();
    const records = await server.store.listMessages((await server.store.getMailbox((await server.store.findAccountByAddress('alice@example.test'))!.id, 'INBOX'))!.id);
    const total = records.reduce((n, r) => n + r.size, 0);
    assert.equal(await c.command('STAT'), `+OK 3 ${total}`);
    assert.match(await c.command('LIST'), /^\+OK 3 messages/);
    assert.deepEqual(await c.readDotBody(), records.map((r, i) => `${i + 1} ${r.size}`));
    assert.equal(await c.command('LIST 2'), `+OK 2 ${records[1]!.size}`);
    assert.match(await c.command('UIDL'), /^\+OK/);
    const uidl = await c.readDotBody();
    assert.equal(uidl.length, 3);
    assert.equal(new Set(uidl.map((l) => l.split(' ')[1])).size, 3, 'unique-ids differ');
    assert.match(await c.command('UIDL 1'), /^\+OK 1 [\x21-\x7e]{1,70}$/);
    c.line('QUIT'); await c.readLine();
  });

  test('unique-ids are the same in the next session', async () => {
    const a = await login();
    a.line('UIDL'); await a.readLine(); const first = await a.readDotBody();
    a.line('QUIT'); await a.readLine();
    const b = await login();
    b.line('UIDL'); await b.readLine(); const second = await b.readDotBody();
    b.line('QUIT'); await b.readLine();
    assert.deepEqual(first, second);
  });

  test('RETR returns the message byte for byte once un-stuffed, dots and all', async () => {
    const c = await login();
    assert.match(await c.command('RETR 1'), /^\+OK \d+ octets$/);
    const lines = await c.readDotBody();
    const text = lines.join('\r\n') + '\r\n';
    assert.ok(text.includes('\r\nline one\r\n.starts with a dot\r\n.\r\nend\r\n'), text);
    assert.match(await c.command('RETR 3'), /^\+OK/);
    assert.deepEqual((await c.readDotBody()).slice(-1), ['body with LF endings'], 'bare LF stored as CRLF');
    c.line('QUIT'); await c.readLine();
  });

  test('on the wire: dotted lines of RETR and TOP are stuffed, a clean message is sent as stored', async () => {
    const c = await login();
    const rawLines = async () => {
      const out: string[] = [];
      for (let l = await c.readLine(); l !== '.'; l = await c.readLine()) out.push(l!);
      return out;
    };
    for (const cmd of ['RETR 1', 'TOP 1 3']) {
      assert.match(await c.command(cmd), /^\+OK/);
      const wire = await rawLines();
      assert.deepEqual(wire.slice(-3), cmd === 'RETR 1' ? ['..starts with a dot', '..', 'end'] : ['line one', '..starts with a dot', '..'], cmd);
    }
    const records = await server.store.listMessages((await server.store.getMailbox((await server.store.findAccountByAddress('alice@example.test'))!.id, 'INBOX'))!.id);
    const stored = (await server.store.readBlob(records[1]!.blobId)).toString('latin1');
    assert.match(await c.command('RETR 2'), /^\+OK/);
    assert.equal((await rawLines()).join('\r\n') + '\r\n', stored);
    c.line('QUIT'); await c.readLine();
  });

  test('TOP returns the header and the asked number of body lines', async () => {
    const c = await login();
    assert.match(await c.command('TOP 2 2'), /^\+OK/);
    const lines = await c.readDotBody();
    const blank = lines.indexOf('');
    assert.ok(blank > 0);
    assert.deepEqual(lines.slice(blank + 1), ['a', 'b']);
    c.line('QUIT'); await c.readLine();
  });

  test('errors: missing message, deleted message, bad arguments, commands of the other state', async () => {
    const c = await login();
    assert.equal(await c.command('RETR 9'), '-ERR No such message.');
    assert.equal(await c.command('LIST 9'), '-ERR No such message.');
    assert.match(await c.command('DELE 1'), /^\+OK/);
    assert.equal(await c.command('DELE 1'), '-ERR Message is deleted.');
    assert.equal(await c.command('RETR 1'), '-ERR Message is deleted.');
    assert.match(await c.command('RETR x'), /^-ERR Invalid message number/);
    assert.match(await c.command('TOP 1'), /^-ERR TOP needs/);
    assert.match(await c.command('USER bob'), /^-ERR USER is not valid after login/);
    assert.match(await c.command('STLS'), /^-ERR STLS is not valid after login/);
    assert.match(await c.command('FOO'), /^-ERR Unknown command/);
    assert.equal(await c.command('NOOP'), '+OK');
    assert.match(await c.command('RSET'), /^\+OK 3 messages/);
    assert.equal(await c.command('RSET'), (await c.command('RSET')));
    c.line('QUIT'); assert.match((await c.readLine())!, /^\+OK Logging out/);
    await c.closedByServer();
  });

  test('CAPA after login lists TOP and UIDL but not USER, SASL or STLS', async () => {
    const c = await login();
    assert.match(await c.command('CAPA'), /^\+OK/);
    const caps = await c.readDotBody();
    assert.ok(caps.includes('TOP') && caps.includes('UIDL') && caps.includes('PIPELINING') && caps.includes('RESP-CODES'));
    assert.ok(!caps.includes('USER') && !caps.some((l) => l.startsWith('SASL')) && !caps.includes('STLS'));
    c.line('QUIT'); await c.readLine();
  });
});

describe('POP3 deletion semantics', () => {
  before(async () => {
    server = await TestServer.start();
    await server.addUser({ address: 'alice@example.test', password: 'pw-alice' });
    for (let i = 1; i <= 4; i++) await server.deliver('alice@example.test', message(`m${i}`));
  });
  after(() => server.stop());

  test('a dropped connection after DELE deletes nothing', async () => {
    const c = await login();
    assert.match(await c.command('DELE 1'), /^\+OK/);
    assert.match(await c.command('DELE 2'), /^\+OK/);
    c.close();
    await new Promise((r) => setTimeout(r, 100));
    const d = await login();
    assert.match(await d.command('STAT'), /^\+OK 4 /);
    d.line('QUIT'); await d.readLine();
  });

  test('RSET undoes DELE; QUIT removes only what is still marked', async () => {
    const c = await login();
    await c.command('DELE 1');
    await c.command('RSET');
    await c.command('DELE 4');
    assert.match(await c.command('STAT'), /^\+OK 3 /);
    assert.equal(await c.command('QUIT'), '+OK Logging out, 1 message deleted.');
    const d = await login();
    assert.match(await d.command('STAT'), /^\+OK 3 /);
    d.line('LIST'); await d.readLine();
    assert.equal((await d.readDotBody()).length, 3);
    d.line('QUIT'); await d.readLine();
  });

  test('a second session on the same maildrop gets [IN-USE] and the first keeps working', async () => {
    const a = await login();
    const b = await LineClient.connect(server.port('pop3', 'tls'), { tls: true });
    await b.readLine();
    await b.command('USER alice@example.test');
    assert.match(await b.command('PASS pw-alice'), /^-ERR \[IN-USE\]/);
    assert.match(await a.command('STAT'), /^\+OK/);
    a.line('QUIT'); await a.readLine();
    await new Promise((r) => setTimeout(r, 50));
    // once the first session is gone the lock is free
    assert.match(await b.command('USER alice@example.test'), /^\+OK/);
    assert.match(await b.command('PASS pw-alice'), /^\+OK Logged in/);
    b.line('QUIT'); await b.readLine();
  });

  test('mail survives a server restart', async () => {
    const before = await login();
    const stat = await before.command('STAT');
    before.line('QUIT'); await before.readLine();
    await server.restart();
    const c = await login();
    assert.equal(await c.command('STAT'), stat);
    c.line('QUIT'); await c.readLine();
  });
});
