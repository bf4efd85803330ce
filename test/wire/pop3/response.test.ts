import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Pop3ResponseDecoder, apopTimestamp, bodyLines, parseCapa, type Pop3Response, type Pop3ResponseStep } from '../../../src/wire/pop3/response.js';

/** Decodes a conversation where `multi[i]` says whether response i answers a multi-line command. */
function decodeAll(input: string, multi: boolean[], cut: number): (Pop3Response | string)[] {
  const d = new Pop3ResponseDecoder();
  const bytes = Buffer.from(input, 'utf8');
  const pieces = cut < 0 ? [...bytes].map((b) => Buffer.from([b])) : [bytes.subarray(0, cut), bytes.subarray(cut)];
  const out: (Pop3Response | string)[] = [];
  d.expectMultiline(multi[0] ?? false);
  for (const p of pieces) {
    d.push(p);
    for (let s: Pop3ResponseStep = d.next(); s.kind !== 'need-more'; s = d.next()) {
      if (s.kind === 'error') { out.push('error:' + s.error.code); return out; }
      out.push(s.response);
      d.expectMultiline(multi[out.length] ?? false);
    }
  }
  return out;
}

function everySplit(input: string, multi: boolean[], expected: (Pop3Response | string)[]): void {
  for (let cut = -1; cut <= Buffer.byteLength(input); cut++) {
    assert.deepEqual(decodeAll(input, multi, cut), expected, `split at ${cut}`);
  }
}

describe('POP3 response decoder', () => {
  test('the RFC 1939 greeting and the RFC 2449 §6 CAPA example decode with the capability list', () => {
    const input =
      '+OK POP3 server ready <1896.697170952@dbc.mil>\r\n' +
      '+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\nPIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n.\r\n';
    const body = Buffer.from('TOP\r\nUSER\r\nSASL CRAM-MD5 KERBEROS_V4\r\nRESP-CODES\r\nLOGIN-DELAY 900\r\nPIPELINING\r\nEXPIRE 60\r\nUIDL\r\nIMPLEMENTATION Shlemazle-Plotz-v302\r\n');
    everySplit(input, [false, true], [
      { kind: 'status', status: '+OK', text: 'POP3 server ready <1896.697170952@dbc.mil>' },
      { kind: 'status', status: '+OK', text: 'Capability list follows', body },
    ]);
    const caps = parseCapa(body);
    assert.deepEqual(caps.get('SASL'), ['CRAM-MD5', 'KERBEROS_V4']);
    assert.equal(caps.has('USER'), true);
    assert.equal(apopTimestamp('POP3 server ready <1896.697170952@dbc.mil>'), '<1896.697170952@dbc.mil>');
  });

  test('RETR: byte-stuffed lines lose their extra dot and the body ends before "."', () => {
    const input = '+OK 120 octets\r\nSubject: x\r\n\r\n..hidden dot\r\n.\r\n';
    everySplit(input, [true], [{ kind: 'status', status: '+OK', text: '120 octets', body: Buffer.from('Subject: x\r\n\r\n.hidden dot\r\n') }]);
  });

  test('-ERR is single-line even when a multi-line answer was expected, and keeps its [SYS/TEMP] code', () => {
    everySplit('-ERR [SYS/TEMP] try later\r\n+OK next\r\n', [true, false], [
      { kind: 'status', status: '-ERR', code: ['SYS', 'TEMP'], text: 'try later' },
      { kind: 'status', status: '+OK', text: 'next' },
    ]);
  });

  test('the RFC 5034 SASL continuation "+ " is not a status', () => {
    everySplit('+ \r\n+OK Maildrop locked and ready\r\n', [false, false], [
      { kind: 'continuation', text: '' },
      { kind: 'status', status: '+OK', text: 'Maildrop locked and ready' },
    ]);
  });

  test('an SMTP or FTP greeting on a POP3 port is a bad-status error', () => {
    everySplit('220 mail ESMTP\r\n', [false], ['error:bad-status']);
  });

  test('an endless line and an oversized body are refused as soon as the limit is crossed', () => {
    const d = new Pop3ResponseDecoder({ maxLineLength: 20 });
    d.push(Buffer.from('+OK ' + 'z'.repeat(30)));
    const s = d.next();
    assert.equal(s.kind === 'error' && s.error.code, 'line-too-long');
    const d2 = new Pop3ResponseDecoder({ maxBodyBytes: 10 });
    d2.expectMultiline(true);
    d2.push(Buffer.from('+OK\r\n0123456789\r\n'));
    const s2 = d2.next();
    assert.equal(s2.kind === 'error' && s2.error.code, 'body-too-large');
  });

  test('reset drops buffered bytes and reports the count (STLS)', () => {
    const d = new Pop3ResponseDecoder();
    d.push(Buffer.from('+OK Begin TLS\r\n+OK injected\r\n'));
    assert.equal(d.next().kind, 'response');
    assert.equal(d.reset(), 14);
  });

  test('bodyLines splits a body into lines', () => {
    assert.deepEqual(bodyLines(Buffer.from('a\r\nb\r\n')), ['a', 'b']);
    assert.deepEqual(bodyLines(undefined), []);
  });
});
