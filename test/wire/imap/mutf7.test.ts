// Modified UTF-7 mailbox names (RFC 3501 §5.1.3) with the RFC's own example.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeMailboxName, encodeMailboxName } from '../../../src/wire/imap/mutf7.js';

describe('modified UTF-7 mailbox names', () => {
  test('the RFC 3501 example "~peter/mail/&U,BTFw-/&ZeVnLIqe-" is ~peter/mail/台北/日本語', () => {
    assert.equal(decodeMailboxName('~peter/mail/&U,BTFw-/&ZeVnLIqe-'), '~peter/mail/台北/日本語');
    assert.equal(encodeMailboxName('~peter/mail/台北/日本語'), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
  });

  test('"&" is written "&-"; ASCII stays itself', () => {
    assert.equal(encodeMailboxName('Tom & Jerry'), 'Tom &- Jerry');
    assert.equal(decodeMailboxName('Tom &- Jerry'), 'Tom & Jerry');
    assert.equal(encodeMailboxName('Entwürfe'), 'Entw&APw-rfe');
    assert.equal(decodeMailboxName('Entw&APw-rfe'), 'Entwürfe');
  });

  test('characters outside the BMP round-trip through surrogate pairs', () => {
    assert.equal(decodeMailboxName(encodeMailboxName('Mail 📬')), 'Mail 📬');
  });

  test('invalid spellings are refused: 8-bit, unterminated, encoded ASCII, adjacent shifts, bad padding', () => {
    for (const bad of ['Entwürfe', '&U,BTFw', '&AGE-', '&U,BTFw-&ZeVnLIqe-', '&U,BTF-', '&2D0-', 'a\tb']) {
      assert.equal(decodeMailboxName(bad), null, bad);
    }
  });

  test('any Unicode name round-trips, and the encoding is pure printable ASCII', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 30 }), (s) => {
      const enc = encodeMailboxName(s);
      assert.match(enc, /^[\x20-\x7e]*$/);
      assert.equal(decodeMailboxName(enc), s);
    }), { numRuns: 500 });
  });
});
