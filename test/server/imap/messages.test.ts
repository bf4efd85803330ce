// IMAP message commands over real sockets: APPEND (APPENDUID, flags, date, LITERAL+, literal8,
// APPENDLIMIT, TRYCREATE), FETCH (every data item, sections, partials, BINARY, implicit \Seen),
// STORE (with UNCHANGEDSINCE), COPY/MOVE with COPYUID, EXPUNGE/UID EXPUNGE, CLOSE, UNSELECT,
// EXAMINE read-only, and COMPRESS=DEFLATE.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TestServer } from '../../helpers/server.js';
import { ImapTestClient } from './imap-client.js';

let server: TestServer;
let userNo = 0;

/** A fresh user (so tests do not see each other's messages), logged in over implicit TLS. */
async function freshUser(): Promise<{ c: ImapTestClient; address: string }> {
  const address = `u${++userNo}@example.test`;
  await server.addUser({ address, password: 'pw', domain: 'EXAMPLE' });
  const c = await ImapTestClient.connect(server.port('imap', 'tls'), { tls: true });
  await c.greeting();
  await c.login(address, 'pw');
  return { c, address };
}

const MULTI = [
  'From: "Fred Foobar" <foobar@Blurdybloop.example>',
  'To: mooch@owatagu.siam.edu.example',
  'Subject: afternoon meeting',
  'Date: Mon, 7 Feb 1994 21:52:25 -0800',
  'Message-Id: <B27397-0100000@Blurdybloop.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="XX"',
  '',
  'preamble',
  '--XX',
  'Content-Type: text/plain; charset=utf-8',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'caf=C3=A9 at 3:30?',
  '--XX',
  'Content-Type: application/octet-stream; name="data.bin"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="data.bin"',
  '',
  'AAECAwAF',
  '--XX',
  'Content-Type: message/rfc822',
  '',
  'Subject: inner',
  'From: x@y.example',
  '',
  'inner body',
  '--XX--',
  '',
].join('\r\n');

async function append(c: ImapTestClient, msg: string, extra = ''): Promise<number> {
  const bytes = Buffer.from(msg, 'utf8');
  const r = await c.ok(`APPEND INBOX ${extra}{${bytes.length}+}\r\n${msg}`);
  return Number(/APPENDUID \d+ (\d+)/.exec(r.tagged)![1]);
}

