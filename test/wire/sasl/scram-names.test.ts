/** SCRAM's saslname escaping ("," → "=2C", "=" → "=3D", RFC 5802 §5.1), checked by property. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeSaslName, unescapeSaslName } from '../../../src/wire/sasl/scram-names.js';
import { parseClientFirst } from '../../../src/wire/sasl/scram-messages.js';
import { createClientExchange } from '../../../src/wire/sasl/client.js';
import { createServerExchange, deriveScramCredentials } from '../../../src/wire/sasl/server.js';
import { run } from './harness.js';

const tricky = fc.constantFrom(',', '=', '=2C', '=3D', '2C', 'a', 'Z', '@', '\\', '/', ' ', 'é', '\u{1F600}');
const name = fc.array(tricky, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(''));
const printable = fc.string({ unit: fc.constantFrom(...'abc,=2CD3@.\\-_ '.split('')), minLength: 1, maxLength: 16 });

describe('saslname escaping', () => {
  test('examples: "," and "=" are escaped, nothing else', () => {
    assert.equal(escapeSaslName('a,b=c'), 'a=2Cb=3Dc');
    assert.equal(escapeSaslName('=2C'), '=3D2C');
    assert.equal(unescapeSaslName('=3D2C'), '=2C');
  });

  test('any name survives escape then unescape, and the escaped form has no ","', () => {
    fc.assert(
      fc.property(fc.oneof(name, fc.string({ unit: 'grapheme' })), (n) => {
        const escaped = escapeSaslName(n);
        assert.ok(!escaped.includes(','));
        assert.equal(unescapeSaslName(escaped), n);
      }),
      { numRuns: 500 },
    );
  });

  test('any name survives a client-first-message round trip', () => {
    fc.assert(
      fc.property(name, name, (user, authzid) => {
        const message = `n,a=${escapeSaslName(authzid)},n=${escapeSaslName(user)},r=nonce`;
        const parsed = parseClientFirst(message);
        assert.ok(parsed.ok);
        assert.equal(parsed.value.username, user);
        assert.equal(parsed.value.gs2.authzid, authzid);
      }),
      { numRuns: 300 },
    );
  });

  test('a "=" not followed by 2C or 3D is refused', () => {
    for (const bad of ['=', 'a=', '=2', '=2c', '=3d', '=41', 'a,b']) assert.equal(unescapeSaslName(bad), null, bad);
  });

  test('random user names with "," and "=" log in through our client and server and arrive unchanged', () => {
    fc.assert(
      fc.property(printable, (user) => {
        const creds = deriveScramCredentials('pw', { iterations: 8 });
        const client = createClientExchange('SCRAM-SHA-256', { username: user, password: 'pw' });
        const server = createServerExchange('SCRAM-SHA-256');
        assert.ok(client && server);
        const outcome = run(client, server, { scramUsers: { [user]: creds } });
        assert.equal(outcome.result, 'success', JSON.stringify(outcome));
        assert.equal(outcome.result === 'success' && outcome.authcid, user);
      }),
      { numRuns: 60 },
    );
  });
});
