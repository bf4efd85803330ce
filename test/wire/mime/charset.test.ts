import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import iconv from 'iconv-lite';
import { decodeBytes, encodeText, resolveCharset } from '../../../src/wire/mime/charset.js';

describe('charset decoding', () => {
  test('UTF-8 declared is read as UTF-8', () => {
    assert.equal(decodeBytes(Buffer.from('Grüße 😀'), 'UTF-8'), 'Grüße 😀');
    assert.equal(decodeBytes(Buffer.from('Grüße'), '"utf8"'), 'Grüße');
  });

  test('ISO-8859-1 is read as windows-1252, so 0x80 is the euro sign', () => {
    assert.equal(decodeBytes(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80]), 'ISO-8859-1'), 'café €');
  });

  test('US-ASCII or no charset with 8-bit bytes: UTF-8 when valid, else windows-1252', () => {
    assert.equal(decodeBytes(Buffer.from('naïve'), 'us-ascii'), 'naïve');
    assert.equal(decodeBytes(Buffer.from([0x6e, 0x61, 0xef, 0x76, 0x65]), 'us-ascii'), 'naïve');
    assert.equal(decodeBytes(Buffer.from([0x6e, 0x61, 0xef, 0x76, 0x65]), undefined), 'naïve');
  });

  test('legacy charsets go through iconv-lite', () => {
    for (const [cs, text] of [
      ['koi8-r', 'Привет, мир'],
      ['windows-1251', 'Привет'],
      ['iso-8859-2', 'Zażółć gęślą jaźń'],
      ['shift_jis', '日本語テキスト'],
      ['euc-kr', '한국어'],
      ['gbk', '中文测试'],
      ['big5', '中文測試'],
      ['iso-8859-7', 'Ελληνικά'],
    ] as const) {
      assert.equal(decodeBytes(iconv.encode(text, cs), cs), text, cs);
    }
  });

  test('common mislabels resolve: ks_c_5601-1987, gb2312, win-1257, latin2, iso-8859-8-i', () => {
    assert.equal(decodeBytes(iconv.encode('한국어', 'cp949'), 'ks_c_5601-1987'), '한국어');
    assert.equal(decodeBytes(iconv.encode('中文', 'gbk'), 'gb2312'), '中文');
    assert.ok(resolveCharset('win-1257'));
    assert.ok(resolveCharset('latin2'));
    assert.ok(resolveCharset('iso-8859-8-i'));
  });

  test('ISO-2022-JP (not in iconv-lite) is decoded', () => {
    assert.equal(decodeBytes(Buffer.from('1b24422546253925481b2842', 'hex'), 'ISO-2022-JP'), 'テスト');
  });

  test('an unknown charset never throws and falls back to the heuristic', () => {
    assert.equal(decodeBytes(Buffer.from('héllo'), 'x-made-up'), 'héllo');
    assert.equal(decodeBytes(Buffer.from([0x68, 0xe9]), 'x-made-up'), 'hé');
    assert.equal(decodeBytes(Buffer.from('abc'), '\u0000;;'), 'abc');
    assert.equal(resolveCharset('x-made-up'), null);
  });

  test('UTF-7, base64 and hex are refused as charsets', () => {
    assert.equal(resolveCharset('utf-7'), null);
    assert.equal(resolveCharset('UNICODE-1-1-UTF-7'), null);
    assert.equal(resolveCharset('base64'), null);
    assert.equal(decodeBytes(Buffer.from('+ADw-script+AD4-'), 'utf-7'), '+ADw-script+AD4-');
  });

  test('encodeText writes the charset, UTF-8 for unknown ones', () => {
    assert.deepEqual(encodeText('café', 'iso-8859-1'), Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    assert.deepEqual(encodeText('café', 'x-made-up'), Buffer.from('café'));
  });
});