describe('IMAP messages', () => {
  before(async () => {
    server = await TestServer.start({ config: { limits: { maxMessageSize: 200_000 } } });
  });
  after(() => server.stop());

  test('APPEND with flags and date answers APPENDUID; FETCH shows them back', async () => {
    const { c } = await freshUser();
    const r = await c.ok('APPEND INBOX (\\Seen $Label1) "17-Jul-1996 02:44:25 -0700" {26+}\r\nSubject: hi\r\n\r\nhello there');
    assert.match(r.tagged, /^t\d+ OK \[APPENDUID \d+ 1\] Append completed\.$/);
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)');
    assert.deepEqual(f.untagged, ['* 1 FETCH (FLAGS ($Label1 \\Seen \\Recent) INTERNALDATE "17-Jul-1996 09:44:25 +0000" RFC822.SIZE 26 UID 1)']);
    c.close();
  });

  test('APPEND with a synchronizing literal waits for "+ go ahead"', async () => {
    const { c } = await freshUser();
    c.send('a APPEND INBOX {14}\r\n');
    assert.equal(await c.readLine(), '+ go ahead');
    c.send('Subject: x\r\n\r\n\r\n');
    assert.match((await c.until('a')).tagged, /^a OK \[APPENDUID/);
    c.close();
  });

  test('APPEND over APPENDLIMIT: a synchronizing literal gets NO [TOOBIG] before any byte is sent', async () => {
    const { c } = await freshUser();
    assert.ok((await c.ok('CAPABILITY')).untagged[0]!.includes('APPENDLIMIT=200000'));
    c.send('a APPEND INBOX {300000}\r\n');
    assert.equal(await c.readLine(), 'a NO [TOOBIG] Message too large (over 200000 octets).');
    await c.ok('NOOP');
    c.close();
  });

  test('APPEND over APPENDLIMIT with LITERAL+: BAD [TOOBIG], the bytes are skipped, the session stays in step', async () => {
    const { c } = await freshUser();
    const big = 'Subject: big\r\n\r\n' + 'y'.repeat(300_000);
    c.send(`a APPEND INBOX {${big.length}+}\r\n${big}\r\n`);
    assert.match((await c.until('a')).tagged, /^a BAD \[TOOBIG\]/);
    await c.ok('NOOP');
    assert.match((await c.ok('STATUS INBOX (MESSAGES)')).untagged[0]!, /MESSAGES 0/);
    c.close();
  });

  test('APPEND to a mailbox that does not exist gets NO [TRYCREATE]; an empty message is refused', async () => {
    const { c } = await freshUser();
    assert.match((await c.command('APPEND Nowhere {7+}\r\nSubj: x')).tagged, /NO \[TRYCREATE\]/);
    assert.match((await c.command('APPEND INBOX {0+}\r\n')).tagged, /NO/);
    c.close();
  });

  test('APPEND of binary data as literal8 keeps every byte (RFC 3516)', async () => {
    const { c } = await freshUser();
    const body = Buffer.concat([Buffer.from('Subject: bin\r\nContent-Transfer-Encoding: binary\r\n\r\n'), Buffer.from([0, 1, 2, 0xff, 0, 13, 10])]);
    c.send(Buffer.concat([Buffer.from(`a APPEND INBOX ~{${body.length}+}\r\n`), body, Buffer.from('\r\n')]));
    assert.match((await c.until('a')).tagged, /^a OK/);
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 BINARY.PEEK[1]');
    assert.ok(f.untagged[0]!.startsWith('* 1 FETCH (BINARY[1] ~{7}\r\n'), JSON.stringify(f.untagged[0]));
    assert.ok(Buffer.from(f.untagged[0]!, 'latin1').includes(Buffer.from([0, 1, 2, 0xff, 0, 13, 10])));
    c.close();
  });

  test('FETCH ENVELOPE, BODY and BODYSTRUCTURE of a multipart message', async () => {
    const { c } = await freshUser();
    await append(c, MULTI);
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 (ENVELOPE BODYSTRUCTURE)');
    const line = f.untagged[0]!;
    assert.ok(line.includes('ENVELOPE ("Mon, 7 Feb 1994 21:52:25 -0800" "afternoon meeting" (("Fred Foobar" NIL "foobar" "Blurdybloop.example"))'), line);
    assert.ok(line.includes('BODYSTRUCTURE (("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" 18 0 NIL NIL NIL NIL)'), line);
    assert.ok(line.includes('("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" 8 NIL ("attachment" ("filename" "data.bin")) NIL NIL)'), line);
    assert.ok(line.includes('("message" "rfc822" NIL NIL NIL "7bit" 47 (NIL "inner" ((NIL NIL "x" "y.example"))'), line);
    assert.ok(line.endsWith(' "mixed" ("boundary" "XX") NIL NIL NIL))'), line);
    const b = await c.ok('FETCH 1 BODY');
    assert.match(b.untagged[0]!, /^\* 1 FETCH \(BODY \(\("text" "plain" \("charset" "utf-8"\) NIL NIL "quoted-printable" 18 0\)/);
    c.close();
  });

  test('FETCH BODY[section]: parts, MIME headers, encapsulated HEADER/TEXT, HEADER.FIELDS(.NOT), partials', async () => {
    const { c } = await freshUser();
    await append(c, MULTI);
    await c.ok('SELECT INBOX');
    const get = async (item: string) => (await c.ok(`FETCH 1 (${item})`)).untagged[0]!;
    assert.equal(await get('BODY.PEEK[1]'), '* 1 FETCH (BODY[1] {18}\r\ncaf=C3=A9 at 3:30?)');
    assert.equal(await get('BODY.PEEK[1.MIME]'), '* 1 FETCH (BODY[1.MIME] {88}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n)');
    assert.equal(await get('BODY.PEEK[3.HEADER]'), '* 1 FETCH (BODY[3.HEADER] {37}\r\nSubject: inner\r\nFrom: x@y.example\r\n\r\n)');
    assert.equal(await get('BODY.PEEK[3.TEXT]'), '* 1 FETCH (BODY[3.TEXT] {10}\r\ninner body)');
    assert.equal(await get('BODY.PEEK[3.1]'), '* 1 FETCH (BODY[3.1] {10}\r\ninner body)');
    assert.equal(await get('BODY.PEEK[HEADER.FIELDS (subject TO)]'), '* 1 FETCH (BODY[HEADER.FIELDS (SUBJECT TO)] {66}\r\nTo: mooch@owatagu.siam.edu.example\r\nSubject: afternoon meeting\r\n\r\n)');
    const not = await get('BODY.PEEK[HEADER.FIELDS.NOT (Content-Type MIME-Version Date Message-Id From)]');
    assert.equal(not, '* 1 FETCH (BODY[HEADER.FIELDS.NOT (CONTENT-TYPE MIME-VERSION DATE MESSAGE-ID FROM)] {66}\r\nTo: mooch@owatagu.siam.edu.example\r\nSubject: afternoon meeting\r\n\r\n)');
    assert.equal(await get('BODY.PEEK[1]<0.4>'), '* 1 FETCH (BODY[1]<0> {4}\r\ncaf=)');
    assert.equal(await get('BODY.PEEK[1]<16.100>'), '* 1 FETCH (BODY[1]<16> {2}\r\n0?)');
    assert.equal(await get('BODY.PEEK[1]<500.10>'), '* 1 FETCH (BODY[1]<500> {0}\r\n)');
    assert.equal(await get('BODY.PEEK[9]'), '* 1 FETCH (BODY[9] NIL)');
    const whole = await get('BODY.PEEK[]');
    assert.ok(whole.startsWith(`* 1 FETCH (BODY[] {${Buffer.byteLength(MULTI)}}\r\nFrom: "Fred Foobar"`));
    assert.ok((await get('RFC822.HEADER')).includes('Subject: afternoon meeting'));
    c.close();
  });

  test('FETCH BINARY decodes transfer encodings; BINARY.SIZE gives the decoded size', async () => {
    const { c } = await freshUser();
    await append(c, MULTI);
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1] BINARY.SIZE[2] BINARY.PEEK[2])');
    const line = Buffer.from(f.untagged[0]!, 'latin1');
    assert.ok(line.includes(Buffer.from('BINARY[1] {14}\r\ncafé at 3:30?')), f.untagged[0]);
    assert.ok(f.untagged[0]!.includes('BINARY.SIZE[1] 14 BINARY.SIZE[2] 6'));
    assert.ok(line.includes(Buffer.concat([Buffer.from('BINARY[2] ~{6}\r\n'), Buffer.from([0, 1, 2, 3, 0, 5])])), 'NUL bytes come as literal8');
    c.close();
  });

  test('FETCH without .PEEK sets \\Seen and says so; on EXAMINE nothing changes', async () => {
    const { c } = await freshUser();
    await append(c, 'Subject: s\r\n\r\nbody\r\n');
    await c.ok('EXAMINE INBOX');
    assert.equal((await c.ok('FETCH 1 BODY[TEXT]')).untagged[0], '* 1 FETCH (BODY[TEXT] {6}\r\nbody\r\n)');
    assert.equal((await c.ok('FETCH 1 FLAGS')).untagged[0], '* 1 FETCH (FLAGS ())');
    await c.ok('SELECT INBOX');
    assert.equal((await c.ok('FETCH 1 BODY[TEXT]')).untagged[0], '* 1 FETCH (BODY[TEXT] {6}\r\nbody\r\n FLAGS (\\Seen \\Recent))');
    assert.equal((await c.ok('FETCH 1 FLAGS')).untagged[0], '* 1 FETCH (FLAGS (\\Seen \\Recent))', 'recent: this session selected it first');
    c.close();
  });

  test('FETCH with message numbers that do not exist is BAD; UIDs that do not exist are ignored', async () => {
    const { c } = await freshUser();
    await append(c, 'Subject: one\r\n\r\n1\r\n');
    await c.ok('SELECT INBOX');
    assert.match((await c.command('FETCH 2 FLAGS')).tagged, /BAD .*Invalid messageset/);
    assert.deepEqual((await c.ok('UID FETCH 5:9 FLAGS')).untagged, []);
    assert.deepEqual((await c.ok('UID FETCH 1:4294967295 FLAGS')).untagged, ['* 1 FETCH (UID 1 FLAGS (\\Recent))']);
    assert.deepEqual((await c.ok('UID FETCH 9:* FLAGS')).untagged, ['* 1 FETCH (UID 1 FLAGS (\\Recent))'], '"n:*" always includes the last message');
    c.close();
  });

  test('STORE +FLAGS, -FLAGS, FLAGS and .SILENT; \\Recent cannot be stored', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 3; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    await c.ok('SELECT INBOX');
    assert.deepEqual((await c.ok('STORE 1:2 +FLAGS (\\Flagged $Work)')).untagged, ['* 1 FETCH (FLAGS ($Work \\Flagged \\Recent))', '* 2 FETCH (FLAGS ($Work \\Flagged \\Recent))']);
    assert.deepEqual((await c.ok('STORE 1 -FLAGS (\\Flagged)')).untagged, ['* 1 FETCH (FLAGS ($Work \\Recent))']);
    assert.deepEqual((await c.ok('UID STORE 3 FLAGS (\\Seen \\Recent)')).untagged, ['* 3 FETCH (UID 3 FLAGS (\\Seen \\Recent))']);
    assert.deepEqual((await c.ok('STORE 1:3 +FLAGS.SILENT (\\Answered)')).untagged, []);
    assert.match((await c.command('STORE 1 +FLAGS (\\Bogus)')).tagged, /BAD/);
    c.close();
  });

  test('CONDSTORE: MODSEQ in FETCH, CHANGEDSINCE, and STORE UNCHANGEDSINCE refusing modified messages with [MODIFIED]', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 3; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    assert.deepEqual((await c.ok('ENABLE CONDSTORE')).untagged, ['* ENABLED CONDSTORE']);
    const sel = await c.ok('SELECT INBOX');
    const highest = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.all)![1]);
    const f = await c.ok('FETCH 1:3 (MODSEQ)');
    const modseqs = f.untagged.map((l) => Number(/MODSEQ \((\d+)\)/.exec(l)![1]));
    assert.equal(Math.max(...modseqs), highest);
    const st = await c.ok('STORE 2 +FLAGS (\\Flagged)');
    const m2 = Number(/MODSEQ \((\d+)\)/.exec(st.untagged[0]!)![1]);
    assert.ok(m2 > highest);
    assert.deepEqual((await c.ok(`FETCH 1:3 (FLAGS) (CHANGEDSINCE ${highest})`)).untagged, [`* 2 FETCH (FLAGS (\\Flagged \\Recent) MODSEQ (${m2}))`]);
    const cond = await c.command(`STORE 1:3 (UNCHANGEDSINCE ${highest}) +FLAGS.SILENT (\\Deleted)`);
    assert.match(cond.tagged, /^t\d+ OK \[MODIFIED 2\] Conditional STORE failed\.$/);
    assert.equal(cond.untagged.length, 2, 'the two changed messages report their MODSEQ even with .SILENT');
    assert.ok(cond.untagged.every((l) => /^\* [13] FETCH \(MODSEQ \(\d+\)\)$/.test(l)), cond.all);
    const flags = await c.ok('FETCH 1:3 FLAGS');
    assert.ok(flags.untagged[1]!.includes('FLAGS (\\Flagged \\Recent)'), 'message 2 was left alone');
    c.close();
  });

  test('COPY answers COPYUID; to a missing mailbox NO [TRYCREATE]', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 3; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    await c.ok('SELECT INBOX');
    const r = await c.ok('COPY 1,3 Archive');
    assert.match(r.tagged, /^t\d+ OK \[COPYUID \d+ 1,3 1:2\] Copy completed\.$/);
    assert.match((await c.command('COPY 1 Nowhere')).tagged, /NO \[TRYCREATE\]/);
    assert.match((await c.ok('STATUS Archive (MESSAGES)')).untagged[0]!, /MESSAGES 2/);
    c.close();
  });

  test('MOVE: untagged COPYUID, then EXPUNGE for each moved message, then OK (RFC 6851)', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 4; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    await c.ok('SELECT INBOX');
    const r = await c.ok('MOVE 2:3 Trash');
    assert.deepEqual(r.untagged.slice(1), ['* 3 EXPUNGE', '* 2 EXPUNGE']);
    assert.match(r.untagged[0]!, /^\* OK \[COPYUID \d+ 2:3 1:2\] Moved UIDs\.$/);
    assert.deepEqual((await c.ok('UID SEARCH ALL')).untagged, ['* SEARCH 1 4']);
    const u = await c.ok('UID MOVE 4 Trash');
    assert.match(u.untagged[0]!, /COPYUID \d+ 4 3/);
    assert.equal(u.untagged[1], '* 2 EXPUNGE');
    c.close();
  });

  test('EXPUNGE removes \\Deleted messages; UID EXPUNGE only those in its set (UIDPLUS)', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 5; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    await c.ok('SELECT INBOX');
    await c.ok('STORE 1:5 +FLAGS.SILENT (\\Deleted)');
    const u = await c.ok('UID EXPUNGE 2:3');
    assert.deepEqual(u.untagged, ['* 3 EXPUNGE', '* 2 EXPUNGE']);
    await c.ok('STORE 1 -FLAGS.SILENT (\\Deleted)');
    const e = await c.ok('EXPUNGE');
    assert.deepEqual(e.untagged, ['* 3 EXPUNGE', '* 2 EXPUNGE']);
    assert.deepEqual((await c.ok('UID SEARCH ALL')).untagged, ['* SEARCH 1']);
    c.close();
  });

  test('QRESYNC: EXPUNGE becomes VANISHED, and SELECT (QRESYNC …) reports what changed since', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 4; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    await c.ok('ENABLE QRESYNC');
    const sel = await c.ok('SELECT INBOX');
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(sel.all)![1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.all)![1]);
    await c.ok('STORE 1 +FLAGS.SILENT (\\Seen)');
    await c.ok('STORE 2 +FLAGS.SILENT (\\Deleted)');
    assert.deepEqual((await c.ok('EXPUNGE')).untagged, ['* VANISHED 2']);
    await c.ok('UNSELECT');
    const again = await c.ok(`SELECT INBOX (QRESYNC (${uidValidity} ${modseq} 1:4))`);
    assert.ok(again.untagged.includes('* VANISHED (EARLIER) 2'), again.all);
    assert.ok(again.untagged.some((l) => /^\* 1 FETCH \(UID 1 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$/.test(l)), again.all);
    const v = await c.ok(`UID FETCH 1:4 (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`);
    assert.equal(v.untagged[0], '* VANISHED (EARLIER) 2');
    c.close();
  });

  test('CLOSE expunges silently; UNSELECT does not expunge; both leave the selected state', async () => {
    const { c } = await freshUser();
    for (let i = 0; i < 2; i++) await append(c, `Subject: ${i}\r\n\r\nx\r\n`);
    await c.ok('SELECT INBOX');
    await c.ok('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await c.ok('UNSELECT');
    assert.match((await c.ok('STATUS INBOX (MESSAGES)')).untagged[0]!, /MESSAGES 2/);
    await c.ok('SELECT INBOX');
    assert.deepEqual((await c.ok('CLOSE')).untagged, []);
    assert.match((await c.ok('STATUS INBOX (MESSAGES)')).untagged[0]!, /MESSAGES 1/);
    assert.match((await c.command('FETCH 1 FLAGS')).tagged, /BAD/);
    c.close();
  });

  test('EXAMINE is read-only: STORE, EXPUNGE and MOVE are refused', async () => {
    const { c } = await freshUser();
    await append(c, 'Subject: r\r\n\r\nx\r\n');
    const r = await c.ok('EXAMINE INBOX');
    assert.match(r.tagged, /OK \[READ-ONLY\]/);
    assert.ok(r.untagged.includes('* OK [PERMANENTFLAGS ()] Read-only mailbox.'));
    assert.match((await c.command('STORE 1 +FLAGS (\\Seen)')).tagged, /NO/);
    assert.match((await c.command('EXPUNGE')).tagged, /NO/);
    assert.match((await c.command('MOVE 1 Trash')).tagged, /NO/);
    c.close();
  });

  test('SELECT of another mailbox says [CLOSED] first; a failed SELECT leaves nothing selected', async () => {
    const { c } = await freshUser();
    await c.ok('SELECT INBOX');
    const r = await c.ok('SELECT Drafts');
    assert.equal(r.untagged[0], '* OK [CLOSED] Previous mailbox closed.');
    assert.match((await c.command('SELECT Nowhere')).tagged, /NO \[NONEXISTENT\]/);
    assert.match((await c.command('FETCH 1 FLAGS')).tagged, /BAD/);
    c.close();
  });

  test('COMPRESS=DEFLATE: after OK both directions are compressed and the session goes on', async () => {
    const { c } = await freshUser();
    await append(c, 'Subject: z\r\n\r\n' + 'compressible '.repeat(1000) + '\r\n');
    assert.match((await c.command('COMPRESS DEFLATE')).tagged, /^t\d+ OK DEFLATE active\.$/);
    c.startDeflate();
    const caps = await c.ok('CAPABILITY');
    assert.ok(!caps.untagged[0]!.includes('COMPRESS=DEFLATE'));
    await c.ok('SELECT INBOX');
    const f = await c.ok('FETCH 1 BODY.PEEK[TEXT]');
    assert.ok(f.untagged[0]!.includes('compressible compressible'));
    assert.match((await c.command('COMPRESS DEFLATE')).tagged, /NO \[COMPRESSIONACTIVE\]/);
    const bye = await c.command('LOGOUT');
    assert.deepEqual(bye.untagged, ['* BYE Logging out']);
    c.close();
  });
});
