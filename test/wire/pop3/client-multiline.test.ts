// The streaming POP3 reader (RFC 1939 §3 multi-line answers, RFC 2449 §8 codes, RFC 5034 §4
// continuations), replayed split at every byte boundary.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pop3ClientReader, type Pop3ClientStep } from '../../../src/wire/pop3/client-multiline.js';

type Event = { status: string } | { body: string } | { end: true } | { cont: string };

function run(input: string, multiline: boolean[], cuts: number[]): Event[] {
  const r = new Pop3ClientReader();
  const events: Event[] = [];
  let body = '';
  let m = 0;
  r.expectMultiline(multiline[m++] ?? false);
  const bytes = Buffer.from(input, 'latin1');
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    r.push(bytes.subarray(prev, c));
    prev = c;
    for (;;) {
      const s: Pop3ClientStep = r.next();
      if (s.kind === 'need-more') break;
      if (s.kind === 'error') throw s.error;
      if (s.kind === 'status') {
        events.push({ status: `${s.status}${s.code ? `[${s.code.join('/')}]` : ''} ${s.text}` });
        if (!r.inMultilineBody) r.expectMultiline(multiline[m++] ?? false);
      } else if (s.kind === 'continuation') events.push({ cont: s.text });
      else if (s.kind === 'body') body += s.data.toString('latin1');
      else {
        events.push({ body }, { end: true });
        body = '';
        r.expectMultiline(multiline[m++] ?? false);
      }
    }
  }
  return events;
}

const INPUT = '+OK 3 octets\r\n..a\r\nb\r\n...\r\n.\r\n-ERR [SYS/TEMP] busy\r\n+ Y2hhbA==\r\n+OK\r\n.\r\n';
const EXPECTED: Event[] = [
  { status: '+OK 3 octets' },
  { body: '.a\r\nb\r\n..\r\n' },
  { end: true },
  { status: '-ERR[SYS/TEMP] busy' },
  { cont: 'Y2hhbA==' },
  { status: '+OK ' },
  { body: '' },
  { end: true },
];

describe('POP3 streaming response reader', () => {
  test('RFC 1939 multi-line body un-stuffed, codes and continuations, in one piece', () => {
    assert.deepEqual(run(INPUT, [true, false, true], []), EXPECTED);
  });

  test('the same events when split at every byte boundary', () => {
    for (let i = 0; i <= INPUT.length; i++) assert.deepEqual(run(INPUT, [true, false, true], [i]), EXPECTED, `split at ${i}`);
  });

  test('the same events when split at every pair of boundaries', () => {
    for (let i = 0; i <= INPUT.length; i += 1) for (let j = i; j <= INPUT.length; j += 3) assert.deepEqual(run(INPUT, [true, false, true], [i, j]), EXPECTED);
  });

  test('-ERR to a multi-line command has no body', () => {
    assert.deepEqual(run('-ERR no such message\r\n+OK\r\n', [true, false], []), [{ status: '-ERR no such message' }, { status: '+OK ' }]);
  });

  test('bare LF line ends are tolerated and kept; a lone dot with LF ends the body', () => {
    assert.deepEqual(run('+OK\n.x\ny\n.\n', [true], []), [{ status: '+OK ' }, { body: 'x\ny\n' }, { end: true }]);
  });

  test('reset() drops what was buffered (STLS) and reports the count', () => {
    const r = new Pop3ClientReader();
    r.push(Buffer.from('+OK begin TLS\r\n+OK injected\r\n'));
    assert.equal(r.next().kind, 'status');
    assert.equal(r.reset(), '+OK injected\r\n'.length);
    assert.equal(r.next().kind, 'need-more');
  });

  test('an endless status line is refused as soon as it passes the limit', () => {
    const r = new Pop3ClientReader({ maxLineLength: 100 });
    r.push(Buffer.alloc(200, 0x41));
    const s = r.next();
    assert.equal(s.kind, 'error');
  });
});
