// The client's IMAP response reader and the readers of FETCH, LIST, STATUS, NAMESPACE,
// ESEARCH, VANISHED and UIDPLUS data, with the examples of RFC 9051 §7/§8 and RFC 3501 §7 as
// vectors, every stream replayed split at every byte boundary.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ImapResponseReader, StreamedLiteral, parseFetchPrefix, type ImapResponse, type ImapReadStep } from '../../../src/wire/imap/client-response.js';
import {
  fetchItems,
  parseAppendUid,
  parseCopyUid,
  parseEsearch,
  parseFetchAttributes,
  parseListEntry,
  parseNamespace,
  parseStatus,
  parseVanished,
  sectionKey,
} from '../../../src/wire/imap/client-fetch.js';

const HEADER = 'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nFrom: Terry Gray <gray@cac.washington.edu>\r\n\r\n';

// RFC 9051 §8 (sample session) and §7 examples, one stream.
const STREAM = [
  '* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI] IMAP4rev2 server ready\r\n',
  '* 172 EXISTS\r\n',
  '* OK [UIDVALIDITY 3857529045] UIDs valid\r\n',
  '* OK [UIDNEXT 4392] Predicted next UID\r\n',
  '* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n',
  '* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n',
  '* LIST () "/" blurdybloop\r\n',
  '* LIST (\\Noselect) "/" "foo bar"\r\n',
  '* STATUS blurdybloop (MESSAGES 231 UIDNEXT 44292)\r\n',
  '* 12 FETCH (FLAGS (\\Seen) INTERNALDATE "17-Jul-1996 02:44:25 -0700" RFC822.SIZE 4286 ENVELOPE ("Wed, 17 Jul 1996 02:23:25 -0700 (PDT)" "IMAP4rev2 WG mtg summary and minutes" (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) (("Terry Gray" NIL "gray" "cac.washington.edu")) ((NIL NIL "imap" "cac.washington.edu")) ((NIL NIL "minutes" "CNRI.Reston.VA.US") ("John Klensin" NIL "KLENSIN" "MIT.EDU")) NIL NIL "<B27397-0100000@cac.washington.edu>") BODY ("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 3028 92))\r\n',
  `* 12 FETCH (UID 99 BODY[HEADER] {${HEADER.length}}\r\n${HEADER} FLAGS (\\Seen))\r\n`,
  '* NAMESPACE (("" "/")) (("~" "/")) (("#shared/" "/") ("#public/" "/") ("#ftp/" "/") ("#news." "."))\r\n',
  '* ESEARCH (TAG "A283") UID ALL 2,10:11\r\n',
  '* VANISHED (EARLIER) 41,43:45\r\n',
  '+ Ready for literal data\r\n',
  'A1 OK [APPENDUID 38505 3955] APPEND completed\r\n',
  'A2 OK [COPYUID 38505 304,319:320 3956:3958] Done\r\n',
  'A3 NO [TRYCREATE] Mailbox does not exist\r\n',
  '* BYE IMAP4rev2 Server logging out\r\n',
].join('');

function readAll(input: Buffer, cuts: number[]): ImapResponse[] {
  const r = new ImapResponseReader();
  const out: ImapResponse[] = [];
  let prev = 0;
  for (const c of [...cuts, input.length]) {
    r.push(input.subarray(prev, c));
    prev = c;
    for (;;) {
      const s = r.next();
      if (s.kind === 'need-more') break;
      if (s.kind === 'error') throw s.error;
      if (s.kind === 'response') out.push(s.response);
    }
  }
  return out;
}

