import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { bodyBytes, findPart, headerBytes, parseMimeTree, walkParts } from '../../../src/wire/mime/tree.js';
import type { MimePart } from '../../../src/wire/mime/types.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');
const body = (raw: Buffer, p: MimePart | null): string => {
  assert.ok(p, 'part exists');
  return bodyBytes(raw, p).toString('latin1');
};
const countLF = (s: string): number => s.split('\n').length - 1;

// The structure of RFC 3501 §6.4.5's example, built as a message.
const RFC3501_EXAMPLE = crlf([
  'From: a@example.com',
  'Subject: RFC 3501 6.4.5',
  'MIME-Version: 1.0',
  'Content-Type: MULTIPART/MIXED; boundary="b0"',
  '',
  '--b0',
  'Content-Type: TEXT/PLAIN',
  '',
  'part 1',
  '--b0',
  'Content-Type: APPLICATION/OCTET-STREAM',
  'Content-Transfer-Encoding: base64',
  '',
  'cGFydCAy',
  '--b0',
  'Content-Type: MESSAGE/RFC822',
  '',
  'Subject: part 3',
  'Content-Type: MULTIPART/MIXED; boundary=b3',
  '',
  '--b3',
  'Content-Type: TEXT/PLAIN',
  '',
  'part 3.1',
  '--b3',
  'Content-Type: APPLICATION/OCTET-STREAM',
  '',
  'part 3.2',
  '--b3--',
  '--b0',
  'Content-Type: MULTIPART/MIXED; boundary=b4',
  '',
  '--b4',
  'Content-Type: IMAGE/GIF',
  '',
  'part 4.1',
  '--b4',
  'Content-Type: MESSAGE/RFC822',
  '',
  'Subject: part 4.2',
  'Content-Type: MULTIPART/MIXED; boundary=b42',
  '',
  '--b42',
  'Content-Type: TEXT/PLAIN',
  '',
  'part 4.2.1',
  '--b42',
  'Content-Type: MULTIPART/ALTERNATIVE; boundary=b422',
  '',
  '--b422',
  'Content-Type: TEXT/PLAIN',
  '',
  'part 4.2.2.1',
  '--b422',
  'Content-Type: TEXT/RICHTEXT',
  '',
  'part 4.2.2.2',
  '--b422--',
  '--b42--',
  '--b4--',
  '--b0--',
  '',
]);

describe('MIME tree: RFC 3501 §6.4.5 part numbering', () => {
  const tree = parseMimeTree(RFC3501_EXAMPLE);
  const cases: Array<[string, string, string | null]> = [
    ['1', 'text/plain', 'part 1'],
    ['2', 'application/octet-stream', 'cGFydCAy'],
    ['3', 'message/rfc822', null],
    ['3.1', 'text/plain', 'part 3.1'],
    ['3.2', 'application/octet-stream', 'part 3.2'],
    ['4', 'multipart/mixed', null],
    ['4.1', 'image/gif', 'part 4.1'],
    ['4.2', 'message/rfc822', null],
    ['4.2.1', 'text/plain', 'part 4.2.1'],
    ['4.2.2', 'multipart/alternative', null],
    ['4.2.2.1', 'text/plain', 'part 4.2.2.1'],
    ['4.2.2.2', 'text/richtext', 'part 4.2.2.2'],
  ];
  for (const [section, type, text] of cases) {
    test(`BODY[${section}] is the ${type} part`, () => {
      const p = findPart(tree, section.split('.').map(Number));
      assert.ok(p);
      assert.equal(p.contentType.mimeType, type);
      if (text !== null) assert.equal(body(RFC3501_EXAMPLE, p), text);
      if (p.kind !== 'message') assert.equal(p.section, section);
    });
  }

  test('the top level is multipart/mixed with four parts and no part 5', () => {
    assert.equal(tree.kind, 'multipart');
    assert.equal(tree.section, '');
    assert.equal(tree.children.length, 4);
    assert.equal(findPart(tree, [5]), null);
    assert.equal(findPart(tree, [1, 1]), null, 'a text part has no sub-parts');
    assert.equal(findPart(tree, [0]), null);
  });

  test('3.HEADER and 3.TEXT are the header and body of the encapsulated message', () => {
    const p3 = findPart(tree, [3])!;
    assert.equal(p3.kind, 'message');
    const inner = p3.children[0]!;
    assert.equal(inner.section, '3');
    assert.match(headerBytes(RFC3501_EXAMPLE, inner).toString(), /^Subject: part 3\r\nContent-Type: MULTIPART\/MIXED; boundary=b3\r\n\r\n$/);
    assert.ok(body(RFC3501_EXAMPLE, inner).startsWith('--b3\r\n'));
    assert.ok(body(RFC3501_EXAMPLE, inner).endsWith('--b3--'));
    // BODY[3] is the whole encapsulated message
    assert.equal(p3.bodyStart, inner.headerStart);
    assert.equal(p3.bodyEnd, inner.bodyEnd);
  });

  test('message/rfc822 line counts equal the LF count of its body, however deep', () => {
    walkParts(tree, (p) => {
      if (p.contentType.type === 'text' || p.contentType.type === 'message') {
        assert.equal(p.lines, countLF(body(RFC3501_EXAMPLE, p)), `lines of ${p.section} ${p.contentType.mimeType}`);
      }
      assert.equal(p.size, p.bodyEnd - p.bodyStart);
    });
  });

  test('content types come back lower-case', () => {
    assert.equal(tree.contentType.type, 'multipart');
    assert.equal(tree.contentType.subtype, 'mixed');
    assert.equal(tree.contentType.params['boundary'], 'b0');
  });
});

