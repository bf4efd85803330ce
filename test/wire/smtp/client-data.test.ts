// DATA encoding (RFC 5321 §4.5.2 dot-stuffing, §2.3.8 CRLF) and message scanning, replayed
// split at every byte boundary because the encoder runs over streamed chunks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DataEncoder, encodeData, encodeXtext, envelopeAddressProblem, needsSmtpUtf8, scanMessage } from '../../../src/wire/smtp/client-data.js';

const VECTORS: Array<[string, string]> = [
  ['', '.\r\n'],
  ['Subject: x\r\n\r\nbody\r\n', 'Subject: x\r\n\r\nbody\r\n.\r\n'],
  ['no final newline', 'no final newline\r\n.\r\n'],
  ['.leading\r\n..two\r\n.\r\n', '..leading\r\n...two\r\n..\r\n.\r\n'],
  ['bare\nLF\nline ends\n', 'bare\r\nLF\r\nline ends\r\n.\r\n'],
  ['bare\rCR\r.dot', 'bare\r\nCR\r\n..dot\r\n.\r\n'],
  ['mixed\r\n\n\r.x', 'mixed\r\n\r\n\r\n..x\r\n.\r\n'],
  ['a\r\n.\r\nb', 'a\r\n..\r\nb\r\n.\r\n'],
];

function splitEncode(input: Buffer, cuts: number[]): Buffer {
  const e = new DataEncoder();
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, input.length]) {
    out.push(e.push(input.subarray(prev, c)));
    prev = c;
  }
  out.push(e.end());
  return Buffer.concat(out);
}

/** Undoes the encoding the way a server does (RFC 5321 §4.5.2). */
function serverDecode(wire: string): string {
  const lines = wire.split('\r\n');
  assert.equal(lines.at(-1), '');
  assert.equal(lines.at(-2), '.');
  return lines.slice(0, -2).map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n') + (lines.length > 2 ? '\r\n' : '');
}

describe('SMTP DATA encoding', () => {
  test('vectors: dot-stuffing, bare CR/LF to CRLF, final CRLF and terminator', () => {
    for (const [input, wire] of VECTORS) assert.equal(encodeData(Buffer.from(input)).toString(), wire, JSON.stringify(input));
  });

  test('every vector gives the same bytes when split at every byte boundary (and twice)', () => {
    for (const [input, wire] of VECTORS) {
      const b = Buffer.from(input);
      for (let i = 0; i <= b.length; i++) {
        assert.equal(splitEncode(b, [i]).toString(), wire, `${JSON.stringify(input)} split at ${i}`);
        for (let j = i; j <= b.length; j++) assert.equal(splitEncode(b, [i, j]).toString(), wire);
      }
    }
  });

  test('property: a server un-stuffing the data gets the CRLF-normalised message back', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('.', '\r', '\n', 'a', ' ', '..', '\r\n'), { maxLength: 40 }), fc.array(fc.nat(40), { maxLength: 4 }), (parts, cuts) => {
      const msg = parts.join('');
      const normalised = msg.replace(/\r\n|\r|\n/g, '\r\n');
      const expected = normalised === '' || normalised.endsWith('\r\n') ? normalised : normalised + '\r\n';
      const b = Buffer.from(msg);
      const wire = splitEncode(b, [...new Set(cuts.map((c) => Math.min(c, b.length)))].sort((x, y) => x - y)).toString();
      assert.equal(serverDecode(wire), expected);
      // No line on the wire is a lone "." except the terminator.
      assert.equal(wire.split('\r\n').filter((l) => l === '.').length, 1);
    }));
  });

  test('scanMessage measures size with CRLF line ends, 8-bit bytes and the longest line', () => {
    assert.deepEqual(scanMessage(Buffer.from('ab\ncd\r\n')), { size: 8, eightBit: false, longestLine: 2 });
    assert.deepEqual(scanMessage(Buffer.from('Grüße', 'utf8')), { size: 7, eightBit: true, longestLine: 7 });
    assert.equal(scanMessage(Buffer.from('x'.repeat(1000) + '\r\n')).longestLine, 1000);
  });

  test('xtext (RFC 3461 §4) escapes +, = and bytes outside ! to ~', () => {
    assert.equal(encodeXtext('a+b=c d'), 'a+2Bb+3Dc+20d');
    assert.equal(encodeXtext('é'), '+C3+A9');
    assert.equal(encodeXtext('<x@y>'), '<x@y>');
  });

  test('envelope addresses that could escape the command are refused; UTF-8 needs SMTPUTF8', () => {
    assert.equal(envelopeAddressProblem('a@b.example'), null);
    assert.match(envelopeAddressProblem('a@b>\r\nRCPT TO:<evil@x>')!, /line break/);
    assert.match(envelopeAddressProblem('a b@c')!, /space/);
    assert.equal(needsSmtpUtf8('jürgen@example.test'), true);
    assert.equal(needsSmtpUtf8('j@example.test'), false);
  });
});
