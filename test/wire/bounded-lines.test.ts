import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedLines } from '../../src/wire/bounded-lines.js';

type Outcome = string[] | { lines: string[]; tooLong: string };

/** Pushes the chunks one by one, draining lines after each, and reports the lines (latin1, so
 * every byte survives) and a too-long excerpt if one came. */
function run(chunks: Buffer[], maxLineLength: number): Outcome {
  const r = new BoundedLines({ maxLineLength });
  const lines: string[] = [];
  for (const chunk of chunks) {
    r.push(chunk);
    for (;;) {
      const s = r.nextLine();
      if (s.kind === 'need-more') break;
      // Refused before its LF arrived, the excerpt may end in the CR that waits for it.
      if (s.kind === 'too-long') return { lines, tooLong: s.excerpt.toString('latin1').replace(/\r$/, '') };
      lines.push(s.line.toString('latin1'));
    }
  }
  return lines;
}

/** The same outcome whether the input comes whole, split in two at every byte, or byte by byte. */
function everySplit(input: string, maxLineLength: number, expected: Outcome): void {
  const bytes = Buffer.from(input, 'latin1');
  assert.deepEqual(run([bytes], maxLineLength), expected, 'whole');
  for (let i = 1; i < bytes.length; i++) {
    assert.deepEqual(run([bytes.subarray(0, i), bytes.subarray(i)], maxLineLength), expected, `split at ${i}`);
  }
  const single = [...bytes].map((b) => Buffer.from([b]));
  assert.deepEqual(run(single, maxLineLength), expected, 'byte by byte');
}

