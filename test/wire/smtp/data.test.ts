// The DATA reader fed by the connection's framer, replayed split at every byte boundary: only
// <CRLF>.<CRLF> ends the data (SMTP smuggling), dot-stuffing is undone, bare LF lines become
// CRLF, and the size limit is kept. dotStuff (the relay's side) round-trips through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineFramer } from '../../../src/net/line-framer.js';
import { DotReader, dotStuff, normalizeLineEndings } from '../../../src/wire/smtp/data.js';

/** Feeds `wire` in the given pieces; returns the message and what follows the end, or null if no end. */
function readData(pieces: Buffer[], max = 1 << 20): { message: Buffer; rest: Buffer; tooLarge: boolean } | null {
  const framer = new LineFramer(max + 1024);
  const reader = new DotReader(max);
  const all = Buffer.concat(pieces);
  let pushed = 0;
  for (const p of pieces) {
    framer.push(p);
    pushed += p.length;
    for (let f = framer.next(); f; f = framer.next()) {
      if (f.kind === 'line') {
        if (reader.line(f.line, f.bareLf)) {
          return { message: reader.message(), rest: all.subarray(pushed - framer.buffered), tooLarge: reader.tooLarge };
        }
      } else if (f.kind === 'too-long') reader.lineTooLong();
    }
  }
  return null;
}

function everySplit(wire: string, check: (r: ReturnType<typeof readData>) => void): void {
  const b = Buffer.from(wire, 'latin1');
  check(readData([b]));
  for (let i = 1; i < b.length; i++) check(readData([b.subarray(0, i), b.subarray(i)]));
}

test('RFC 5321 §4.1.1.4: the data ends at <CRLF>.<CRLF>, at every split of the bytes', () => {
  everySplit('Subject: x\r\n\r\nbody\r\n.\r\nQUIT\r\n', (r) => {
    assert.ok(r);
    assert.equal(r.message.toString(), 'Subject: x\r\n\r\nbody\r\n');
    assert.equal(r.rest.toString(), 'QUIT\r\n');
  });
});

test('an empty message: "." right after the DATA line', () => {
  everySplit('.\r\nNOOP\r\n', (r) => {
    assert.ok(r);
    assert.equal(r.message.length, 0);
    assert.equal(r.rest.toString(), 'NOOP\r\n');
  });
});

test('SMTP smuggling: <LF>.<LF>, <LF>.<CRLF>, <CRLF>.<LF>, <CR>.<CR> and <CR><LF>.<CR> never end the data', () => {
  for (const fake of ['\n.\n', '\n.\r\n', '\r\n.\n', '\r.\r', '\r\n.\r', '\r\n. \r\n']) {
    everySplit(`a${fake}MAIL FROM:<x@y>\r\n.\r\n`, (r) => {
      assert.ok(r, JSON.stringify(fake));
      assert.equal(r.rest.length, 0, `${JSON.stringify(fake)} ended the data early`);
      assert.ok(r.message.toString('latin1').includes('MAIL FROM:<x@y>'));
    });
    assert.equal(readData([Buffer.from(`a${fake}MAIL FROM:<x@y>\r\n`, 'latin1')]), null, JSON.stringify(fake));
  }
});

test('dot-stuffing is undone: "..x" → ".x", ".." → "."', () => {
  everySplit('..x\r\n..\r\n...\r\n.\r\n', (r) => {
    assert.equal(r!.message.toString(), '.x\r\n.\r\n..\r\n');
  });
});

test('content lines ending in a bare LF are kept, as CRLF lines; a "." after a bare LF is content, not stuffing', () => {
  everySplit('one\ntwo\r\nthree\n.\r\n..x\n..y\r\n.\r\n', (r) => {
    // ".\r\n" after a bare LF is a "." line of content; "..x" after CRLF is unstuffed, "..y"
    // after a bare LF is not (the sender saw no line start there).
    assert.equal(r!.message.toString(), 'one\r\ntwo\r\nthree\r\n.\r\n.x\r\n..y\r\n');
  });
});

test('past the size limit the reader keeps only counting, and still finds the end', () => {
  const r = readData([Buffer.from(`${'x'.repeat(100)}\r\n${'y'.repeat(100)}\r\n.\r\nNEXT\r\n`)], 150);
  assert.ok(r);
  assert.equal(r.tooLarge, true);
  assert.equal(r.message.length, 0);
  assert.equal(r.rest.toString(), 'NEXT\r\n');
});

test('a line longer than the framer limit makes the message too large, and a "." right after it is not the end', () => {
  const framer = new LineFramer(10);
  const reader = new DotReader(1000);
  framer.push(Buffer.from('short\r\nthis line is far too long\n.\r\nok\r\n.\r\n'));
  let ended = false;
  const kinds: string[] = [];
  for (let f = framer.next(); f; f = framer.next()) {
    kinds.push(f.kind);
    if (f.kind === 'too-long') reader.lineTooLong();
    if (f.kind === 'line' && reader.line(f.line, f.bareLf)) { ended = true; break; }
  }
  assert.ok(ended);
  assert.deepEqual(kinds, ['line', 'too-long', 'line', 'line', 'line']);
  assert.equal(reader.tooLarge, true);
});

test('dotStuff: every message survives stuffing and reading back, bare CR and LF made CRLF', () => {
  fc.assert(fc.property(fc.array(fc.constantFrom('.', '..', 'a', '\r\n', '\n', '\r', ' ', 'x.y'), { maxLength: 40 }), (parts) => {
    const msg = Buffer.from(parts.join(''), 'latin1');
    const wire = dotStuff(msg);
    assert.ok(wire.toString('latin1').endsWith('\r\n.\r\n') || (msg.length === 0 && wire.toString() === '.\r\n'));
    const r = readData([wire]);
    assert.ok(r, 'the end is found');
    assert.equal(r.rest.length, 0, 'exactly at the end');
    const expect = normalizeLineEndings(msg, true);
    const withEol = expect.length === 0 || expect.subarray(-2).toString() === '\r\n' ? expect : Buffer.concat([expect, Buffer.from('\r\n')]);
    assert.equal(r.message.toString('latin1'), withEol.toString('latin1'));
  }), { numRuns: 400 });
});

test('normalizeLineEndings returns its input untouched when there is nothing to change', () => {
  const b = Buffer.from('a\r\nb\r\n');
  assert.equal(normalizeLineEndings(b), b);
  assert.equal(normalizeLineEndings(Buffer.from('a\nb\r\n')).toString(), 'a\r\nb\r\n');
  assert.equal(normalizeLineEndings(Buffer.from('a\rb'), true).toString(), 'a\r\nb');
  assert.equal(normalizeLineEndings(Buffer.from('a\rb')).toString(), 'a\rb');
});