describe('MIME tree: RFC 2046 §5.1.1 example', () => {
  const raw = crlf([
    'From: Nathaniel Borenstein <nsb@bellcore.com>',
    'To: Ned Freed <ned@innosoft.com>',
    'Date: Sun, 21 Mar 1993 23:56:48 -0800 (PST)',
    'Subject: Sample message',
    'MIME-Version: 1.0',
    'Content-type: multipart/mixed; boundary="simple boundary"',
    '',
    'This is the preamble.  It is to be ignored, though it',
    'is a handy place for composition agents to include an',
    'explanatory note to non-MIME conformant readers.',
    '',
    '--simple boundary',
    '',
    'This is implicitly typed plain US-ASCII text.',
    'It does NOT end with a linebreak.',
    '--simple boundary',
    'Content-type: text/plain; charset=us-ascii',
    '',
    'This is explicitly typed plain US-ASCII text.',
    'It DOES end with a linebreak.',
    '',
    '--simple boundary--',
    '',
    'This is the epilogue.  It is also to be ignored.',
  ]);
  const tree = parseMimeTree(raw);

  test('the two parts have exactly the bodies the RFC describes', () => {
    assert.equal(tree.children.length, 2);
    assert.equal(body(raw, tree.children[0]!), 'This is implicitly typed plain US-ASCII text.\r\nIt does NOT end with a linebreak.');
    assert.equal(body(raw, tree.children[1]!), 'This is explicitly typed plain US-ASCII text.\r\nIt DOES end with a linebreak.\r\n');
  });

  test('a part without header is text/plain by default (RFC 2045 §5.2)', () => {
    const p = tree.children[0]!;
    assert.equal(p.headers.length, 0);
    assert.equal(p.contentType.mimeType, 'text/plain');
    assert.equal(p.contentType.defaulted, true);
    assert.equal(tree.children[1]!.contentType.defaulted, false);
    assert.equal(tree.children[1]!.contentType.params['charset'], 'us-ascii');
  });

  test('a boundary containing a space is matched', () => {
    assert.equal(tree.contentType.params['boundary'], 'simple boundary');
  });

  test('preamble and epilogue belong to the multipart body', () => {
    const all = body(raw, tree);
    assert.ok(all.startsWith('This is the preamble.'));
    assert.ok(all.endsWith('This is the epilogue.  It is also to be ignored.'));
  });
});

