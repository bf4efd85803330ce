import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ImapResponseDecoder, capabilitiesOf, imapQuote, type ImapResponse, type ImapResponseStep } from '../../../src/wire/imap/response-lite.js';

function decodeAll(input: string, cut: number): (ImapResponse | string)[] {
  const d = new ImapResponseDecoder();
  const bytes = Buffer.from(input, 'utf8');
  const pieces = cut < 0 ? [...bytes].map((b) => Buffer.from([b])) : [bytes.subarray(0, cut), bytes.subarray(cut)];
  const out: (ImapResponse | string)[] = [];
  for (const p of pieces) {
    d.push(p);
    for (let s: ImapResponseStep = d.next(); s.kind !== 'need-more'; s = d.next()) {
      if (s.kind === 'error') { out.push('error:' + s.error.code); return out; }
      out.push(s.response);
    }
  }
  return out;
}

function everySplit(input: string, expected: (ImapResponse | string)[]): void {
  for (let cut = -1; cut <= Buffer.byteLength(input); cut++) {
    assert.deepEqual(decodeAll(input, cut), expected, `split at ${cut}`);
  }
}

describe('IMAP response reading (lite)', () => {
  test('the RFC 9051 §6.1.1 CAPABILITY example: untagged data then tagged OK', () => {
    const input = '* CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED\r\nabcd OK CAPABILITY completed\r\n';
    const expected: ImapResponse[] = [
      { kind: 'data', name: 'CAPABILITY', rest: 'IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED', literals: [] },
      { kind: 'status', tag: 'abcd', status: 'OK', text: 'CAPABILITY completed' },
    ];
    everySplit(input, expected);
    assert.deepEqual(capabilitiesOf(expected[0]!), ['IMAP4REV2', 'STARTTLS', 'AUTH=GSSAPI', 'LOGINDISABLED']);
    assert.equal(capabilitiesOf(expected[1]!), undefined);
  });

  test('a Dovecot-style greeting carries capabilities in its response code', () => {
    const input = '* OK [CAPABILITY IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN] Dovecot ready.\r\n';
    const g: ImapResponse = { kind: 'status', tag: '*', status: 'OK', code: { name: 'CAPABILITY', text: 'IMAP4rev1 SASL-IR STARTTLS AUTH=PLAIN' }, text: 'Dovecot ready.' };
    everySplit(input, [g]);
    assert.deepEqual(capabilitiesOf(g), ['IMAP4REV1', 'SASL-IR', 'STARTTLS', 'AUTH=PLAIN']);
  });

  test('PREAUTH and BYE greetings and a tagged NO with a response code (RFC 9051 §7.1)', () => {
    everySplit('* PREAUTH IMAP4rev2 server logged in as Smith\r\n* BYE Autologout; idle for too long\r\na1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n', [
      { kind: 'status', tag: '*', status: 'PREAUTH', text: 'IMAP4rev2 server logged in as Smith' },
      { kind: 'status', tag: '*', status: 'BYE', text: 'Autologout; idle for too long' },
      { kind: 'status', tag: 'a1', status: 'NO', code: { name: 'AUTHENTICATIONFAILED' }, text: 'Authentication failed.' },
    ]);
  });

  test('a continuation request and numbered data (EXISTS) decode', () => {
    everySplit('+ Ready for additional command text\r\n* 172 EXISTS\r\n+\r\n', [
      { kind: 'continuation', text: 'Ready for additional command text' },
      { kind: 'data', name: 'EXISTS', number: 172, rest: '', literals: [] },
      { kind: 'continuation', text: '' },
    ]);
  });

  test('a literal inside a response is read whole, even when it contains CRLF', () => {
    const input = '* 12 FETCH (BODY[HEADER] {12}\r\nA: b\r\nC: d\r\n)\r\na2 OK done\r\n';
    everySplit(input, [
      { kind: 'data', name: 'FETCH', number: 12, rest: '(BODY[HEADER] {12})', literals: [Buffer.from('A: b\r\nC: d\r\n')] },
      { kind: 'status', tag: 'a2', status: 'OK', text: 'done' },
    ]);
  });

  test('an SMTP greeting on an IMAP port is a bad-response error', () => {
    everySplit('220 mail.example ESMTP\r\n', ['error:bad-response']);
  });

  test('an endless line and an oversized literal are refused', () => {
    const d = new ImapResponseDecoder({ maxLineLength: 30 });
    d.push(Buffer.from('* OK ' + 'q'.repeat(40)));
    const s = d.next();
    assert.equal(s.kind === 'error' && s.error.code, 'line-too-long');
    const d2 = new ImapResponseDecoder({ maxLiteralBytes: 10 });
    d2.push(Buffer.from('* 1 FETCH (BODY[] {11}\r\n'));
    const s2 = d2.next();
    assert.equal(s2.kind === 'error' && s2.error.code, 'literal-too-large');
  });

  test('reset drops bytes after the STARTTLS OK and reports the count', () => {
    const d = new ImapResponseDecoder();
    d.push(Buffer.from('a1 OK Begin TLS now\r\n* OK injected\r\n'));
    assert.equal(d.next().kind, 'response');
    assert.equal(d.reset(), 15);
  });

  test('imapQuote escapes quotes and backslashes and refuses CRLF', () => {
    assert.equal(imapQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.throws(() => imapQuote('a\r\nb'), RangeError);
  });
});
