import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dotStuff, isDotTransparent, topOfMessage } from '../../../src/wire/pop3/dot-stuffing.js';

test('lines starting with a dot are stuffed, including the first line', () => {
  assert.equal(dotStuff(Buffer.from('.a\r\nb\r\n.\r\n..c\r\n')).toString(), '..a\r\nb\r\n..\r\n...c\r\n');
});

test('bare LF becomes CRLF and a missing final line ending is added', () => {
  assert.equal(dotStuff(Buffer.from('a\nb')).toString(), 'a\r\nb\r\n');
  assert.equal(dotStuff(Buffer.from('a\r\n')).toString(), 'a\r\n');
  assert.equal(dotStuff(Buffer.alloc(0)).toString(), '');
});

test('un-stuffing what we stuffed gives the CRLF message back (as a client would)', () => {
  const msg = 'Subject: x\r\n\r\n.\r\n..\r\nhello\r\n.world\r\n';
  const stuffed = dotStuff(Buffer.from(msg)).toString();
  const back = stuffed.split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n');
  assert.equal(back, msg);
});

test('TOP gives the header, the blank line and n body lines', () => {
  const msg = Buffer.from('A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\nl3\r\n');
  assert.equal(topOfMessage(msg, 0).toString(), 'A: 1\r\nB: 2\r\n\r\n');
  assert.equal(topOfMessage(msg, 2).toString(), 'A: 1\r\nB: 2\r\n\r\nl1\r\nl2\r\n');
  assert.equal(topOfMessage(msg, 99).toString(), msg.toString());
});

test('property: for any message, un-stuffing the stuffed form gives it back with CRLF line ends', async () => {
  const fc = (await import('fast-check')).default;
  const line = fc.stringMatching(/^[.a-z \r]{0,6}$/);
  fc.assert(fc.property(fc.array(fc.tuple(line, fc.constantFrom('\n', '\r\n')), { maxLength: 12 }), fc.boolean(), (lines, finalNewline) => {
    let msg = lines.map(([l, e]) => l.replace(/\r/g, '') + e).join('');
    if (!finalNewline && msg.length) msg = msg.slice(0, msg.endsWith('\r\n') ? -2 : -1);
    const stuffed = dotStuff(Buffer.from(msg)).toString();
    if (msg.length === 0) return stuffed === '';
    if (!stuffed.endsWith('\r\n')) return false;
    const back = stuffed.slice(0, -2).split('\r\n').map((l) => (l.startsWith('.') ? l.slice(1) : l)).join('\r\n') + '\r\n';
    const expected = msg.replace(/\r?\n/g, '\r\n').replace(/(\r\n)?$/, '\r\n');
    return back === expected && !stuffed.split('\r\n').includes('.'); // no line could end the reply early
  }), { numRuns: 2000 });
});

test('dot-transparent: exactly the messages dotStuff would send unchanged', () => {
  for (const [msg, expected] of [
    ['', true], ['a\r\n', true], ['A: 1\r\n\r\nbody\r\nx.y\r\n', true],
    ['.a\r\n', false], ['a\r\n.b\r\n', false], ['a\r\n.\r\n', false], // dotted line starts
    ['a\nb\r\n', false], ['\n', false], ['a\r\nb\n', false], // bare LF anywhere
    ['a\r\nb', false], ['a\r', false], // no final CRLF
  ] as const) {
    assert.equal(isDotTransparent(Buffer.from(msg)), expected, JSON.stringify(msg));
  }
});

test('property: isDotTransparent(m) holds exactly when dotStuff(m) returns m itself', async () => {
  const fc = (await import('fast-check')).default;
  const text = fc.stringMatching(/^[.a\r\n]{0,16}$/);
  fc.assert(fc.property(text, (msg) => {
    const buf = Buffer.from(msg);
    return isDotTransparent(buf) === dotStuff(buf).equals(buf);
  }), { numRuns: 5000 });
});
