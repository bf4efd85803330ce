// RFC 3502 MULTIAPPEND over real sockets: several messages in one APPEND are stored all or
// none, in order, each with its own flags and date, and APPENDUID names their UIDs. A command
// carrying more than twice APPENDLIMIT is refused before it is buffered.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer, message } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;
const LIMIT = 2048;

async function login(): Promise<ImapTestClient> {
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  await c.login('mia', 'pw-mia');
  return c;
}

/** One append-message with a non-synchronizing literal (LITERAL+). */
const part = (text: string, opts = '') => `${opts ? opts + ' ' : ''}{${Buffer.byteLength(text)}+}\r\n${text}`;

describe('IMAP MULTIAPPEND (RFC 3502)', () => {
  before(async () => {
    server = await TestServer.start({ config: { limits: { maxMessageSize: LIMIT } } });
    await server.addUser({ address: 'mia@example.test', password: 'pw-mia' });
  });
  after(() => server.stop());

  test('MULTIAPPEND is advertised after login', async () => {
    const c = await login();
    assert.match((await c.ok('CAPABILITY')).untagged[0]!, / MULTIAPPEND( |$)/);
    c.close();
  });

  test('three messages in one APPEND: stored in order with their flags and dates, one APPENDUID set', async () => {
    const c = await login();
    await c.ok('CREATE Batch');
    const r = await c.ok(`APPEND Batch ${part(message('m1'), '(\\Seen)')} ${part(message('m2'))} ${part(message('m3'), '(\\Flagged $Work) "17-Jul-1996 02:44:25 -0700"')}`);
    const [, validity, set] = /\[APPENDUID (\d+) (\S+)\]/.exec(r.tagged)!;
    assert.equal(set, '1:3');
    await c.ok('SELECT Batch');
    const f = (await c.ok('FETCH 1:* (UID FLAGS INTERNALDATE BODY.PEEK[HEADER.FIELDS (SUBJECT)])')).all;
    const flags = [...f.matchAll(/FLAGS \(([^)]*)\)/g)].map((m) => m[1]!.split(' ').filter((x) => x && x !== '\\Recent').sort());
    assert.deepEqual(flags, [['\\Seen'], [], ['$Work', '\\Flagged']]);
    assert.match(f, /Subject: m1[\s\S]*Subject: m2[\s\S]*Subject: m3/);
    assert.match(f, /\* 3 FETCH \(UID 3 [^\n]*INTERNALDATE "17-Jul-1996 09:44:25 \+0000"/);
    assert.match((await c.ok('STATUS Batch (UIDVALIDITY MESSAGES)')).untagged[0]!, new RegExp(`UIDVALIDITY ${validity} MESSAGES 3`));
    c.close();
  });

  test('all or none: an empty or badly flagged message in the middle stores nothing', async () => {
    const c = await login();
    await c.ok('CREATE AllOrNone');
    assert.match((await c.command(`APPEND AllOrNone ${part(message('ok'))} {0+}\r\n ${part(message('ok too'))}`)).tagged, /NO \[CANNOT\]/);
    assert.match((await c.command(`APPEND AllOrNone ${part(message('ok'))} ${part(message('bad flag'), '(\\Recent \\Nonsense)')}`)).tagged, /BAD/);
    assert.match((await c.ok('STATUS AllOrNone (MESSAGES)')).untagged[0]!, /MESSAGES 0/);
    c.close();
  });

  test('more than twice APPENDLIMIT in one command is refused with [TOOBIG]; the session goes on', async () => {
    const c = await login();
    await c.ok('CREATE Big');
    const each = message('big', 'x'.repeat(1500) + '\r\n');
    assert.ok(Buffer.byteLength(each) < LIMIT && 3 * Buffer.byteLength(each) > 2 * LIMIT);
    const r = await c.command(`APPEND Big ${part(each)} ${part(each)} ${part(each)}`);
    assert.match(r.all, /\[TOOBIG\] Too much in one APPEND/);
    await c.ok('NOOP');
    assert.match((await c.ok('STATUS Big (MESSAGES)')).untagged[0]!, /MESSAGES 0/);
    const two = await c.ok(`APPEND Big ${part(each)} ${part(each)}`);
    assert.match(two.tagged, /APPENDUID \d+ 1:2/);
    c.close();
  });
});