describe('bounded line reader', () => {
  test('an RFC 5321 §4.2 multi-line EHLO reply comes out one line at a time, CRLF removed', () => {
    everySplit('250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n', 512, [
      '250-foo.com greets bar.com',
      '250-8BITMIME',
      '250-SIZE',
      '250-DSN',
      '250 HELP',
    ]);
  });

  test('an RFC 2389 §3.2 FEAT reply keeps the leading space of its feature lines', () => {
    everySplit('211-Extensions supported:\r\n MLST size*;create;modify*;\r\n MDTM\r\n211 END\r\n', 512, [
      '211-Extensions supported:',
      ' MLST size*;create;modify*;',
      ' MDTM',
      '211 END',
    ]);
  });

  test('an RFC 1939 §3 multi-line answer keeps its empty line and the lone dot', () => {
    everySplit('+OK 2 messages\r\n1 120\r\n\r\n.\r\n', 512, ['+OK 2 messages', '1 120', '', '.']);
  });

  test('a bare LF ends a line and a CR without LF stays in the line', () => {
    everySplit('220 ready\n250 a\rb\r\n\n', 512, ['220 ready', '250 a\rb', '']);
  });

  test('a line of exactly maxLineLength bytes is accepted however it is split, even with its CR held back', () => {
    everySplit('abcdefghij\r\nxyz\r\n', 10, ['abcdefghij', 'xyz']);
    everySplit('abcdefghij\nxyz\n', 10, ['abcdefghij', 'xyz']);
  });

  test('a line one byte over the limit is refused with its bytes as the excerpt', () => {
    everySplit('ok\r\nabcdefghijk\r\n', 10, { lines: ['ok'], tooLong: 'abcdefghijk' });
    everySplit('ok\r\nabcdefghijk\n', 10, { lines: ['ok'], tooLong: 'abcdefghijk' });
  });

  test('an endless line is refused as soon as more than maxLineLength + 1 bytes wait without LF', () => {
    const r = new BoundedLines({ maxLineLength: 10 });
    for (let i = 1; i <= 11; i++) {
      r.push(Buffer.from('x'));
      assert.equal(r.nextLine().kind, 'need-more', `after ${i} bytes`);
    }
    r.push(Buffer.from('x'));
    const s = r.nextLine();
    assert.deepEqual(s.kind === 'too-long' && s.excerpt.toString(), 'x'.repeat(12));
    assert.equal(r.bufferedBytes(), 0, 'nothing kept after the refusal');
  });

  test('the limit counts bytes, not characters', () => {
    // "é" is two bytes in UTF-8: five of them are ten bytes, six are twelve.
    const r = new BoundedLines({ maxLineLength: 10 });
    r.push(Buffer.from('ééééé\r\néééééé\r\n', 'utf8'));
    const a = r.nextLine();
    assert.equal(a.kind === 'line' && a.line.toString('utf8'), 'ééééé');
    assert.equal(r.nextLine().kind, 'too-long');
  });

  test('bytes the caller already took for the same line count against the limit', () => {
    const r = new BoundedLines({ maxLineLength: 10 });
    r.push(Buffer.from('abcd\r\n'));
    const ok = r.nextLine(6);
    assert.equal(ok.kind === 'line' && ok.line.toString(), 'abcd');
    r.push(Buffer.from('abcde\r\n'));
    assert.equal(r.nextLine(6).kind, 'too-long');
    const r2 = new BoundedLines({ maxLineLength: 10 });
    r2.push(Buffer.from('abcd'));
    assert.equal(r2.nextLine(6).kind, 'need-more', 'used + buffered = limit: the CRLF may still come');
    r2.push(Buffer.from('e'));
    assert.equal(r2.nextLine(6).kind, 'need-more', 'one byte of slack for the CR');
    r2.push(Buffer.from('f'));
    assert.equal(r2.nextLine(6).kind, 'too-long');
  });

  test('a refusal is sticky: later bytes are ignored until reset, which reports what it dropped', () => {
    const r = new BoundedLines({ maxLineLength: 4 });
    r.push(Buffer.from('toolong\r\nok\r\n'));
    assert.equal(r.nextLine().kind, 'too-long');
    r.push(Buffer.from('fine\r\n'));
    assert.equal(r.nextLine().kind, 'too-long');
    assert.equal(r.bufferedBytes(), 0);
    assert.equal(r.reset(), 0);
    r.push(Buffer.from('fine\r\nrest'));
    const s = r.nextLine();
    assert.equal(s.kind === 'line' && s.line.toString(), 'fine');
    assert.equal(r.reset(), 4, 'the four bytes of "rest" were dropped');
    assert.equal(r.nextLine().kind, 'need-more');
  });

  test('stop() drops what is buffered and ignores further bytes until reset', () => {
    const r = new BoundedLines({ maxLineLength: 100 });
    r.push(Buffer.from('a\r\nb\r\n'));
    assert.equal(r.nextLine().kind, 'line');
    r.stop();
    assert.equal(r.bufferedBytes(), 0);
    r.push(Buffer.from('c\r\n'));
    assert.equal(r.nextLine().kind, 'need-more');
    assert.equal(r.take(1), null);
    r.reset();
    r.push(Buffer.from('d\r\n'));
    const s = r.nextLine();
    assert.equal(s.kind === 'line' && s.line.toString(), 'd');
  });

  test('an RFC 9051 §4.3 literal is taken raw, CRLF inside it included, and the line goes on after it', () => {
    const input = Buffer.from('* 12 FETCH (BODY[HEADER] {12}\r\nA: b\r\nC: d\r\n)\r\na2 OK done\r\n');
    for (let i = 0; i <= input.length; i++) {
      const r = new BoundedLines({ maxLineLength: 100 });
      const got: string[] = [];
      let literal: number | null = null;
      const drain = (): void => {
        for (;;) {
          if (literal !== null) {
            const lit = r.take(literal);
            if (!lit) return;
            got.push(`literal:${lit.toString()}`);
            literal = null;
          }
          const s = r.nextLine();
          if (s.kind !== 'line') return;
          const line = s.line.toString();
          got.push(line);
          const m = /\{(\d+)\}$/.exec(line);
          if (m) literal = Number(m[1]);
        }
      };
      r.push(input.subarray(0, i));
      drain();
      r.push(input.subarray(i));
      drain();
      assert.deepEqual(got, ['* 12 FETCH (BODY[HEADER] {12}', 'literal:A: b\r\nC: d\r\n', ')', 'a2 OK done'], `split at ${i}`);
    }
  });

  test('take() after a partial line search still finds the next LF', () => {
    const r = new BoundedLines({ maxLineLength: 100 });
    r.push(Buffer.from('abc'));
    assert.equal(r.nextLine().kind, 'need-more');
    assert.equal(r.take(2)?.toString(), 'ab');
    r.push(Buffer.from('\nd'));
    const s = r.nextLine();
    assert.equal(s.kind === 'line' && s.line.toString(), 'c');
  });

  test('a taken literal is a copy that later pushes do not change', () => {
    const r = new BoundedLines({ maxLineLength: 100 });
    const chunk = Buffer.from('abc');
    r.push(chunk);
    const lit = r.take(3)!;
    chunk.fill(0x7a);
    assert.equal(lit.toString(), 'abc');
  });
});
