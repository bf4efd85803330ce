// RFC 6152 §3 downgrade of 8-bit mail to 7 bits: the result is all 7-bit, reads the same
// (text, html, attachments, subject) as the original, and what could not be converted is
// refused with a reason rather than sent broken.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import fc from 'fast-check';
import { downgradeTo7bit, DowngradeError } from '../../../src/wire/mime/downgrade.js';
import { parseMessage } from '../../../src/wire/mime/message.js';
import { parseMimeTree } from '../../../src/wire/mime/tree.js';

const crlf = (s: string) => Buffer.from(s.replace(/\r?\n/g, '\r\n'), 'utf8');

/** What a reader sees: the same after the downgrade as before. */
function sameReading(before: Buffer, after: Buffer): void {
  const a = parseMessage(before);
  const b = parseMessage(after);
  assert.equal(b.subject, a.subject);
  assert.equal(b.text, a.text);
  assert.equal(b.html, a.html);
  // An attached message is itself converted: compare what it reads as, not its bytes.
  const reading = (x: { filename: string | null; contentType: string; content: Buffer }) =>
    [x.filename, x.contentType, x.contentType === 'message/rfc822' ? parseMessage(x.content).text : x.content.toString('hex')];
  assert.deepEqual(b.attachments.map(reading), a.attachments.map(reading));
}

describe('8BITMIME downgrade (RFC 6152 §3)', () => {
  test('a 7-bit message is returned as it is, the same buffer', () => {
    const m = crlf('Subject: plain\n\nJust ASCII.\n');
    assert.equal(downgradeTo7bit(m), m);
  });

  test('one 8-bit text part becomes quoted-printable with its label replaced', () => {
    const m = crlf('Subject: hi\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nGrüße aus Köln — 中文\n.second line\n');
    const out = downgradeTo7bit(m);
    assert.ok(isAscii(out));
    const text = out.toString('latin1');
    assert.match(text, /\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n/);
    assert.doesNotMatch(text, /8bit/);
    assert.match(text, /Gr=C3=BC=C3=9Fe/);
    sameReading(m, out);
  });

  test('a multipart: the 8-bit text is quoted-printable, the 8-bit attachment base64, 7-bit parts untouched', () => {
    const m = crlf([
      'Subject: mixed', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b1"', '',
      'preamble', '--b1', 'Content-Type: text/plain; charset=utf-8', '', 'naïve café', '--b1',
      'Content-Type: text/plain', 'Content-Transfer-Encoding: 7bit', '', 'untouched ascii', '--b1',
      'Content-Type: application/octet-stream; name="x.bin"', 'Content-Disposition: attachment; filename="x.bin"', '', 'bytes ÿþ here', '--b1--', '',
    ].join('\n'));
    const out = downgradeTo7bit(m);
    assert.ok(isAscii(out));
    const tree = parseMimeTree(out);
    assert.deepEqual(tree.children.map((c) => c.encoding), ['quoted-printable', '7bit', 'base64']);
    assert.ok(out.toString('latin1').includes('Content-Transfer-Encoding: 7bit\r\n\r\nuntouched ascii\r\n--b1'), 'a 7-bit part keeps its bytes');
    sameReading(m, out);
  });

  test('an attached 8-bit message is walked, not encoded, and loses its 8bit label', () => {
    const m = crlf([
      'Subject: fwd', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="o"', '',
      '--o', 'Content-Type: text/plain', '', 'see attached', '--o',
      'Content-Type: message/rfc822', 'Content-Transfer-Encoding: 8bit', '',
      'Subject: inner', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', 'Ünïcode inside', '--o--', '',
    ].join('\n'));
    const out = downgradeTo7bit(m);
    assert.ok(isAscii(out));
    const inner = parseMimeTree(out).children[1]!;
    assert.equal(inner.encoding, '7bit');
    assert.equal(inner.children[0]!.encoding, 'quoted-printable');
    sameReading(m, out);
  });

  test('mail without MIME gets MIME-Version and a charset, so the new encoding is understood', () => {
    const m = crlf('Subject: old style\nFrom: a@example.test\n\nsmörgåsbord\n');
    const out = downgradeTo7bit(m);
    assert.ok(isAscii(out));
    assert.match(out.toString('latin1'), /Content-Transfer-Encoding: quoted-printable\r\nMIME-Version: 1\.0\r\nContent-Type: text\/plain; charset=utf-8\r\n\r\n/);
    assert.equal(parseMessage(out).text, 'smörgåsbord\n');
  });

  test('8-bit header text, a mislabelled base64 part and 8-bit preamble are refused with a reason', () => {
    assert.throws(() => downgradeTo7bit(crlf('Subject: Grüße\n\nbody\n')), (e: unknown) => e instanceof DowngradeError && /header/.test(e.message));
    assert.throws(() => downgradeTo7bit(crlf('MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\nnot base64 é\n')), /labelled base64/);
    assert.throws(() => downgradeTo7bit(crlf('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\npréambule\n--b\n\nx\n--b--\n')), /preamble or epilogue/);
  });

  test('property: any mix of 8-bit text and binary parts comes out 7-bit and reads the same', () => {
    const unit = fc.constantFrom('a', ' ', '.', '=', '\n', 'é', 'ß', '中', '😀', 'From ', '\t');
    const text = fc.string({ unit, minLength: 1, maxLength: 200 }).map((t) => t.replace(/[ \t]+(?=\n|$)/g, ''));
    const partArb = fc.oneof(
      text.map((t) => ({ kind: 'text' as const, t })),
      fc.uint8Array({ minLength: 1, maxLength: 300 }).map((u) => ({ kind: 'bin' as const, u: Buffer.from(u).toString('base64') })),
    );
    fc.assert(fc.property(fc.array(partArb, { minLength: 1, maxLength: 4 }), (parts) => {
      const chunks: Buffer[] = [Buffer.from('Subject: p\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="zz"\r\n\r\n')];
      parts.forEach((p, i) => {
        if (p.kind === 'text') chunks.push(Buffer.from('--zz\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n'), Buffer.from(p.t.replace(/\n/g, '\r\n'), 'utf8'), Buffer.from('\r\n'));
        else {
          // Raw 8-bit octets (no line breaks, which a binary part would not keep through 8BITMIME either).
          const bytes = Buffer.from(Buffer.from(p.u, 'base64').map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b)));
          chunks.push(Buffer.from(`--zz\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="f${i}.bin"\r\n\r\n`), bytes, Buffer.from('\r\n'));
        }
      });
      chunks.push(Buffer.from('--zz--\r\n'));
      const raw = Buffer.concat(chunks);
      const out = downgradeTo7bit(raw);
      assert.ok(isAscii(out));
      sameReading(raw, out);
    }), { numRuns: 300 });
  });
});