describe('MIME tree: RFC 2049 Appendix A complex example', () => {
  const raw = crlf([
    'MIME-Version: 1.0',
    'From: Nathaniel Borenstein <nsb@nsb.fv.com>',
    'To: Ned Freed <ned@innosoft.com>',
    'Date: Fri, 07 Oct 1994 16:15:05 -0700 (PDT)',
    'Subject: A multipart example',
    'Content-Type: multipart/mixed;',
    '              boundary=unique-boundary-1',
    '',
    'This is the preamble area of a multipart message.',
    '',
    '--unique-boundary-1',
    '',
    '  ... Some text appears here ...',
    '--unique-boundary-1',
    'Content-type: text/plain; charset=US-ASCII',
    '',
    'This could have been part of the previous part, but',
    'illustrates explicit versus implicit typing of body',
    'parts.',
    '--unique-boundary-1',
    'Content-Type: multipart/parallel; boundary=unique-boundary-2',
    '',
    '--unique-boundary-2',
    'Content-Type: audio/basic',
    'Content-Transfer-Encoding: base64',
    '',
    '  ... base64-encoded 8000 Hz single-channel',
    '      mu-law-format audio data goes here ...',
    '',
    '--unique-boundary-2',
    'Content-Type: image/jpeg',
    'Content-Transfer-Encoding: base64',
    '',
    '  ... base64-encoded image data goes here ...',
    '',
    '--unique-boundary-2--',
    '',
    '--unique-boundary-1',
    'Content-type: text/enriched',
    '',
    'This is <bold><italic>enriched.</italic></bold>',
    '<smaller>as defined in RFC 1896</smaller>',
    '',
    'Isn\'t it',
    '<bigger><bigger>cool?</bigger></bigger>',
    '',
    '--unique-boundary-1',
    'Content-Type: message/rfc822',
    '',
    'From: (mailbox in US-ASCII)',
    'To: (address in US-ASCII)',
    'Subject: (subject in US-ASCII)',
    'Content-Type: Text/plain; charset=ISO-8859-1',
    'Content-Transfer-Encoding: Quoted-printable',
    '',
    '  ... Additional text in ISO-8859-1 goes here ...',
    '',
    '--unique-boundary-1--',
  ]);
  const tree = parseMimeTree(raw);

  test('the structure is mixed(text, text, parallel(audio, image), enriched, message(text))', () => {
    const shape = (p: MimePart): unknown => (p.children.length ? [p.contentType.mimeType, p.children.map(shape)] : p.contentType.mimeType);
    assert.deepEqual(shape(tree), [
      'multipart/mixed',
      ['text/plain', 'text/plain', ['multipart/parallel', ['audio/basic', 'image/jpeg']], 'text/enriched', ['message/rfc822', ['text/plain']]],
    ]);
  });

  test('a folded Content-Type boundary parameter is found', () => {
    assert.equal(tree.contentType.params['boundary'], 'unique-boundary-1');
  });

  test('transfer encodings come back lower-case, 7bit when absent', () => {
    assert.equal(findPart(tree, [3, 1])!.encoding, 'base64');
    assert.equal(findPart(tree, [1])!.encoding, '7bit');
    assert.equal(findPart(tree, [5, 1])!.encoding, 'quoted-printable');
  });

  test('part 5.1 is the body of the encapsulated single-part message', () => {
    const p = findPart(tree, [5, 1])!;
    assert.equal(p.contentType.mimeType, 'text/plain');
    assert.equal(p.contentType.params['charset'], 'ISO-8859-1');
    assert.equal(body(raw, p), '  ... Additional text in ISO-8859-1 goes here ...\r\n');
    assert.equal(findPart(tree, [5, 2]), null);
  });
});

