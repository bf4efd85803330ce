import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineFramer, type Frame } from '../../src/net/line-framer.js';

function frames(f: LineFramer): Frame[] {
  const out: Frame[] = [];
  let x: Frame | null;
  while ((x = f.next())) out.push(x);
  return out;
}

function lines(input: string, max = 100): string[] {
  const f = new LineFramer(max);
  f.push(Buffer.from(input));
  return frames(f).map((x) => (x.kind === 'line' ? x.line.toString() : `<${x.kind}>`));
}

test('CRLF and bare LF both end a line; bare LF is reported', () => {
  const f = new LineFramer(100);
  f.push(Buffer.from('a\r\nb\nc'));
  const got = frames(f);
  assert.deepEqual(got.map((x) => x.kind === 'line' && [x.line.toString(), x.bareLf]), [['a', false], ['b', true]]);
});

test('input split at every byte boundary gives the same lines', () => {
  const input = 'USER alice\r\nPASS x y\r\n\r\nQUIT\r\n';
  for (let cut = 0; cut <= input.length; cut++) {
    const f = new LineFramer(100);
    f.push(Buffer.from(input.slice(0, cut)));
    const a = frames(f);
    f.push(Buffer.from(input.slice(cut)));
    const got = [...a, ...frames(f)].map((x) => (x.kind === 'line' ? x.line.toString() : x.kind));
    assert.deepEqual(got, ['USER alice', 'PASS x y', '', 'QUIT'], `cut at ${cut}`);
  }
});

test('an overlong line is dropped to its end and reported once, and the next line is read normally', () => {
  assert.deepEqual(lines('x'.repeat(500) + '\r\nNOOP\r\n'), ['<too-long>', 'NOOP']);
});

test('an endless line never grows the buffer past the limit', () => {
  const f = new LineFramer(1000);
  for (let i = 0; i < 1000; i++) {
    f.push(Buffer.alloc(10_000, 0x41));
    assert.equal(frames(f).length, 0);
    assert.ok(f.buffered <= 1000 + 10_000);
  }
  f.push(Buffer.from('\r\nNOOP\r\n'));
  assert.deepEqual(frames(f).map((x) => x.kind), ['too-long', 'line']);
});

test('expectBytes takes an exact byte count, then lines resume', () => {
  const f = new LineFramer(100);
  f.push(Buffer.from('A {5}\r\n'));
  assert.equal(frames(f).length, 1);
  f.expectBytes(5);
  f.push(Buffer.from('ab\r\nc rest\r\n'));
  const got = frames(f);
  assert.equal(got[0]!.kind, 'bytes');
  assert.equal(got[0]!.kind === 'bytes' && got[0]!.data.toString(), 'ab\r\nc');
  assert.equal(got[1]!.kind === 'line' && got[1]!.line.toString(), ' rest');
});

test('discard throws away everything buffered (STARTTLS)', () => {
  const f = new LineFramer(100);
  f.push(Buffer.from('CAPA\r\nUSER evil'));
  assert.equal(f.discard(), 'CAPA\r\nUSER evil'.length);
  assert.equal(f.next(), null);
});
