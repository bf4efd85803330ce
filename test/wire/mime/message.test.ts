import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { decodePartText, searchableText } from '../../../src/wire/mime/text.js';
import { findPart, parseMimeTree } from '../../../src/wire/mime/tree.js';

const crlf = (lines: string[]): Buffer => Buffer.from(lines.join('\r\n'), 'latin1');

// mixed > (alternative > (text, related > (html, image))), pdf attachment, forwarded message
const NESTED = crlf([
  'From: =?utf-8?Q?J=C3=B6rg?= <joerg@example.com>',
  'To: Ann <ann@example.com>, team: b@example.com, c@example.com;',
  'Cc: d@example.com',
  'Reply-To: replies@example.com',
  'Subject: =?utf-8?B?R3LDvMOfZQ==?= from the team',
  'Date: Tue, 02 Jul 2019 15:38:53 +0200',
  'Message-ID: <m1@example.com>',
  'In-Reply-To: <m0@example.com>',
  'References: <a@example.com>\r\n <m0@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="mixed"',
  '',
  '--mixed',
  'Content-Type: multipart/alternative; boundary="alt"',
  '',
  '--alt',
  'Content-Type: text/plain; charset=iso-8859-1',
  'Content-Transfer-Encoding: quoted-printable',
  '',
  'Gr=FC=DFe, see the picture.=',
  '',
  '--alt',
  'Content-Type: multipart/related; boundary="rel"',
  '',
  '--rel',
  'Content-Type: text/html; charset=utf-8',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('<p>Grüße, see <img src="cid:pic@x"></p>').toString('base64'),
  '--rel',
  'Content-Type: image/png',
  'Content-Transfer-Encoding: base64',
  'Content-ID: <pic@x>',
  '',
  'iVBORw0KGgo=',
  '--rel--',
  '--alt',
  'Content-Type: text/watch-html; charset=utf-8',
  '',
  '<b>watch</b>',
  '--alt--',
  '--mixed',
  'Content-Type: application/pdf; name="report.pdf"',
  'Content-Disposition: attachment; filename*=UTF-8\'\'r%C3%A9port.pdf',
  'Content-Transfer-Encoding: base64',
  '',
  'JVBERi0xLjQK',
  '--mixed',
  'Content-Type: message/rfc822',
  '',
  'Subject: forwarded',
  'Content-Type: text/plain',
  '',
  'forwarded body',
  '--mixed--',
  '',
]);