describe('IMAP client response reader', () => {
  const bytes = Buffer.from(STREAM, 'latin1');
  const whole = readAll(bytes, []);

  test('RFC 9051 examples: greeting code, data with numbers, lists, literals, tagged codes', () => {
    assert.equal(whole.length, 19);
    const g = whole[0]!;
    assert.ok(g.kind === 'status' && g.tag === '*' && g.status === 'OK');
    assert.equal(g.code?.name, 'CAPABILITY');
    assert.deepEqual(g.code?.values, ['IMAP4rev2', 'STARTTLS', 'AUTH=GSSAPI']);
    assert.equal(g.text, 'IMAP4rev2 server ready');
    assert.deepEqual(whole[1], { kind: 'data', name: 'EXISTS', number: 172, values: [] });
    const perm = whole[5]!;
    assert.ok(perm.kind === 'status');
    assert.deepEqual(perm.code?.values, [['\\Deleted', '\\Seen', '\\*']]);
    const lit = whole[10]!;
    assert.ok(lit.kind === 'data' && lit.name === 'FETCH' && lit.number === 12);
    const items = fetchItems(lit.values[0] ?? null);
    assert.deepEqual(items.map(([n]) => n), ['UID', 'BODY[HEADER]', 'FLAGS']);
    assert.equal((items[1]![1] as Buffer).toString('latin1'), HEADER);
    assert.deepEqual(whole[14], { kind: 'continuation', text: 'Ready for literal data' });
    const no = whole[17]!;
    assert.ok(no.kind === 'status' && no.tag === 'A3' && no.status === 'NO' && no.code?.name === 'TRYCREATE');
    const bye = whole[18]!;
    assert.ok(bye.kind === 'status' && bye.status === 'BYE');
  });

  test('the same responses when split at every byte boundary', () => {
    for (let i = 0; i <= bytes.length; i++) assert.deepEqual(readAll(bytes, [i]), whole, `split at ${i}`);
  });

  test('the same responses when fed one byte at a time', () => {
    assert.deepEqual(readAll(bytes, Array.from({ length: bytes.length }, (_, i) => i)), whole);
  });

  test('FETCH items: flags, date, size, envelope with decoded names, body structure', () => {
    const f = whole[9]!;
    assert.ok(f.kind === 'data');
    const a = parseFetchAttributes(fetchItems(f.values[0] ?? null));
    assert.deepEqual(a.flags, ['\\Seen']);
    assert.equal(a.internalDate?.toISOString(), '1996-07-17T09:44:25.000Z');
    assert.equal(a.size, 4286);
    assert.equal(a.envelope?.subject, 'IMAP4rev2 WG mtg summary and minutes');
    assert.deepEqual(a.envelope?.from, [{ name: 'Terry Gray', address: 'gray@cac.washington.edu' }]);
    assert.deepEqual(a.envelope?.cc, [{ name: '', address: 'minutes@CNRI.Reston.VA.US' }, { name: 'John Klensin', address: 'KLENSIN@MIT.EDU' }]);
    assert.equal(a.envelope?.messageId, '<B27397-0100000@cac.washington.edu>');
    assert.equal(a.envelope?.date?.toISOString(), '1996-07-17T09:23:25.000Z');
    assert.deepEqual(a.bodyStructure, { part: '1', type: 'text/plain', parameters: { charset: 'US-ASCII' }, encoding: '7bit', size: 3028, lines: 92 });
  });

  test('LIST, STATUS, NAMESPACE, ESEARCH, VANISHED and UIDPLUS codes', () => {
    const l1 = whole[6]!;
    const l2 = whole[7]!;
    assert.ok(l1.kind === 'data' && l2.kind === 'data');
    assert.deepEqual(parseListEntry(l1.values, false), { path: 'blurdybloop', name: 'blurdybloop', delimiter: '/', flags: [] });
    assert.deepEqual(parseListEntry(l2.values, false), { path: 'foo bar', name: 'foo bar', delimiter: '/', flags: ['\\Noselect'] });
    const st = whole[8]!;
    assert.ok(st.kind === 'data');
    assert.deepEqual(parseStatus(st.values), { path: 'blurdybloop', status: { messages: 231, uidNext: 44292 } });
    const ns = whole[11]!;
    assert.ok(ns.kind === 'data');
    const n = parseNamespace(ns.values);
    assert.deepEqual(n.personal, [{ prefix: '', delimiter: '/' }]);
    assert.deepEqual(n.shared.map((s) => s.prefix), ['#shared/', '#public/', '#ftp/', '#news.']);
    const es = whole[12]!;
    assert.ok(es.kind === 'data');
    assert.deepEqual(parseEsearch(es.values), { uid: true, tag: 'A283', all: [2, 10, 11] });
    const v = whole[13]!;
    assert.ok(v.kind === 'data');
    assert.deepEqual(parseVanished(v.values), { earlier: true, uids: [41, 43, 44, 45] });
    const ap = whole[15]!;
    const cp = whole[16]!;
    assert.ok(ap.kind === 'status' && cp.kind === 'status');
    assert.deepEqual(parseAppendUid(ap.code!.values), { uidValidity: 38505, uids: [3955] });
    assert.deepEqual(parseCopyUid(cp.code!.values), { uidValidity: 38505, sourceUids: [304, 319, 320], destinationUids: [3956, 3957, 3958] });
  });

  test('RFC 3501 §7.4.2 multipart BODYSTRUCTURE with part numbers and extension data', () => {
    const line = '* 1 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" ("CHARSET" "US-ASCII") NIL NIL "7BIT" 1152 23)("TEXT" "PLAIN" ("CHARSET" "US-ASCII" "NAME" "cc.diff") "<960723163407.20117h@cac.washington.edu>" "Compiler diff" "BASE64" 4554 73 NIL ("attachment" ("filename" "=?utf-8?q?d=C3=A9j=C3=A0.diff?=")) NIL) "MIXED" ("BOUNDARY" "x") NIL NIL))\r\n';
    const [r] = readAll(Buffer.from(line), []);
    assert.ok(r && r.kind === 'data');
    const s = parseFetchAttributes(fetchItems(r.values[0] ?? null)).bodyStructure!;
    assert.equal(s.type, 'multipart/mixed');
    assert.equal(s.part, '');
    assert.deepEqual(s.parameters, { boundary: 'x' });
    assert.deepEqual(s.childNodes!.map((c) => [c.part, c.type, c.encoding, c.size]), [['1', 'text/plain', '7bit', 1152], ['2', 'text/plain', 'base64', 4554]]);
    const att = s.childNodes![1]!;
    assert.equal(att.description, 'Compiler diff');
    assert.equal(att.disposition, 'attachment');
    assert.deepEqual(att.dispositionParameters, { filename: 'déjà.diff' });
  });

  test('message/rfc822 inside: the enclosed body is numbered beneath the part', () => {
    const line = '* 2 FETCH (BODYSTRUCTURE (("TEXT" "PLAIN" NIL NIL NIL "7BIT" 10 1)("MESSAGE" "RFC822" NIL NIL NIL "7BIT" 300 (NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL) ("TEXT" "HTML" NIL NIL NIL "7BIT" 20 2) 9) "MIXED"))\r\n';
    const [r] = readAll(Buffer.from(line), []);
    assert.ok(r && r.kind === 'data');
    const s = parseFetchAttributes(fetchItems(r.values[0] ?? null)).bodyStructure!;
    const msg = s.childNodes![1]!;
    assert.equal(msg.part, '2');
    assert.equal(msg.envelope?.subject, 'inner');
    assert.equal(msg.childNodes![0]!.part, '2.1');
    assert.equal(msg.childNodes![0]!.type, 'text/html');
  });

  test('quoted strings with escapes, NIL versus "NIL", 8-bit bytes kept exactly', () => {
    const line = Buffer.concat([Buffer.from('* 3 FETCH (ENVELOPE (NIL "a \\"quoted\\" \\\\ subject" (("NIL" NIL "x" "y")) NIL NIL NIL NIL NIL NIL NIL) X-NAME "'), Buffer.from('Grüße', 'utf8'), Buffer.from('")\r\n')]);
    const [r] = readAll(line, []);
    assert.ok(r && r.kind === 'data');
    const items = fetchItems(r.values[0] ?? null);
    const a = parseFetchAttributes(items);
    assert.equal(a.envelope?.subject, 'a "quoted" \\ subject');
    assert.equal(a.envelope?.from[0]?.name, 'NIL');
    assert.equal(a.envelope?.date, null);
    assert.equal((items[1]![1] as Buffer).toString('utf8'), 'Grüße');
  });

  test('literal8 (~{n}) from BINARY is read like a literal', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 13, 10]);
    const input = Buffer.concat([Buffer.from('* 4 FETCH (UID 7 BINARY[1] ~{6}\r\n'), body, Buffer.from(')\r\n')]);
    for (let i = 0; i <= input.length; i++) {
      const [r] = readAll(input, [i]);
      assert.ok(r && r.kind === 'data');
      const a = parseFetchAttributes(fetchItems(r.values[0] ?? null));
      assert.deepEqual(a.binary.get('1'), body);
    }
  });

  test('a literal chosen for streaming comes out in pieces, the prefix names the item', () => {
    const body = 'x'.repeat(5000);
    const input = Buffer.from(`* 5 FETCH (UID 42 FLAGS (\\Seen) BODY[] {${body.length}}\r\n${body} INTERNALDATE "17-Jul-1996 02:44:25 -0700")\r\nA9 OK done\r\n`);
    for (const cut of [0, 10, 40, 41, 42, 100, 3000, input.length - 3]) {
      const r = new ImapResponseReader();
      r.streamLiteral = (prefix) => /BODY\[\] $/.test(prefix);
      const steps: ImapReadStep[] = [];
      let data = '';
      for (const piece of [input.subarray(0, cut), input.subarray(cut)]) {
        r.push(piece);
        for (;;) {
          const s = r.next();
          if (s.kind === 'need-more') break;
          if (s.kind === 'literal-data') data += s.data.toString();
          else steps.push(s);
        }
      }
      assert.deepEqual(steps.map((s) => s.kind), ['literal-start', 'literal-end', 'response', 'response'], `cut ${cut}`);
      const start = steps[0]!;
      assert.ok(start.kind === 'literal-start');
      assert.equal(start.size, 5000);
      assert.deepEqual(parseFetchPrefix(start.parts, start.literals), { seq: 5, items: [['UID', '42'], ['FLAGS', ['\\Seen']]], item: 'BODY[]' });
      assert.equal(data, body);
      const fetch = steps[2]!;
      assert.ok(fetch.kind === 'response' && fetch.response.kind === 'data');
      const a = parseFetchAttributes(fetchItems(fetch.response.values[0] ?? null));
      assert.ok(a.sections.get('') instanceof StreamedLiteral);
      assert.equal(a.internalDate?.toISOString(), '1996-07-17T09:44:25.000Z');
    }
  });

  test('a big literal is assembled from many chunks without quadratic copying', () => {
    const size = 8 * 1024 * 1024;
    const r = new ImapResponseReader();
    r.push(Buffer.from(`* 1 FETCH (BODY[] {${size}}\r\n`));
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    const started = Date.now();
    for (let sent = 0; sent < size; sent += chunk.length) {
      r.push(chunk);
      assert.equal(r.next().kind, 'need-more');
    }
    r.push(Buffer.from(')\r\n'));
    const s = r.next();
    assert.ok(s.kind === 'response' && s.response.kind === 'data');
    assert.equal((fetchItems(s.response.values[0] ?? null)[0]![1] as Buffer).length, size);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
  });

  test('limits: an endless line and an oversized literal are refused as soon as they show', () => {
    const r = new ImapResponseReader({ maxLineLength: 1000 });
    r.push(Buffer.alloc(3000, 0x41));
    assert.equal(r.next().kind, 'error');
    const r2 = new ImapResponseReader({ maxLiteralBytes: 100 });
    r2.push(Buffer.from('* 1 FETCH (BODY[] {101}\r\n'));
    const s = r2.next();
    assert.ok(s.kind === 'error' && s.error.code === 'literal-too-large');
  });

  test('reset() drops what the server sent before a STARTTLS handshake', () => {
    const r = new ImapResponseReader();
    r.push(Buffer.from('A1 OK Begin TLS\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n'));
    assert.equal(r.next().kind, 'response');
    assert.equal(r.reset(), '* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n'.length);
    assert.equal(r.next().kind, 'need-more');
  });

  test('section keys are normalised the way the client asks for them', () => {
    assert.equal(sectionKey('header.fields (subject  from)'), 'HEADER.FIELDS (SUBJECT FROM)');
    assert.equal(sectionKey('1.2'), '1.2');
    const [r] = readAll(Buffer.from('* 1 FETCH (BODY[HEADER.FIELDS (Subject)]<0> {3}\r\nabc)\r\n'), []);
    assert.ok(r && r.kind === 'data');
    assert.deepEqual([...parseFetchAttributes(fetchItems(r.values[0] ?? null)).sections.keys()], ['HEADER.FIELDS (SUBJECT)']);
  });
});
