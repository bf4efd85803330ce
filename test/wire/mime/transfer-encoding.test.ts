import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import {
  decodeBase64,
  decodeQuotedPrintable,
  decodeTransferEncoding,
  encodeBase64Lines,
  encodeQuotedPrintable,
} from '../../../src/wire/mime/transfer-encoding.js';

const qp = (s: string): string => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');

describe('quoted-printable (RFC 2045 §6.7)', () => {
  test('=XX octets in upper and lower case', () => {
    assert.equal(qp('caf=E9 caf=e9 =3D'), 'caf\xe9 caf\xe9 =');
  });

  test('RFC 2045 §6.7 rule 5: soft line breaks join lines', () => {
    assert.equal(
      qp('Now\'s the time =\r\nfor all folk to come=\r\n to the aid of their country.'),
      "Now's the time for all folk to come to the aid of their country.",
    );
  });

  test('soft line breaks with LF only and with blanks after the "="', () => {
    assert.equal(qp('a=\nb'), 'ab');
    assert.equal(qp('a= \t\r\nb'), 'ab');
    assert.equal(qp('a='), 'a');
  });

  test('RFC 2045 §6.7 rule 3: blanks before a hard line break are removed', () => {
    assert.equal(qp('trailing   \r\nnext\t\r\nend  '), 'trailing\r\nnext\r\nend');
    assert.equal(qp('inner  blanks stay'), 'inner  blanks stay');
  });

  test('malformed "=" sequences are kept as they are', () => {
    assert.equal(qp('100% =ZZ =4'), '100% =ZZ =4');
  });

  test('the encoder writes lines of at most 76 characters and round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.array(fc.string({ maxLength: 200 }), { maxLength: 10 }), (bin, lines) => {
        for (const input of [Buffer.from(bin), Buffer.from(lines.join('\r\n'), 'utf8')]) {
          const enc = encodeQuotedPrintable(input);
          for (const line of enc.toString('latin1').split('\r\n')) assert.ok(line.length <= 76, `line of ${line.length}`);
          assert.ok(!/[^\x20-\x7e\r\n\t]/.test(enc.toString('latin1')), 'output is 7-bit printable');
          // bare CR/LF in binary input is encoded; CRLF pairs stay line breaks
          assert.deepEqual(decodeQuotedPrintable(enc), input);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('the encoder protects blanks at line ends, "." and "From " at line starts', () => {
    const enc = encodeQuotedPrintable(Buffer.from('a \r\n.\r\nFrom me\r\nb\t')).toString();
    assert.equal(enc, 'a=20\r\n=2E\r\n=46rom me\r\nb=09');
  });
});

describe('base64 (RFC 2045 §6.8)', () => {
  test('line breaks, blanks and junk characters are skipped', () => {
    assert.equal(decodeBase64(Buffer.from('aGVs\r\nbG8g\r\n  d29y\tbGQ=\r\n')).toString(), 'hello world');
    assert.equal(decodeBase64(Buffer.from('aGV$$sbG8=')).toString(), 'hello');
  });

  test('missing padding is accepted', () => {
    assert.equal(decodeBase64(Buffer.from('aGVsbG8')).toString(), 'hello');
  });

  test('padding in the middle (every line padded) does not stop decoding', () => {
    assert.equal(decodeBase64(Buffer.from('aGVsbG8=\r\nd29ybGQ=\r\n')).toString(), 'helloworld');
  });

  test('the encoder writes 76-character lines ending in CRLF and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bin) => {
        const enc = encodeBase64Lines(bin);
        const lines = enc.toString('latin1').split('\r\n');
        assert.equal(lines.pop(), '');
        for (const l of lines.slice(0, -1)) assert.equal(l.length, 76);
        assert.deepEqual(decodeBase64(enc), Buffer.from(bin));
      }),
      { numRuns: 300 },
    );
  });
});

describe('decodeTransferEncoding', () => {
  test('7bit, 8bit, binary and unknown encodings return the bytes unchanged (no copy)', () => {
    const raw = Buffer.from('héllo');
    for (const e of ['7bit', '8bit', 'binary', 'x-unknown']) assert.equal(decodeTransferEncoding(raw, e).buffer, raw.buffer);
  });
});
