import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeWords } from '../../../src/wire/mime/encoded-words.js';
import { assertScalesLinearly } from '../../helpers/scaling.js';

describe('RFC 2047 encoded words', () => {
  // RFC 2047 §8, the table of encoded-word displays
  const rfcTable: Array<[string, string]> = [
    ['(=?ISO-8859-1?Q?a?=)', '(a)'],
    ['(=?ISO-8859-1?Q?a?= b)', '(a b)'],
    ['(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)', '(ab)'],
    ['(=?ISO-8859-1?Q?a_b?=)', '(a b)'],
    ['(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)', '(a b)'],
  ];
  for (const [input, want] of rfcTable) {
    test(`RFC 2047 §8: ${JSON.stringify(input)} reads as ${JSON.stringify(want)}`, () => {
      assert.equal(decodeWords(input), want);
    });
  }

  test('RFC 2047 §8 header examples', () => {
    assert.equal(decodeWords('=?US-ASCII?Q?Keith_Moore?= <moore@cs.utk.edu>'), 'Keith Moore <moore@cs.utk.edu>');
    assert.equal(decodeWords('=?ISO-8859-1?Q?Keld_J=F8rn_Simonsen?= <keld@dkuug.dk>'), 'Keld Jørn Simonsen <keld@dkuug.dk>');
    assert.equal(decodeWords('=?ISO-8859-1?Q?Andr=E9?= Pirard <PIRARD@vm1.ulg.ac.be>'), 'André Pirard <PIRARD@vm1.ulg.ac.be>');
    assert.equal(
      decodeWords('=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?='),
      'If you can read this you understand the example.',
    );
    assert.equal(decodeWords('=?ISO-8859-1?Q?Olle_J=E4rnefors?= <ojarnef@admin.kth.se>'), 'Olle Järnefors <ojarnef@admin.kth.se>');
  });

  test('RFC 2231 §5: a language tag in the charset is ignored', () => {
    assert.equal(decodeWords('=?US-ASCII*EN?Q?Keith_Moore?='), 'Keith Moore');
  });

  test('a multi-byte character split across adjacent words comes out whole', () => {
    assert.equal(decodeWords('=?utf-8?Q?=C3?= =?utf-8?Q?=A4?='), 'ä');
    assert.equal(decodeWords('=?UTF-8?B?8J+Y?= =?UTF-8?B?gA==?='), '😀');
  });

  test('a base64 word split in the middle of a quantum is joined with the next', () => {
    assert.equal(decodeWords('=?utf-8?B?w6?= =?utf-8?B?Q=?='), 'ä');
  });

  test('B words padded each on their own decode word by word', () => {
    assert.equal(decodeWords('=?utf-8?B?w6Q=?= =?utf-8?B?w7Y=?='), 'äö');
  });

  test('missing padding, lower-case encoding letters and charsets', () => {
    assert.equal(decodeWords('=?utf-8?b?w6Q?='), 'ä');
    assert.equal(decodeWords('=?iso-8859-15?q?=A4uro?='), '€uro');
  });

  test('words in other charsets: windows-1252, KOI8-R, Shift_JIS, ISO-2022-JP, GB2312', () => {
    assert.equal(decodeWords('=?windows-1252?Q?=80?='), '€');
    assert.equal(decodeWords('=?KOI8-R?B?8NLJ18XU?='), 'Привет');
    assert.equal(decodeWords('=?Shift_JIS?B?g2WDWINn?='), 'テスト');
    assert.equal(decodeWords('=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?='), 'テスト');
    assert.equal(decodeWords('=?GB2312?B?1tDOxA==?='), '中文');
  });

  test('an unknown charset falls back to UTF-8 when valid, else windows-1252', () => {
    assert.equal(decodeWords('=?x-unknown?Q?caf=C3=A9?='), 'café');
    assert.equal(decodeWords('=?x-unknown?Q?caf=E9?='), 'café');
  });

  test('US-ASCII words with 8-bit octets are read leniently, not as U+FFFD', () => {
    assert.equal(decodeWords('=?us-ascii?Q?caf=E9?='), 'café');
  });

  test('malformed words are left as they are, text around words kept', () => {
    assert.equal(decodeWords('=?utf-8?q?broken'), '=?utf-8?q?broken');
    assert.equal(decodeWords('=?utf-8?X?abc?='), '=?utf-8?X?abc?=');
    assert.equal(decodeWords('Re: =?utf-8?Q?hi?= there'), 'Re: hi there');
    assert.equal(decodeWords('plain text'), 'plain text');
  });

  test('Q words with blanks inside (broken senders) still decode', () => {
    assert.equal(decodeWords('=?utf-8?Q?a b?='), 'a b');
  });

  test('UTF-7 is not decoded as UTF-7 (it smuggles markup)', () => {
    assert.notEqual(decodeWords('=?utf-7?Q?+ADw-script+AD4-?='), '<script>');
  });

  test('a long run of words is decoded in linear time', () => {
    const words = (n: number) => Array.from({ length: n }, () => '=?utf-8?Q?=C3=A4?=').join(' ');
    assert.equal(decodeWords(words(20_000)), 'ä'.repeat(20_000));
    const inputs = new Map([5_000, 20_000].map((n) => [n, words(n)]));
    assertScalesLinearly((n) => decodeWords(inputs.get(n)!), 5_000, 'encoded words');
  });
});
