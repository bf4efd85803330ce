import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SmtpReplyDecoder, ehloKeywords, replyText, type SmtpReply, type SmtpReplyStep } from '../../../src/wire/smtp/reply.js';

/** Feeds `input` split at `cut` (and, for cut = -1, one byte at a time) and collects replies. */
function decodeAll(input: string, cut: number, options?: ConstructorParameters<typeof SmtpReplyDecoder>[0]): (SmtpReply | string)[] {
  const d = new SmtpReplyDecoder(options);
  const bytes = Buffer.from(input, 'utf8');
  const pieces = cut < 0 ? [...bytes].map((b) => Buffer.from([b])) : [bytes.subarray(0, cut), bytes.subarray(cut)];
  const out: (SmtpReply | string)[] = [];
  for (const p of pieces) {
    d.push(p);
    for (let s: SmtpReplyStep = d.next(); s.kind !== 'need-more'; s = d.next()) {
      if (s.kind === 'error') { out.push('error:' + s.error.code); return out; }
      out.push(s.reply);
    }
  }
  return out;
}

function everySplit(input: string, expected: (SmtpReply | string)[], options?: ConstructorParameters<typeof SmtpReplyDecoder>[0]): void {
  for (let cut = -1; cut <= Buffer.byteLength(input); cut++) {
    assert.deepEqual(decodeAll(input, cut, options), expected, `split at ${cut}`);
  }
}

describe('SMTP reply decoder', () => {
  test('the RFC 5321 §4.2 multiline EHLO example reads as one reply with its keywords', () => {
    // RFC 5321 §4.2.1 / Appendix D.1 style EHLO response.
    const input = '250-foo.com greets bar.com\r\n250-8BITMIME\r\n250-SIZE\r\n250-DSN\r\n250 HELP\r\n';
    const expected: SmtpReply = { code: 250, lines: ['foo.com greets bar.com', '8BITMIME', 'SIZE', 'DSN', 'HELP'] };
    everySplit(input, [expected]);
    assert.deepEqual([...ehloKeywords(expected).keys()], ['8BITMIME', 'SIZE', 'DSN', 'HELP']);
  });

  test('a greeting, a single-line reply and a reply with enhanced status code each come out whole', () => {
    // RFC 3463 enhanced codes as in RFC 2034 §4's example.
    const input = '220 xyz.com ESMTP ready\r\n250 OK\r\n550 5.1.1 Mailbox "nosuchuser" does not exist\r\n';
    everySplit(input, [
      { code: 220, lines: ['xyz.com ESMTP ready'] },
      { code: 250, lines: ['OK'] },
      { code: 550, enhanced: '5.1.1', lines: ['Mailbox "nosuchuser" does not exist'] },
    ]);
  });

  test('a code with no text ("250" then CRLF) is a complete reply', () => {
    everySplit('250\r\n', [{ code: 250, lines: [''] }]);
  });

  test('LMTP per-recipient replies after DATA arrive one by one (RFC 2033 §4.2)', () => {
    const input = '250 2.1.5 ok\r\n452 4.2.2 mailbox full\r\n';
    everySplit(input, [
      { code: 250, enhanced: '2.1.5', lines: ['ok'] },
      { code: 452, enhanced: '4.2.2', lines: ['mailbox full'] },
    ]);
  });

  test('an enhanced code whose class disagrees with the reply code is left as text', () => {
    everySplit('250 5.0.0 odd\r\n', [{ code: 250, lines: ['5.0.0 odd'] }]);
  });

  test('a bare LF line end is tolerated', () => {
    everySplit('220 hi\n', [{ code: 220, lines: ['hi'] }]);
  });

  test('a line that is not a reply (an HTTP or TLS answer) is a bad-reply-code error', () => {
    everySplit('HTTP/1.1 400 Bad Request\r\n', ['error:bad-reply-code']);
  });

  test('continuation lines with a different code are refused', () => {
    everySplit('250-a\r\n251 b\r\n', ['error:code-mismatch']);
  });

  test('an endless banner line is refused once it passes the limit, without waiting for CRLF', () => {
    const d = new SmtpReplyDecoder({ maxLineLength: 100 });
    d.push(Buffer.from('220 ' + 'x'.repeat(90)));
    assert.equal(d.next().kind, 'need-more');
    d.push(Buffer.from('x'.repeat(20)));
    const s = d.next();
    assert.equal(s.kind, 'error');
    assert.equal(s.kind === 'error' && s.error.code, 'line-too-long');
    assert.equal(d.bufferedBytes(), 0, 'nothing is kept after the error');
  });

  test('an endless multiline banner is refused after maxLines lines', () => {
    const d = new SmtpReplyDecoder({ maxLines: 10 });
    d.push(Buffer.from('220-x\r\n'.repeat(11)));
    const s = d.next();
    assert.equal(s.kind === 'error' && s.error.code, 'too-many-lines');
  });

  test('reset drops bytes pipelined after a reply and reports how many (STARTTLS)', () => {
    const d = new SmtpReplyDecoder();
    d.push(Buffer.from('220 go ahead\r\n250 injected\r\n'));
    const s = d.next();
    assert.equal(s.kind, 'reply');
    assert.equal(d.bufferedBytes(), 14);
    assert.equal(d.reset(), 14);
    assert.equal(d.next().kind, 'need-more');
  });

  test('replyText joins the lines', () => {
    assert.equal(replyText({ code: 250, lines: ['a', 'b'] }), 'a b');
  });
});
