/** PLAIN (RFC 4616) on both sides: the RFC's examples, authzid handling, malformed input. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientExchange } from '../../../src/wire/sasl/client.js';
import { createServerExchange, type SaslServerExchange } from '../../../src/wire/sasl/server.js';
import { run } from './harness.js';

function server(): SaslServerExchange {
  const s = createServerExchange('PLAIN');
  assert.ok(s);
  return s;
}

describe('PLAIN vectors from RFC 4616 §4', () => {
  test('"\\0tim\\0tanstaaftanstaaf": user tim, no authzid, is handed to the caller to check', () => {
    assert.deepEqual(server().step(Buffer.from('\0tim\0tanstaaftanstaaf')), {
      type: 'check-password',
      authcid: 'tim',
      authzid: '',
      password: 'tanstaaftanstaaf',
    });
  });

  test('"Ursel\\0Kurt\\0xipj3plmq": Kurt authenticates to act as Ursel', () => {
    assert.deepEqual(server().step(Buffer.from('Ursel\0Kurt\0xipj3plmq')), {
      type: 'check-password',
      authcid: 'Kurt',
      authzid: 'Ursel',
      password: 'xipj3plmq',
    });
  });

  test('our client produces exactly those messages', () => {
    const tim = createClientExchange('PLAIN', { username: 'tim', password: 'tanstaaftanstaaf' });
    assert.deepEqual(tim?.initialResponse(), Buffer.from('\0tim\0tanstaaftanstaaf'));
    const kurt = createClientExchange('PLAIN', { username: 'Kurt', password: 'xipj3plmq', authzid: 'Ursel' });
    assert.deepEqual(kurt?.initialResponse(), Buffer.from('Ursel\0Kurt\0xipj3plmq'));
  });
});

describe('PLAIN server', () => {
  test('non-ASCII names and passwords arrive as UTF-8 text', () => {
    const step = server().step(Buffer.from('\0jürgen@example.org\0pässwörd€'));
    assert.deepEqual(step, { type: 'check-password', authcid: 'jürgen@example.org', authzid: '', password: 'pässwörd€' });
  });

  test('without an initial response the server sends an empty challenge, then takes the message', () => {
    const s = server();
    assert.deepEqual(s.step(null), { type: 'challenge', data: Buffer.alloc(0) });
    assert.equal(s.step(Buffer.from('\0tim\0pw')).type, 'check-password');
  });

  const malformed: [string, Buffer][] = [
    ['an empty initial response ("=")', Buffer.alloc(0)],
    ['no NUL at all', Buffer.from('timtanstaaf')],
    ['only one NUL', Buffer.from('tim\0tanstaaf')],
    ['three NULs', Buffer.from('\0tim\0tan\0staaf')],
    ['an empty user name', Buffer.from('\0\0tanstaaf')],
    ['an empty password', Buffer.from('\0tim\0')],
    ['invalid UTF-8', Buffer.from([0, 0x74, 0x69, 0x6d, 0, 0xff, 0xfe])],
    ['64 KiB of NUL-free junk', Buffer.alloc(65536, 0x41)],
    ['an overlong message with valid NULs', Buffer.concat([Buffer.from('\0tim\0'), Buffer.alloc(5000, 0x61)])],
  ];
  for (const [what, message] of malformed) {
    test(`${what} fails as malformed without reaching the password check`, () => {
      const step = server().step(message);
      assert.equal(step.type, 'failure');
      assert.equal(step.type === 'failure' && step.reason, 'malformed');
    });
  }

  test('a 255-octet user name and password are accepted (RFC 4616 §2 minimum)', () => {
    const step = server().step(Buffer.from(`\0${'u'.repeat(255)}\0${'p'.repeat(255)}`));
    assert.equal(step.type, 'check-password');
  });

  test('once the message was handed over, further responses are refused', () => {
    const s = server();
    s.step(Buffer.from('\0tim\0pw'));
    assert.equal(s.step(Buffer.from('\0tim\0pw')).type, 'failure');
  });

  test('asking a PLAIN exchange for SCRAM credentials is refused as unsupported', () => {
    const s = server();
    s.step(null);
    const step = s.provideScramCredentials(null);
    assert.equal(step.type === 'failure' && step.reason, 'unsupported');
  });
});

describe('PLAIN between our client and our server', () => {
  const passwords = { tim: 'tanstaaftanstaaf' };
  for (const initialResponse of [true, false]) {
    test(`the right password logs in (initial response: ${initialResponse})`, () => {
      const c = createClientExchange('PLAIN', { username: 'tim', password: 'tanstaaftanstaaf' });
      assert.ok(c);
      const outcome = run(c, server(), { passwords, initialResponse });
      assert.equal(outcome.result, 'success');
    });
  }

  test('the wrong password is refused', () => {
    const c = createClientExchange('PLAIN', { username: 'tim', password: 'nope' });
    assert.ok(c);
    assert.equal(run(c, server(), { passwords }).result, 'server-failure');
  });

  test('the authorization identity is passed through for delegation', () => {
    const c = createClientExchange('PLAIN', { username: 'tim', password: 'tanstaaftanstaaf', authzid: 'shared@example.org' });
    assert.ok(c);
    const outcome = run(c, server(), { passwords });
    assert.equal(outcome.result === 'success' && outcome.authzid, 'shared@example.org');
  });

  test('the client does not send the message twice when the server challenges again', () => {
    const c = createClientExchange('PLAIN', { username: 'tim', password: 'x' });
    assert.ok(c);
    c.initialResponse();
    assert.equal(c.step(Buffer.alloc(0)).type, 'error');
  });
});
