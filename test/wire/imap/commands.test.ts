// RFC example commands through the whole codec (decoder + parser), each replayed split at every
// byte boundary and one byte at a time: the same typed command must come out every time.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ImapCommand } from '../../../src/wire/imap/command.js';
import { decodeEverySplit, summary, type Event } from './helpers.js';

function only(input: string | Buffer): ImapCommand {
  const events = decodeEverySplit(input, {}, (a, b, msg) => assert.deepEqual(a, b, msg));
  const commands = events.filter((e): e is Extract<Event, { kind: 'command' }> => e.kind === 'command');
  assert.equal(commands.length, 1, JSON.stringify(summary(events)));
  const parsed = commands[0]!.parsed;
  assert.ok(parsed.ok, `parse failed: ${!parsed.ok ? parsed.message : ''}`);
  return parsed.command;
}

function bad(input: string): string {
  const events = decodeEverySplit(input, {}, (a, b, msg) => assert.deepEqual(a, b, msg));
  const last = events[events.length - 1]!;
  if (last.kind === 'command') {
    assert.equal(last.parsed.ok, false, `expected a BAD for ${JSON.stringify(input)}`);
    return !last.parsed.ok ? last.parsed.message : '';
  }
  assert.equal(last.kind, 'error');
  return last.kind === 'error' ? last.reason : '';
}

