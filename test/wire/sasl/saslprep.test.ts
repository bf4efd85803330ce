/** SASLprep (RFC 4013) as used for SCRAM passwords and user names. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { preparePassword, saslprep } from '../../../src/wire/sasl/saslprep.js';
import { deriveScramCredentials } from '../../../src/wire/sasl/credentials.js';

describe('RFC 4013 §3 examples', () => {
  const mapped: [string, string, string][] = [
    ['I\u00ADX', 'IX', 'SOFT HYPHEN mapped to nothing'],
    ['user', 'user', 'no transformation'],
    ['USER', 'USER', 'case preserved, will not match #2'],
    ['\u00AA', 'a', 'output is NFKC, input in ISO 8859-1'],
    ['\u2168', 'IX', 'output is NFKC, will match #1'],
  ];
  for (const [input, output, why] of mapped) {
    test(`${JSON.stringify(input)} becomes ${JSON.stringify(output)} (${why})`, () => {
      assert.deepEqual(saslprep(input), { ok: true, value: output });
    });
  }

  test('"\\u0007" is refused: prohibited character', () => {
    const r = saslprep('\u0007');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /Prohibited/);
  });

  test('"\\u0627\\u0031" is refused: bidirectional check', () => {
    const r = saslprep('\u0627\u0031');
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.reason : '', /Bidirectional|RandALCat/);
  });
});

describe('password preparation shared by our SCRAM client and server', () => {
  test('non-ASCII space maps to an ASCII space (RFC 4013 §2.1)', () => {
    assert.equal(preparePassword('pass\u00A0word'), 'pass word');
  });

  test('unassigned code points are allowed (query strings, RFC 4013 §2.5)', () => {
    // U+0221 was unassigned in Unicode 3.2, the version stringprep fixes.
    assert.equal(preparePassword('x\u0221y'), 'x\u0221y');
  });

  test('a password SASLprep refuses is used as typed, on both sides alike', () => {
    assert.equal(preparePassword('bell\u0007'), 'bell\u0007');
    const salt = Buffer.from('salt');
    const a = deriveScramCredentials('bell\u0007', { salt, iterations: 2 });
    const b = deriveScramCredentials('bell', { salt, iterations: 2 });
    assert.notDeepEqual(a.storedKey, b.storedKey);
  });

  test('equivalent spellings derive the same stored keys', () => {
    const salt = Buffer.from('salt');
    assert.deepEqual(deriveScramCredentials('I\u00ADX', { salt, iterations: 2 }), deriveScramCredentials('\u2168', { salt, iterations: 2 }));
  });
});