describe('parseMessage', () => {
  const m = parseMessage(NESTED);

  test('headers come decoded in a Map, in order, by lower-case name', () => {
    assert.deepEqual(m.headers.get('subject'), ['Grüße from the team']);
    assert.deepEqual(m.headers.get('from'), ['Jörg <joerg@example.com>']);
    assert.equal(m.subject, 'Grüße from the team');
  });

  test('addresses, groups, date and ids', () => {
    assert.deepEqual(m.from.map((a) => a.kind === 'mailbox' && [a.name, a.address]), [['Jörg', 'joerg@example.com']]);
    assert.equal(m.to.length, 2);
    assert.equal(m.to[1]!.kind, 'group');
    assert.deepEqual(m.cc.map((a) => a.kind === 'mailbox' && a.address), ['d@example.com']);
    assert.deepEqual(m.replyTo.map((a) => a.kind === 'mailbox' && a.address), ['replies@example.com']);
    assert.equal(m.date?.toISOString(), '2019-07-02T13:38:53.000Z');
    assert.equal(m.messageId, '<m1@example.com>');
    assert.equal(m.inReplyTo, '<m0@example.com>');
    assert.deepEqual(m.references, ['<a@example.com>', '<m0@example.com>']);
  });

  test('text and html come from nested alternative and related parts, decoded', () => {
    assert.equal(m.text, 'Grüße, see the picture.');
    assert.equal(m.html, '<p>Grüße, see <img src="cid:pic@x"></p>');
  });

  test('other renderings in the alternative are listed as alternatives, not attachments', () => {
    assert.deepEqual(m.alternatives.map((a) => [a.contentType, a.content]), [['text/watch-html', '<b>watch</b>']]);
  });

  test('attachments: inline image (related), pdf with RFC 2231 name, forwarded message', () => {
    assert.deepEqual(
      m.attachments.map((a) => [a.filename, a.contentType, a.contentId, a.disposition, a.related, a.size, a.section]),
      [
        [null, 'image/png', 'pic@x', null, true, 8, '1.2.2'],
        ['réport.pdf', 'application/pdf', null, 'attachment', false, 9, '2'],
        [null, 'message/rfc822', null, null, false, 62, '3'],
      ],
    );
    assert.equal(m.attachments[1]!.content.toString(), '%PDF-1.4\n');
    assert.match(m.attachments[2]!.content.toString(), /^Subject: forwarded\r\n/);
  });

  test('a plain single-part message gives its text and no attachments', () => {
    const p = parseMessage('Subject: hi\r\n\r\nhello\r\nworld\r\n');
    assert.equal(p.text, 'hello\nworld\n');
    assert.equal(p.html, null);
    assert.deepEqual(p.attachments, []);
  });

  test('a text part with disposition attachment is an attachment', () => {
    const p = parseMessage(crlf(['Content-Type: multipart/mixed; boundary=x', '', '--x', '', 'body', '--x', 'Content-Type: text/plain; name=notes.txt', 'Content-Disposition: attachment', '', 'notes', '--x--']));
    assert.equal(p.text, 'body');
    assert.deepEqual(p.attachments.map((a) => [a.filename, a.content.toString()]), [['notes.txt', 'notes']]);
  });

  test('a single-part attachment-only message has section 1', () => {
    const p = parseMessage(crlf(['Content-Type: application/zip', 'Content-Disposition: attachment; filename=a.zip', 'Content-Transfer-Encoding: base64', '', 'UEsDBA==']));
    assert.deepEqual(p.attachments.map((a) => [a.filename, a.section, a.size]), [['a.zip', '1', 4]]);
  });

  test('accepts a string', () => {
    assert.equal(parseMessage('Subject: =?utf-8?Q?=E2=9C=93?=\n\nok').subject, '✓');
  });
});

describe('decodePartText and searchableText', () => {
  test('format=flowed text is unwrapped (RFC 3676)', () => {
    const raw = crlf(['Content-Type: text/plain; charset=utf-8; format=flowed', '', 'This is a soft ', 'wrapped line.', 'Hard break.']);
    const t = parseMimeTree(raw);
    assert.equal(decodePartText(raw, t), 'This is a soft wrapped line.\nHard break.');
  });

  test('format=flowed with delsp=yes deletes the space before soft breaks', () => {
    const raw = crlf(['Content-Type: text/plain; format=flowed; delsp=yes', '', 'Japa ', 'nese']);
    assert.equal(decodePartText(raw, parseMimeTree(raw)), 'Japanese');
  });

  test('a base64 part in an unknown charset decodes by the heuristic', () => {
    const raw = crlf(['Content-Type: text/plain; charset=x-unknown', 'Content-Transfer-Encoding: base64', '', Buffer.from('naïve').toString('base64')]);
    assert.equal(decodePartText(raw, parseMimeTree(raw)), 'naïve');
  });

  test('searchable text: decoded headers, plain text of the alternative, HTML-only parts stripped, forwarded headers', () => {
    const t = parseMimeTree(NESTED);
    const s = searchableText(NESTED, t);
    assert.match(s.headers, /^From: Jörg <joerg@example\.com>$/m);
    assert.match(s.headers, /^Subject: Grüße from the team$/m);
    assert.match(s.body, /Grüße, see the picture\./);
    assert.ok(!s.body.includes('<p>'), 'the HTML alternative is not indexed twice');
    assert.match(s.body, /Subject: forwarded/);
    assert.match(s.body, /forwarded body/);

    const html = crlf(['Content-Type: text/html', '', '<html><head><style>p{}</style></head><body><p>Hello <b>bold</b> <a href="http://x.test/">link</a></p></body></html>']);
    const s2 = searchableText(html, parseMimeTree(html));
    assert.equal(s2.body.trim(), 'Hello bold link');
  });

  test('findPart and decodePartText together fetch BODY[1.1] text', () => {
    const t = parseMimeTree(NESTED);
    assert.equal(decodePartText(NESTED, findPart(t, [1, 1])!), 'Grüße, see the picture.');
  });
});