describe('IMAP command codec: RFC 9051 / RFC 3501 examples', () => {
  test('LOGIN with atoms (RFC 9051 §6.2.3)', () => {
    assert.deepEqual(only('a001 LOGIN SMITH SESAME\r\n'), { name: 'LOGIN', username: 'SMITH', password: 'SESAME' });
  });

  test('LOGIN with synchronizing literals for user and password (RFC 9051 §6.2.3)', () => {
    assert.deepEqual(only('A001 LOGIN {11}\r\nFRED FOOBAR {7}\r\nfat man\r\n'), { name: 'LOGIN', username: 'FRED FOOBAR', password: 'fat man' });
  });

  test('LOGIN with an unquoted DOMAIN\\user, as Python\'s imaplib sends it, is taken like Dovecot does', () => {
    assert.deepEqual(only('a LOGIN EXAMPLE\\alice "pw"\r\n'), { name: 'LOGIN', username: 'EXAMPLE\\alice', password: 'pw' });
  });

  test('LOGIN with quoted strings and escapes', () => {
    assert.deepEqual(only('a LOGIN "joe \\"q\\"" "pa\\\\ss"\r\n'), { name: 'LOGIN', username: 'joe "q"', password: 'pa\\ss' });
  });

  test('SELECT and EXAMINE; INBOX spelled any way reaches the session as sent', () => {
    assert.deepEqual(only('A142 SELECT INBOX\r\n'), { name: 'SELECT', mailbox: 'INBOX', condstore: false, qresync: null });
    assert.deepEqual(only('A932 EXAMINE blurdybloop\r\n'), { name: 'EXAMINE', mailbox: 'blurdybloop', condstore: false, qresync: null });
    assert.equal((only('a select inbox\r\n') as { mailbox: string }).mailbox, 'inbox');
  });

  test('SELECT with CONDSTORE and QRESYNC parameters (RFC 7162 §3.2.5)', () => {
    assert.deepEqual(only('A142 SELECT INBOX (CONDSTORE)\r\n'), { name: 'SELECT', mailbox: 'INBOX', condstore: true, qresync: null });
    const c = only('A02 SELECT INBOX (QRESYNC (67890007 20050715194045000 41,43:211,214:541))\r\n');
    assert.equal(c.name, 'SELECT');
    if (c.name !== 'SELECT') return;
    assert.equal(c.qresync!.uidValidity, 67890007);
    assert.deepEqual(c.qresync!.knownUids, { kind: 'set', ranges: [{ from: 41, to: 41 }, { from: 43, to: 211 }, { from: 214, to: 541 }] });
    const d = only('B04 SELECT INBOX (QRESYNC (67890007 90060115194045000 1:29997 (5000,7500,9000,9990:9999 15000,22500,27000,29970,29973,29976,29979,29982,29985,29988,29991,29994,29997)))\r\n');
    if (d.name !== 'SELECT') return;
    assert.equal(d.qresync!.seqMatch!.seqs.kind, 'set');
  });

  test('CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE', () => {
    assert.deepEqual(only('A003 CREATE owatagusiam/\r\n'), { name: 'CREATE', mailbox: 'owatagusiam/', use: [] });
    assert.deepEqual(only('t1 CREATE "Important Messages" (USE (\\Important))\r\n'), { name: 'CREATE', mailbox: 'Important Messages', use: ['\\Important'] });
    assert.deepEqual(only('A683 DELETE blurdybloop\r\n'), { name: 'DELETE', mailbox: 'blurdybloop' });
    assert.deepEqual(only('A683 RENAME blurdybloop sarasoop\r\n'), { name: 'RENAME', from: 'blurdybloop', to: 'sarasoop' });
    assert.deepEqual(only('A002 SUBSCRIBE #news.comp.mail.mime\r\n'), { name: 'SUBSCRIBE', mailbox: '#news.comp.mail.mime' });
    assert.deepEqual(only('A002 UNSUBSCRIBE #news.comp.mail.mime\r\n'), { name: 'UNSUBSCRIBE', mailbox: '#news.comp.mail.mime' });
  });

  test('LIST in RFC 3501 form and RFC 5258 extended forms', () => {
    assert.deepEqual(only('A101 LIST "" ""\r\n'), { name: 'LIST', selection: [], reference: '', patterns: [''], returns: { subscribed: false, children: false, specialUse: false, status: null }, extended: false });
    assert.deepEqual(only('A202 LIST ~/Mail/ %\r\n'), { name: 'LIST', selection: [], reference: '~/Mail/', patterns: ['%'], returns: { subscribed: false, children: false, specialUse: false, status: null }, extended: false });
    const e = only('A05 LIST (REMOTE SUBSCRIBED) "/" "*"\r\n');
    assert.deepEqual(e.name === 'LIST' && e.selection, ['REMOTE', 'SUBSCRIBED']);
    const f = only('A03 LIST () "" ("foo" "bar/%") RETURN (CHILDREN SPECIAL-USE)\r\n');
    assert.ok(f.name === 'LIST' && f.extended && f.returns.children && f.returns.specialUse);
    assert.deepEqual(f.name === 'LIST' && f.patterns, ['foo', 'bar/%']);
  });

  test('LIST-STATUS return option (RFC 5819 §2)', () => {
    const c = only('A01 LIST "" % RETURN (STATUS (MESSAGES UNSEEN))\r\n');
    assert.deepEqual(c.name === 'LIST' && c.returns.status, ['MESSAGES', 'UNSEEN']);
  });

  test('LSUB, NAMESPACE, STATUS', () => {
    assert.deepEqual(only('A002 LSUB "#news." "comp.mail.*"\r\n'), { name: 'LSUB', reference: '#news.', pattern: 'comp.mail.*' });
    assert.deepEqual(only('A001 NAMESPACE\r\n'), { name: 'NAMESPACE' });
    assert.deepEqual(only('A042 STATUS blurdybloop (UIDNEXT MESSAGES)\r\n'), { name: 'STATUS', mailbox: 'blurdybloop', items: ['UIDNEXT', 'MESSAGES'] });
    assert.deepEqual(only('a STATUS INBOX (SIZE HIGHESTMODSEQ DELETED APPENDLIMIT)\r\n'), { name: 'STATUS', mailbox: 'INBOX', items: ['SIZE', 'HIGHESTMODSEQ', 'DELETED', 'APPENDLIMIT'] });
  });

  test('APPEND with flags, date-time and a literal message (RFC 9051 §6.3.12)', () => {
    const msg = 'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\r\nFrom: Fred Foobar <foobar@Blurdybloop.example>\r\nSubject: afternoon meeting\r\nTo: mooch@owatagu.siam.edu.example\r\nMessage-Id: <B27397-0100000@Blurdybloop.example>\r\nMIME-Version: 1.0\r\nContent-Type: TEXT/PLAIN; CHARSET=US-ASCII\r\n\r\nHello Joe, do you think we can meet at 3:30 tomorrow?\r\n';
    const c = only(`A003 APPEND saved-messages (\\Seen) {${msg.length}}\r\n${msg}\r\n`);
    assert.equal(c.name, 'APPEND');
    if (c.name !== 'APPEND') return;
    assert.equal(c.mailbox, 'saved-messages');
    assert.equal(c.messages.length, 1);
    assert.deepEqual(c.messages[0]!.flags, ['\\Seen']);
    assert.equal(c.messages[0]!.message.toString('latin1'), msg);
    const d = only('a APPEND INBOX "17-Jul-1996 02:44:25 -0700" {5+}\r\nhello\r\n');
    assert.equal(d.name === 'APPEND' && d.messages[0]!.date!.toISOString(), '1996-07-17T09:44:25.000Z');
    const e = only('a APPEND INBOX " 7-Jul-1996 02:44:25 +0000" {2}\r\nhi\r\n');
    assert.equal(e.name === 'APPEND' && e.messages[0]!.date!.toISOString(), '1996-07-07T02:44:25.000Z');
  });

  test('MULTIAPPEND: several messages, each with its own flags and date (RFC 3502 §6.3.11)', () => {
    const c = only('A003 APPEND saved-messages (\\Seen) {3+}\r\none {3+}\r\ntwo (\\Draft) "17-Jul-1996 02:44:25 -0700" UTF8 (~{5+}\r\nthree)\r\n');
    assert.ok(c.name === 'APPEND');
    assert.deepEqual(c.messages.map((m) => [m.flags, m.date?.toISOString() ?? null, m.message.toString()]), [
      [['\\Seen'], null, 'one'],
      [[], null, 'two'],
      [['\\Draft'], '1996-07-17T09:44:25.000Z', 'three'],
    ]);
    assert.match(bad('a APPEND INBOX {1+}\r\nx junk\r\n'), /literal/i);
    assert.ok(bad('a APPEND INBOX {1+}\r\nx \r\n'));
  });

  test('APPEND of binary data as literal8 and of UTF-8 mail (RFC 3516, RFC 6855 §4)', () => {
    const withNul = Buffer.concat([Buffer.from('a APPEND INBOX ~{3}\r\n'), Buffer.from([0x61, 0x00, 0x62]), Buffer.from('\r\n')]);
    const c = only(withNul);
    assert.ok(c.name === 'APPEND' && c.messages[0]!.binary && c.messages[0]!.message.equals(Buffer.from([0x61, 0, 0x62])));
    const utf8 = Buffer.from('Subject: héllo\r\n\r\n');
    const d = only(Buffer.concat([Buffer.from(`A003 APPEND Drafts UTF8 (~{${utf8.length}}\r\n`), utf8, Buffer.from(')\r\n')]));
    assert.ok(d.name === 'APPEND' && d.messages[0]!.message.equals(utf8));
  });

  test('IDLE, CHECK, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE (RFC 4315 §2.1)', () => {
    assert.deepEqual(only('A002 IDLE\r\n'), { name: 'IDLE' });
    assert.deepEqual(only('FXXZ CHECK\r\n'), { name: 'CHECK' });
    assert.deepEqual(only('A341 CLOSE\r\n'), { name: 'CLOSE' });
    assert.deepEqual(only('a UNSELECT\r\n'), { name: 'UNSELECT' });
    assert.deepEqual(only('A202 EXPUNGE\r\n'), { name: 'EXPUNGE', uid: false, set: null });
    assert.deepEqual(only('A003 UID EXPUNGE 3000:3002\r\n'), { name: 'EXPUNGE', uid: true, set: { kind: 'set', ranges: [{ from: 3000, to: 3002 }] } });
  });

  test('SEARCH keys, CHARSET and a literal search string (RFC 9051 §6.4.4)', () => {
    const c = only('A282 SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n');
    assert.deepEqual(c, { name: 'SEARCH', uid: false, charset: null, returns: null, criteria: { op: 'AND', keys: [
      { op: 'FLAG', flag: '\\Flagged', present: true },
      { op: 'DATE', field: 'INTERNAL', cmp: 'SINCE', date: { year: 1994, month: 2, day: 1 } },
      { op: 'NOT', key: { op: 'TEXT', field: 'FROM', value: 'Smith' } },
    ] } });
    const text = Buffer.from('Кф тест', 'utf8');
    const d = only(Buffer.concat([Buffer.from(`A284 SEARCH CHARSET UTF-8 TEXT {${text.length}}\r\n`), text, Buffer.from('\r\n')]));
    assert.ok(d.name === 'SEARCH' && d.charset === 'UTF-8');
    assert.deepEqual(d.name === 'SEARCH' && d.criteria, { op: 'TEXT', field: 'TEXT', value: 'Кф тест' });
    const e = only('a UID SEARCH OR (SEEN SMALLER 100) HEADER Message-ID "<x@y>" UID 1:* 2,4:*\r\n');
    assert.ok(e.name === 'SEARCH' && e.uid);
  });

  test('ESEARCH return options and SEARCHRES "$" (RFC 4731 §3.1, RFC 5182 §2)', () => {
    const c = only('A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"\r\n');
    assert.deepEqual(c.name === 'SEARCH' && c.returns, ['MIN', 'COUNT']);
    assert.deepEqual((only('a SEARCH RETURN () ALL\r\n') as { returns: string[] }).returns, ['ALL']);
    assert.deepEqual((only('A282 SEARCH RETURN (SAVE) FLAGGED\r\n') as { returns: string[] }).returns, ['SAVE']);
    const f = only('A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.SIZE)\r\n');
    assert.deepEqual(f.name === 'FETCH' && f.set, { kind: 'saved' });
    const s = only('A285 SEARCH $ SMALLER 4096\r\n');
    assert.deepEqual(s.name === 'SEARCH' && s.criteria, { op: 'AND', keys: [{ op: 'SEQ', set: { kind: 'saved' } }, { op: 'SIZE', cmp: 'SMALLER', size: 4096 }] });
  });

  test('SEARCH MODSEQ with and without an entry (RFC 7162 §3.1.5)', () => {
    assert.deepEqual((only('a SEARCH MODSEQ "/flags/\\\\draft" all 620162338\r\n') as { criteria: unknown }).criteria, { op: 'MODSEQ', modseq: 620162338 });
    assert.deepEqual((only('a SEARCH MODSEQ 720162338\r\n') as { criteria: unknown }).criteria, { op: 'MODSEQ', modseq: 720162338 });
  });

  test('FETCH items, macros, sections and partials (RFC 9051 §6.4.5)', () => {
    const c = only('A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])\r\n');
    assert.deepEqual(c, { name: 'FETCH', uid: false, set: { kind: 'set', ranges: [{ from: 2, to: 4 }] }, changedSince: null, vanished: false, items: [
      { kind: 'simple', name: 'FLAGS' },
      { kind: 'body', peek: false, section: { part: [], text: { kind: 'HEADER.FIELDS', fields: ['DATE', 'FROM'], not: false } }, partial: null },
    ] });
    assert.deepEqual((only('a FETCH 1 ALL\r\n') as { items: unknown[] }).items.length, 4);
    assert.deepEqual((only('a FETCH 1 full\r\n') as { items: unknown[] }).items.length, 5);
    const d = only('a FETCH 1:* (BODY.PEEK[1.2.MIME] BODY[3.HEADER] BODY[4.TEXT]<0.2048> BODY[] BODY[1] BINARY.PEEK[1]<10.5> BINARY.SIZE[2] BODYSTRUCTURE RFC822.SIZE)\r\n');
    assert.ok(d.name === 'FETCH');
    if (d.name !== 'FETCH') return;
    assert.deepEqual(d.items[0], { kind: 'body', peek: true, section: { part: [1, 2], text: { kind: 'MIME' } }, partial: null });
    assert.deepEqual(d.items[2], { kind: 'body', peek: false, section: { part: [4], text: { kind: 'TEXT' } }, partial: { offset: 0, length: 2048 } });
    assert.deepEqual(d.items[5], { kind: 'binary', peek: true, part: [1], partial: { offset: 10, length: 5 } });
    assert.deepEqual(d.items[6], { kind: 'binary.size', part: [2] });
  });

  test('UID FETCH with CHANGEDSINCE and VANISHED (RFC 7162 §3.1.4.1, §3.2.6)', () => {
    const c = only('s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n');
    assert.ok(c.name === 'FETCH' && c.uid && c.changedSince === 12345 && c.vanished);
    assert.match(bad('s100 FETCH 1:* (FLAGS) (CHANGEDSINCE 12345 VANISHED)\r\n'), /VANISHED/);
  });

  test('STORE forms, with UNCHANGEDSINCE (RFC 9051 §6.4.6, RFC 7162 §3.1.3)', () => {
    assert.deepEqual(only('A003 STORE 2:4 +FLAGS (\\Deleted)\r\n'), { name: 'STORE', uid: false, set: { kind: 'set', ranges: [{ from: 2, to: 4 }] }, unchangedSince: null, op: 'add', silent: false, flags: ['\\Deleted'] });
    assert.deepEqual(only('a103 UID STORE 6,4,8 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n'), { name: 'STORE', uid: true, set: { kind: 'set', ranges: [{ from: 6, to: 6 }, { from: 4, to: 4 }, { from: 8, to: 8 }] }, unchangedSince: 12121230045, op: 'add', silent: true, flags: ['\\Deleted'] });
    assert.deepEqual((only('a STORE 1 -flags \\Seen $Label1\r\n') as { flags: string[] }).flags, ['\\Seen', '$Label1']);
    assert.deepEqual((only('a STORE 1 FLAGS ()\r\n') as { flags: string[]; op: string }).flags, []);
  });

  test('COPY, MOVE and their UID forms (RFC 6851 §3)', () => {
    assert.deepEqual(only('A003 COPY 2:4 MEETING\r\n'), { name: 'COPY', uid: false, set: { kind: 'set', ranges: [{ from: 2, to: 4 }] }, mailbox: 'MEETING' });
    assert.deepEqual(only('a UID MOVE 42:69 foo\r\n'), { name: 'MOVE', uid: true, set: { kind: 'set', ranges: [{ from: 42, to: 69 }] }, mailbox: 'foo' });
  });

  test('SORT and THREAD (RFC 5256 §3)', () => {
    assert.deepEqual(only('C283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL\r\n'), { name: 'SORT', uid: false, criteria: [{ key: 'SUBJECT', reverse: false }, { key: 'DATE', reverse: true }], charset: 'UTF-8', search: { op: 'ALL' } });
    const t = only('A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000\r\n');
    assert.ok(t.name === 'THREAD' && t.algorithm === 'ORDEREDSUBJECT');
    assert.ok(only('A284 UID THREAD REFERENCES US-ASCII TEXT "gewp"\r\n').name === 'THREAD');
    assert.match(bad('a SORT (REVERSE) UTF-8 ALL\r\n'), /REVERSE/);
  });

  test('ENABLE, ID, COMPRESS, quota commands (RFC 5161, RFC 2971, RFC 4978, RFC 9208)', () => {
    assert.deepEqual(only('t1 ENABLE CONDSTORE X-GOOD-IDEA\r\n'), { name: 'ENABLE', capabilities: ['CONDSTORE', 'X-GOOD-IDEA'] });
    assert.deepEqual(only('a023 ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")\r\n'), { name: 'ID', params: [['name', 'sodr'], ['version', '19.34'], ['vendor', 'Pink Floyd Music Limited']] });
    assert.deepEqual(only('a ID NIL\r\n'), { name: 'ID', params: null });
    assert.deepEqual(only('a COMPRESS DEFLATE\r\n'), { name: 'COMPRESS', mechanism: 'DEFLATE' });
    assert.deepEqual(only('G0001 GETQUOTA "!partition/sda4"\r\n'), { name: 'GETQUOTA', root: '!partition/sda4' });
    assert.deepEqual(only('A003 GETQUOTAROOT INBOX\r\n'), { name: 'GETQUOTAROOT', mailbox: 'INBOX' });
    assert.deepEqual(only('S0000 SETQUOTA "#user/alice" (STORAGE 510)\r\n'), { name: 'SETQUOTA', root: '#user/alice', limits: [['STORAGE', 510]] });
  });

  test('AUTHENTICATE with and without a SASL-IR initial response (RFC 4959 §3)', () => {
    assert.deepEqual(only('A01 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n'), { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: 'dGVzdAB0ZXN0AHRlc3Q=' });
    assert.deepEqual(only('a002 AUTHENTICATE SCRAM-SHA-256\r\n'), { name: 'AUTHENTICATE', mechanism: 'SCRAM-SHA-256', initialResponse: null });
    assert.deepEqual(only('a AUTHENTICATE PLAIN =\r\n'), { name: 'AUTHENTICATE', mechanism: 'PLAIN', initialResponse: '=' });
  });

  test('CAPABILITY, NOOP, LOGOUT, STARTTLS; command names are case-insensitive', () => {
    for (const n of ['CAPABILITY', 'NOOP', 'LOGOUT', 'STARTTLS']) assert.deepEqual(only(`abcd ${n.toLowerCase()}\r\n`), { name: n });
  });

  test('a bare LF ends a line as CRLF does', () => {
    assert.deepEqual(only('a NOOP\n'), { name: 'NOOP' });
  });
});

