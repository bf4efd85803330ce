// ENVELOPE and BODYSTRUCTURE from parsed MIME (RFC 9051 §7.5.2), and the string formatter.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMimeTree } from '../../../src/wire/mime/index.js';
import { bodyStructureChunks, envelopeChunks } from '../../../src/wire/imap/structure.js';
import { astring, nstring, string, toBytes } from '../../../src/wire/imap/response.js';

const text = (chunks: Parameters<typeof toBytes>[0]) => toBytes(chunks).toString('utf8');

const MIXED = [
  'From: "Fred Foobar" <foobar@Blurdybloop.example>',
  'To: mooch@owatagu.siam.edu.example, Undisclosed:;',
  'Subject: =?utf-8?q?caf=C3=A9?= meeting',
  'Date: Mon, 7 Feb 1994 21:52:25 -0800',
  'Message-Id: <B27397-0100000@Blurdybloop.example>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="XX"',
  '',
  '--XX',
  '',
  'Hello',
  '--XX',
  'Content-Type: application/octet-stream; name="a.bin"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="a.bin"',
  '',
  'AAECAw==',
  '--XX--',
  '',
].join('\r\n');

describe('IMAP structures from MIME', () => {
  test('BODYSTRUCTURE of a multipart/mixed with a defaulted text part and an attachment', () => {
    const tree = parseMimeTree(Buffer.from(MIXED));
    assert.equal(text(bodyStructureChunks(tree, true, false)),
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0 NIL NIL NIL NIL)' +
      '("application" "octet-stream" ("name" "a.bin") NIL NIL "base64" 8 NIL ("attachment" ("filename" "a.bin")) NIL NIL)' +
      ' "mixed" ("boundary" "XX") NIL NIL NIL)');
    assert.equal(text(bodyStructureChunks(tree, false, false)),
      '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 5 0)' +
      '("application" "octet-stream" ("name" "a.bin") NIL NIL "base64" 8) "mixed")');
  });

  test('ENVELOPE keeps encoded words, expands groups, and defaults Sender and Reply-To to From', () => {
    const tree = parseMimeTree(Buffer.from(MIXED));
    assert.equal(text(envelopeChunks(tree, false)),
      '("Mon, 7 Feb 1994 21:52:25 -0800" "=?utf-8?q?caf=C3=A9?= meeting" ' +
      '(("Fred Foobar" NIL "foobar" "Blurdybloop.example")) (("Fred Foobar" NIL "foobar" "Blurdybloop.example")) ' +
      '(("Fred Foobar" NIL "foobar" "Blurdybloop.example")) ' +
      '((NIL NIL "mooch" "owatagu.siam.edu.example")(NIL NIL "Undisclosed" NIL)(NIL NIL NIL NIL)) NIL NIL NIL ' +
      '"<B27397-0100000@Blurdybloop.example>")');
  });

  test('a message/rfc822 part carries the envelope, structure and line count of the inner message', () => {
    // The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1): the inner body is "hi".
    const raw = 'Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n--b--\r\n';
    const out = text(bodyStructureChunks(parseMimeTree(Buffer.from(raw)), true, false));
    assert.match(out, /^\(\("message" "rfc822" NIL NIL NIL "7bit" 20 \(NIL "inner" NIL NIL NIL NIL NIL NIL NIL NIL\) \("text" "plain" \("charset" "us-ascii"\) NIL NIL "7bit" 2 0 NIL NIL NIL NIL\) 2 NIL NIL NIL NIL\) "mixed"/);
  });

  test('strings are quoted when they can be and sent as literals when they cannot', () => {
    assert.equal(text(string('plain', false)), '"plain"');
    assert.equal(text(string('say "hi" \\o/', false)), '"say \\"hi\\" \\\\o/"');
    assert.equal(text(string('two\r\nlines', false)), '{10}\r\ntwo\r\nlines');
    assert.equal(text(string('café', false)), '{5}\r\ncafé');
    assert.equal(text(string('café', true)), '"café"');
    assert.equal(text(nstring(null, false)), 'NIL');
    assert.equal(text(astring('INBOX', false)), 'INBOX');
    assert.equal(text(astring('NIL', false)), '"NIL"');
    assert.equal(text(astring('a b', false)), '"a b"');
  });
});
