import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { FtpReplyDecoder, ftpReplyText, type FtpReply, type FtpReplyStep } from '../../../src/wire/ftp/reply.js';

function decodeAll(input: string, cut: number): (FtpReply | string)[] {
  const d = new FtpReplyDecoder();
  const bytes = Buffer.from(input, 'utf8');
  const pieces = cut < 0 ? [...bytes].map((b) => Buffer.from([b])) : [bytes.subarray(0, cut), bytes.subarray(cut)];
  const out: (FtpReply | string)[] = [];
  for (const p of pieces) {
    d.push(p);
    for (let s: FtpReplyStep = d.next(); s.kind !== 'need-more'; s = d.next()) {
      if (s.kind === 'error') { out.push('error:' + s.error.code); return out; }
      out.push(s.reply);
    }
  }
  return out;
}

function everySplit(input: string, expected: (FtpReply | string)[]): void {
  for (let cut = -1; cut <= Buffer.byteLength(input); cut++) {
    assert.deepEqual(decodeAll(input, cut), expected, `split at ${cut}`);
  }
}

describe('FTP reply decoder', () => {
  test('the RFC 959 §4.2 multi-line example, with a middle line starting with digits, is one reply', () => {
    const input = '123-First line\r\nSecond line\r\n  234 A line beginning with numbers\r\n123 The last line\r\n';
    everySplit(input, [{ code: 123, lines: ['First line', 'Second line', '  234 A line beginning with numbers', 'The last line'] }]);
  });

  test('the RFC 2389 §3.2 FEAT example keeps the feature lines', () => {
    const input = '211-Extensions supported:\r\n MLST size*;create;modify*;perm;media-type\r\n SIZE\r\n COMPRESSION\r\n MDTM\r\n211 END\r\n';
    everySplit(input, [{ code: 211, lines: ['Extensions supported:', ' MLST size*;create;modify*;perm;media-type', ' SIZE', ' COMPRESSION', ' MDTM', 'END'] }]);
  });

  test('a greeting then a 234 AUTH TLS answer come out as two replies', () => {
    everySplit('220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n', [
      { code: 220, lines: ['(vsFTPd 3.0.3)'] },
      { code: 234, lines: ['Proceed with negotiation.'] },
    ]);
  });

  test('a middle line that repeats "CODE-" loses the prefix (ProFTPD style)', () => {
    everySplit('230-Welcome\r\n230-to the server\r\n230 Logged in\r\n', [{ code: 230, lines: ['Welcome', 'to the server', 'Logged in'] }]);
  });

  test('a line that is not a reply is an error', () => {
    everySplit('* OK IMAP4rev1 ready\r\n', ['error:bad-reply-code']);
  });

  test('an endless line is refused without waiting for its end', () => {
    const d = new FtpReplyDecoder({ maxLineLength: 50 });
    d.push(Buffer.from('220 ' + 'y'.repeat(60)));
    const s = d.next();
    assert.equal(s.kind === 'error' && s.error.code, 'line-too-long');
  });

  test('an endless multi-line reply is refused after maxLines', () => {
    const d = new FtpReplyDecoder({ maxLines: 5 });
    d.push(Buffer.from('220-a\r\n' + 'b\r\n'.repeat(10)));
    const s = d.next();
    assert.equal(s.kind === 'error' && s.error.code, 'too-many-lines');
  });

  test('ftpReplyText joins the lines', () => {
    assert.equal(ftpReplyText({ code: 200, lines: ['x', 'y'] }), 'x y');
  });
});