describe('IMAP command codec: what gets BAD', () => {
  test('unbalanced parentheses', () => {
    assert.ok(bad('a FETCH 1 (FLAGS\r\n'));
    assert.ok(bad('a FETCH 1 FLAGS)\r\n'));
    assert.ok(bad('a SEARCH (SEEN (FLAGGED)\r\n'));
    assert.ok(bad('a STORE 1 +FLAGS (\\Seen\r\n'));
  });

  test('8-bit characters in atoms', () => {
    assert.match(bad('a SELECT Ünbox\r\n'), /8-bit/);
    assert.match(bad('a FETCH 1 (FLAGS\xe9)\r\n'), /.+/);
  });

  test('sequence sets out of range or malformed: 0, 2^32, "1:", "1,,2"', () => {
    for (const s of ['0', '4294967296', '1:', '1,,2', '01', '1:4294967296', 'a']) assert.ok(bad(`a FETCH ${s} FLAGS\r\n`), s);
    assert.ok(only('a FETCH 1:4294967295 FLAGS\r\n').name === 'FETCH');
  });

  test('unknown commands, a missing command name, an invalid tag, empty lines', () => {
    const events = decodeEverySplit('a FROB x\r\n');
    assert.ok(events[0]!.kind === 'command' && !events[0]!.parsed.ok && events[0]!.parsed.unknown);
    assert.equal(bad('abc\r\n'), 'syntax');
    assert.equal(bad('a+b NOOP\r\n'), 'syntax');
    assert.equal(bad('\r\n'), 'empty');
  });

  test('a literal marker that is not RFC syntax ({5-}) is not a literal', () => {
    assert.ok(bad('a LOGIN {5-}\r\n'));
  });

  test('quoted strings with CR-free but bad escapes, or unterminated', () => {
    assert.ok(bad('a LOGIN "a\\b" c\r\n'));
    assert.ok(bad('a LOGIN "abc\r\n'));
  });

  test('search nesting deeper than 64 levels', () => {
    assert.match(bad(`a SEARCH ${'('.repeat(100)}ALL${')'.repeat(100)}\r\n`), /nested/);
    assert.match(bad(`a SEARCH ${'NOT '.repeat(100)}ALL\r\n`), /nested/);
  });

  test('invalid dates and date-times', () => {
    assert.ok(bad('a SEARCH SINCE 30-Feb-2020\r\n'));
    assert.ok(bad('a SEARCH SINCE 1-Foo-2020\r\n'));
    assert.ok(bad('a APPEND INBOX "17-Jul-1996 25:44:25 -0700" {1}\r\nx\r\n'));
  });
});