describe('MIME tree: single-part messages', () => {
  const raw = crlf(['Subject: hi', 'Content-Type: text/plain; charset=utf-8', '', 'line 1', 'line 2', '']);
  const tree = parseMimeTree(raw);

  test('part 1 of a non-multipart message is its body', () => {
    assert.equal(tree.kind, 'leaf');
    assert.equal(findPart(tree, [1]), tree);
    assert.equal(findPart(tree, []), tree);
    assert.equal(findPart(tree, [2]), null);
    assert.equal(body(raw, tree), 'line 1\r\nline 2\r\n');
    assert.equal(tree.size, 16);
    assert.equal(tree.lines, 2);
  });

  test('header fields keep order, raw form and unfolded value', () => {
    const raw2 = crlf(['Subject: a', ' folded', '\tline', 'X-Empty:', 'Received: from x', ' by y', '', 'body']);
    const t = parseMimeTree(raw2);
    assert.deepEqual(
      t.headers.map((f) => [f.name, f.raw, f.value]),
      [
        ['Subject', ' a\r\n folded\r\n\tline', 'a folded\tline'],
        ['X-Empty', '', ''],
        ['Received', ' from x\r\n by y', 'from x by y'],
      ],
    );
    const f = t.headers[2]!;
    assert.equal(raw2.toString('latin1', f.start, f.end), 'Received: from x\r\n by y\r\n');
  });

  test('a message with only a header has an empty body at its end', () => {
    const r = Buffer.from('Subject: no body\r\n');
    const t = parseMimeTree(r);
    assert.equal(t.bodyStart, r.length);
    assert.equal(t.size, 0);
  });

  test('an empty message parses', () => {
    const t = parseMimeTree(Buffer.alloc(0));
    assert.equal(t.size, 0);
    assert.equal(t.contentType.mimeType, 'text/plain');
  });
});

