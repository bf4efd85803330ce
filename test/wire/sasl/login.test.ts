/** LOGIN (draft-murchison-sasl-login) on both sides, with and without an initial response. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createClientExchange, type SaslClientExchange } from '../../../src/wire/sasl/client.js';
import { createServerExchange, type SaslServerExchange } from '../../../src/wire/sasl/server.js';
import { run } from './harness.js';

function server(): SaslServerExchange {
  const s = createServerExchange('LOGIN');
  assert.ok(s);
  return s;
}
function client(initialResponse = false, password = 'tanstaaf'): SaslClientExchange {
  const c = createClientExchange('LOGIN', { username: 'tim', password, loginInitialResponse: initialResponse });
  assert.ok(c);
  return c;
}

describe('LOGIN server', () => {
  test('without an initial response it asks "Username:" then "Password:"', () => {
    const s = server();
    assert.deepEqual(s.step(null), { type: 'challenge', data: Buffer.from('Username:') });
    assert.deepEqual(s.step(Buffer.from('tim')), { type: 'challenge', data: Buffer.from('Password:') });
    assert.deepEqual(s.step(Buffer.from('tanstaaf')), { type: 'check-password', authcid: 'tim', authzid: '', password: 'tanstaaf' });
  });

  test('an initial response carries the user name and the server asks only for the password', () => {
    const s = server();
    assert.deepEqual(s.step(Buffer.from('tim')), { type: 'challenge', data: Buffer.from('Password:') });
    assert.deepEqual(s.step(Buffer.from('tanstaaf')), { type: 'check-password', authcid: 'tim', authzid: '', password: 'tanstaaf' });
  });

  const bad: [string, (s: SaslServerExchange) => ReturnType<SaslServerExchange['step']>][] = [
    ['an empty user name', (s) => (s.step(null), s.step(Buffer.alloc(0)))],
    ['an empty initial response', (s) => s.step(Buffer.alloc(0))],
    ['an empty password', (s) => (s.step(Buffer.from('tim')), s.step(Buffer.alloc(0)))],
    ['a user name that is not UTF-8', (s) => s.step(Buffer.from([0xc3, 0x28]))],
    ['a password with a NUL', (s) => (s.step(Buffer.from('tim')), s.step(Buffer.from('pa\0ss')))],
    ['a 64 KiB user name', (s) => s.step(Buffer.alloc(65536, 0x41))],
    ['a response after the password', (s) => (s.step(Buffer.from('tim')), s.step(Buffer.from('pw')), s.step(Buffer.from('more')))],
  ];
  for (const [what, act] of bad) {
    test(`${what} fails as malformed`, () => {
      const step = act(server());
      assert.equal(step.type === 'failure' && step.reason, 'malformed', JSON.stringify(step));
    });
  }
});

describe('LOGIN client', () => {
  test('has no initial response unless configured', () => {
    assert.equal(client(false).initialResponse(), null);
    assert.deepEqual(client(true).initialResponse(), Buffer.from('tim'));
  });

  test('answers prompts by their wording, whatever the order', () => {
    const c = client();
    assert.deepEqual(c.step(Buffer.from('Password:')), { type: 'respond', data: Buffer.from('tanstaaf') });
    assert.deepEqual(c.step(Buffer.from('Username:')), { type: 'respond', data: Buffer.from('tim') });
  });

  test('answers prompts it cannot read by their order (user name first)', () => {
    const c = client();
    assert.deepEqual(c.step(Buffer.from('Benutzername:')), { type: 'respond', data: Buffer.from('tim') });
    assert.deepEqual(c.step(Buffer.from('Kennwort:')), { type: 'respond', data: Buffer.from('tanstaaf') });
    assert.equal(c.step(Buffer.from('Noch was?')).type, 'error');
  });

  test('refuses to send the password twice', () => {
    const c = client(true);
    c.initialResponse();
    assert.equal(c.step(Buffer.from('Password:')).type, 'respond');
    assert.equal(c.step(Buffer.from('Password:')).type, 'error');
  });
});

describe('LOGIN between our client and our server', () => {
  const passwords = { tim: 'tanstaaf' };
  for (const configured of [false, true]) {
    test(`logs in ${configured ? 'with' : 'without'} the user name as initial response`, () => {
      const outcome = run(client(configured), server(), { passwords });
      assert.equal(outcome.result, 'success');
      assert.deepEqual(
        outcome.transcript,
        configured
          ? ['C: AUTH LOGIN tim', 'S: Password:', 'C: tanstaaf', 'S: success']
          : ['C: AUTH LOGIN', 'S: Username:', 'C: tim', 'S: Password:', 'C: tanstaaf', 'S: success'],
      );
    });
  }

  test('a wrong password is refused', () => {
    assert.equal(run(client(false, 'nope'), server(), { passwords }).result, 'server-failure');
  });
});
