import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseParameterized } from '../../../src/wire/mime/params.js';

const params = (s: string): Record<string, string> => ({ ...parseParameterized(s).params });

describe('Content-Type / Content-Disposition parameters', () => {
  test('RFC 2045 §5.1: quoted and unquoted values and a comment are the same value', () => {
    for (const v of ['text/plain; charset=us-ascii (Plain text)', 'text/plain; charset="us-ascii"', 'text/plain; charset=us-ascii']) {
      const p = parseParameterized(v);
      assert.equal(p.value, 'text/plain');
      assert.deepEqual({ ...p.params }, { charset: 'us-ascii' });
    }
  });

  test('RFC 2045 §5.1: parameter names are case-insensitive, values keep their case', () => {
    assert.deepEqual(params('TEXT/PLAIN; CharSet=UTF-8; Format=Flowed'), { charset: 'UTF-8', format: 'Flowed' });
  });

  test('RFC 2183 §2: disposition with filename and a quoted date', () => {
    const p = parseParameterized('attachment; filename=genome.jpeg;\r\n modification-date="Wed, 12 Feb 1997 16:29:51 -0500";');
    assert.equal(p.value, 'attachment');
    assert.deepEqual({ ...p.params }, { filename: 'genome.jpeg', 'modification-date': 'Wed, 12 Feb 1997 16:29:51 -0500' });
  });

  test('RFC 2231 §3: continuations are joined in order', () => {
    const p = parseParameterized('message/external-body; access-type=URL;\r\n URL*0="ftp://";\r\n URL*1="cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar"');
    assert.equal(p.params['url'], 'ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar');
    assert.deepEqual(p.rawParams, [
      ['access-type', 'URL'],
      ['url', 'ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar'],
    ]);
  });

  test('RFC 2231 §3: continuations out of order are put in order', () => {
    assert.equal(params('x/y; a*1=b; a*0=a; a*2=c')['a'], 'abc');
  });

  test("RFC 2231 §4: charset'language'value with %-escapes", () => {
    const p = parseParameterized("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
    assert.equal(p.params['title'], 'This is ***fun***');
    assert.deepEqual(p.rawParams, [['title*', "us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A"]]);
  });

  test('RFC 2231 §4.1: extended and plain continuations combined', () => {
    const p = parseParameterized(
      "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20;\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20;\r\n title*2=\"isn't it!\"",
    );
    assert.equal(p.params['title'], "This is even more ***fun*** isn't it!");
    assert.deepEqual(p.rawParams, [['title*', "us-ascii'en'This%20is%20even%20more%20%2A%2A%2Afun%2A%2A%2A%20isn%27t%20it%21"]]);
  });

  test('RFC 2231 filenames in UTF-8 and latin1 are decoded', () => {
    assert.equal(params("attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf")['filename'], 'résumé.pdf');
    assert.equal(params("attachment; filename*=iso-8859-1''caf%E9.txt")['filename'], 'café.txt');
    assert.equal(params("attachment; filename*0*=utf-8''%E2%82%AC; filename*1*=%20rate.txt")['filename'], '€ rate.txt');
  });

  test('an RFC 2231 value in an unknown charset falls back to UTF-8 or windows-1252, never U+FFFD for latin1 bytes', () => {
    assert.equal(params("attachment; filename*=x-bogus''caf%E9.txt")['filename'], 'café.txt');
    assert.equal(params("attachment; filename*=x-bogus''caf%C3%A9.txt")['filename'], 'café.txt');
  });

  test('the RFC 2231 form wins over a plain parameter of the same name', () => {
    const p = parseParameterized("attachment; filename=\"fallback.pdf\"; filename*=UTF-8''%E2%9C%93.pdf");
    assert.equal(p.params['filename'], '✓.pdf');
    assert.deepEqual(p.rawParams, [['filename*', "UTF-8''%E2%9C%93.pdf"]]);
  });

  test('RFC 2047 encoded words in a quoted filename are decoded (Outlook does this)', () => {
    const p = parseParameterized('attachment; filename="=?UTF-8?B?w6TDtsO8LnR4dA==?="');
    assert.equal(p.params['filename'], 'äöü.txt');
    assert.deepEqual(p.rawParams, [['filename', '=?UTF-8?B?w6TDtsO8LnR4dA==?=']]);
  });

  test('broken forms: unquoted blanks, unterminated quote, stray semicolons, escapes, duplicates', () => {
    assert.equal(params('attachment; filename=my file.pdf')['filename'], 'my file.pdf');
    assert.equal(params('attachment; filename="unterminated.pdf')['filename'], 'unterminated.pdf');
    assert.deepEqual(params('text/plain;; ; charset=utf-8;'), { charset: 'utf-8' });
    assert.equal(params('attachment; filename="say \\"hi\\".txt"')['filename'], 'say "hi".txt');
    assert.equal(params('text/plain; charset=utf-8; charset=latin1')['charset'], 'utf-8');
    assert.equal(params('multipart/mixed; boundary="a;b"; x=1')['boundary'], 'a;b');
  });

  test('parentheses inside a token are part of it; a comment after a blank is not', () => {
    assert.equal(params('attachment; filename=Invoice(1).pdf')['filename'], 'Invoice(1).pdf');
    assert.equal(params('text/plain (a comment); charset=utf-8 (another)')['charset'], 'utf-8');
    assert.equal(parseParameterized('text/plain (a comment); charset=utf-8').value, 'text/plain');
  });

  test('a parameter named __proto__ is an ordinary key', () => {
    const p = parseParameterized('text/plain; __proto__=x; constructor=y');
    assert.equal(p.params['__proto__'], 'x');
    assert.equal(Object.getPrototypeOf(p.params), null);
  });
});