describe('MIME tree: broken real-world mail', () => {
  test('LF-only line ends are read like CRLF', () => {
    const raw = Buffer.from(['Content-Type: multipart/mixed; boundary=x', '', '--x', 'Content-Type: text/plain', '', 'one', '--x', '', 'two', '--x--', ''].join('\n'));
    const t = parseMimeTree(raw);
    assert.deepEqual(t.children.map((c) => body(raw, c)), ['one', 'two']);
  });

  test('a missing final boundary ends the last part at the end of the message', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=x', '', '--x', '', 'one', '--x', 'Content-Type: text/html', '', '<p>two</p>', '']);
    const t = parseMimeTree(raw);
    assert.equal(t.children.length, 2);
    assert.equal(body(raw, t.children[1]!), '<p>two</p>\r\n');
    assert.equal(t.bodyEnd, raw.length);
  });

  test('an inner multipart that never closes is ended by the outer boundary', () => {
    const raw = crlf([
      'Content-Type: multipart/mixed; boundary=outer',
      '',
      '--outer',
      'Content-Type: multipart/alternative; boundary=inner',
      '',
      '--inner',
      '',
      'alt text',
      '--outer',
      'Content-Type: application/pdf',
      '',
      'PDF',
      '--outer--',
    ]);
    const t = parseMimeTree(raw);
    assert.equal(t.children.length, 2);
    assert.equal(body(raw, findPart(t, [1, 1])), 'alt text');
    assert.equal(body(raw, findPart(t, [2])), 'PDF');
  });

  test('junk before the first boundary is preamble, not a part', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=x', '', 'junk --x not at line start', '-- x', '--x', '', 'part', '--x--']);
    const t = parseMimeTree(raw);
    assert.equal(t.children.length, 1);
    assert.equal(body(raw, t.children[0]!), 'part');
  });

  test('delimiter lines with trailing spaces and tabs are boundaries (RFC 2046 transport padding)', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary="b"', '', '--b  \t', '', 'one', '--b\t', '', 'two', '--b-- \t', 'epilogue']);
    const t = parseMimeTree(raw);
    assert.deepEqual(t.children.map((c) => body(raw, c)), ['one', 'two']);
  });

  test('a boundary parameter with trailing blanks inside quotes still matches delimiter lines with them', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary="b "', '', '--b ', '', 'one', '--b --']);
    const t = parseMimeTree(raw);
    assert.deepEqual(t.children.map((c) => body(raw, c)), ['one']);
  });

  test('when one boundary is a prefix of another, the longest match wins', () => {
    const raw = crlf([
      'Content-Type: multipart/mixed; boundary=abc',
      '',
      '--abc',
      'Content-Type: multipart/alternative; boundary=abc_1',
      '',
      '--abc_1',
      '',
      'inner one',
      '--abc_1',
      '',
      'inner two',
      '--abc_1--',
      '--abc',
      '',
      'outer two',
      '--abc--',
    ]);
    const t = parseMimeTree(raw);
    assert.deepEqual(t.children[0]!.children.map((c) => body(raw, c)), ['inner one', 'inner two']);
    assert.equal(body(raw, t.children[1]!), 'outer two');
  });

  test('a nested multipart reusing its parent boundary nests (innermost wins), as Dovecot does', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=same', '', '--same', 'Content-Type: multipart/mixed; boundary=same', '', '--same', '', 'deep', '--same--', '--same', '', 'shallow', '--same--']);
    const t = parseMimeTree(raw);
    assert.equal(body(raw, findPart(t, [1, 1])), 'deep');
    assert.equal(body(raw, findPart(t, [2])), 'shallow');
  });

  test('a part whose header runs straight into the next boundary has an empty body and does not swallow it', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=x', '', '--x', 'Content-Type: text/plain', '--x', '', 'second', '--x--']);
    const t = parseMimeTree(raw);
    assert.equal(t.children.length, 2);
    assert.equal(t.children[0]!.size, 0);
    assert.equal(t.children[0]!.contentType.mimeType, 'text/plain');
    assert.equal(body(raw, t.children[1]!), 'second');
  });

  test('an empty part between two delimiters is kept', () => {
    const raw = crlf(['Content-Type: multipart/mixed; boundary=x', '', '--x', '--x', '', 'b', '--x--']);
    const t = parseMimeTree(raw);
    assert.equal(t.children.length, 2);
    assert.equal(t.children[0]!.size, 0);
  });

  test('header lines without a colon and an mbox From_ line are skipped, the fields around them kept', () => {
    const raw = crlf(['From MAILER-DAEMON Fri Jul  8 12:08:34 2011', 'Subject: ok', 'this line has no colon', 'To: x@y', '', 'body']);
    const t = parseMimeTree(raw);
    assert.deepEqual(t.headers.map((f) => f.name), ['Subject', 'To']);
    assert.equal(body(raw, t), 'body');
  });

  test('blanks before the colon (RFC 5322 obs-optional) are accepted', () => {
    const t = parseMimeTree(crlf(['Subject : spaced', 'Content-Type\t: text/html', '', 'x']));
    assert.equal(t.headers[0]!.name, 'Subject');
    assert.equal(t.contentType.mimeType, 'text/html');
  });

  test('8-bit UTF-8 headers are read as UTF-8 and latin1 ones as windows-1252, raw bytes kept', () => {
    const raw = Buffer.concat([
      Buffer.from('Subject: Grüße €\r\n', 'utf8'),
      Buffer.from('X-Latin: caf\xe9 \x80\r\n', 'latin1'),
      Buffer.from('Content-Disposition: attachment; filename="r\xe9sum\xe9.pdf"\r\n\r\nbody', 'latin1'),
    ]);
    const t = parseMimeTree(raw);
    assert.equal(t.headers[0]!.value, 'Grüße €');
    assert.deepEqual(Buffer.from(t.headers[0]!.raw, 'latin1'), Buffer.from(' Grüße €', 'utf8'));
    assert.equal(t.headers[1]!.value, 'café €');
    assert.equal(t.disposition!.params['filename'], 'résumé.pdf');
  });

  test('a multipart without boundary parameter is a leaf, marked no-boundary', () => {
    const t = parseMimeTree(crlf(['Content-Type: multipart/mixed', '', '--x', '', 'a', '--x--']));
    assert.equal(t.kind, 'leaf');
    assert.equal(t.unparsed, 'no-boundary');
  });

  test('a base64-encoded message/rfc822 is kept as a leaf (RFC 2046 §5.2.1 forbids it)', () => {
    const t = parseMimeTree(crlf(['Content-Type: multipart/mixed; boundary=x', '', '--x', 'Content-Type: message/rfc822', 'Content-Transfer-Encoding: base64', '', 'U3ViamVjdDogeA0KDQpo', '--x--']));
    assert.equal(t.children[0]!.kind, 'leaf');
    assert.equal(t.children[0]!.unparsed, 'encoded');
  });

  test('an invalid Content-Type is text/plain, keeping its parameters (RFC 2045 §5.2)', () => {
    const t = parseMimeTree(crlf(['Content-Type: text; charset=koi8-r', '', 'x']));
    assert.equal(t.contentType.mimeType, 'text/plain');
    assert.equal(t.contentType.params['charset'], 'koi8-r');
    assert.equal(t.contentType.defaulted, false);
  });

  test('parts of a multipart/digest default to message/rfc822 (RFC 2046 §5.1.5)', () => {
    const raw = crlf(['Content-Type: multipart/digest; boundary=d', '', '--d', '', 'Subject: one', '', 'first', '--d', 'Content-Type: text/plain', '', 'not a message', '--d--']);
    const t = parseMimeTree(raw);
    assert.equal(t.children[0]!.contentType.mimeType, 'message/rfc822');
    assert.equal(t.children[0]!.contentType.defaulted, true);
    assert.equal(t.children[0]!.kind, 'message');
    assert.equal(t.children[0]!.children[0]!.headers[0]!.value, 'one');
    assert.equal(body(raw, findPart(t, [1, 1])), 'first');
    assert.equal(t.children[1]!.contentType.mimeType, 'text/plain');
  });

  test('Content-ID, Description, Language, Location and MD5 are read', () => {
    const t = parseMimeTree(
      crlf([
        'Content-Type: image/png',
        'Content-ID: <logo@x>',
        'Content-Description: =?utf-8?Q?Log=C3=B6?=',
        'Content-Language: en, de',
        'Content-Location: http://example.com/',
        ' a/b.png',
        'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==',
        '',
        'x',
      ]),
    );
    assert.equal(t.contentId, '<logo@x>');
    assert.equal(t.description, '=?utf-8?Q?Log=C3=B6?=', 'kept undecoded for BODYSTRUCTURE');
    assert.deepEqual(t.language, ['en', 'de']);
    assert.equal(t.location, 'http://example.com/a/b.png');
    assert.equal(t.md5, 'Q2hlY2sgSW50ZWdyaXR5IQ==');
  });

  test('maxParts stops splitting: later delimiters are body text of the open part', () => {
    const lines = ['Content-Type: multipart/mixed; boundary=x', ''];
    for (let i = 0; i < 20; i++) lines.push('--x', '', `p${i}`);
    lines.push('--x--');
    const raw = crlf(lines);
    const t = parseMimeTree(raw, { maxParts: 5 });
    assert.equal(t.children.length, 4); // the root counts as one part
    assert.equal(t.unparsed, 'parts');
    assert.ok(body(raw, t.children[3]!).includes('p19'));
  });

  test('maxDepth turns deeper multiparts into leaves', () => {
    const raw = crlf([
      'Content-Type: multipart/mixed; boundary=a',
      '',
      '--a',
      'Content-Type: multipart/mixed; boundary=b',
      '',
      '--b',
      '',
      'deep',
      '--b--',
      '--a--',
    ]);
    const t = parseMimeTree(raw, { maxDepth: 1 });
    assert.equal(t.children[0]!.kind, 'leaf');
    assert.equal(t.children[0]!.unparsed, 'depth');
    assert.equal(body(raw, t.children[0]!), '--b\r\n\r\ndeep\r\n--b--');
  });

  test('the tree is plain data: it survives a JSON round trip', () => {
    const t = parseMimeTree(RFC3501_EXAMPLE);
    const copy = JSON.parse(JSON.stringify(t)) as MimePart;
    assert.equal(findPart(copy, [4, 2, 2, 2])!.contentType.mimeType, 'text/richtext');
    assert.deepEqual(copy, JSON.parse(JSON.stringify(t)));
  });
});
