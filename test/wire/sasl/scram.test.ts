/**
 * SCRAM-SHA-256 and -PLUS: our client against our server (success, wrong password, unknown
 * user, channel binding, downgrade), our server against hand-made malformed messages, and our
 * client against a lying server.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createClientExchange, type SaslClientExchange } from '../../../src/wire/sasl/client.js';
import { MAX_CLIENT_ITERATIONS } from '../../../src/wire/sasl/client-scram.js';
import {
  createServerExchange,
  deriveScramCredentials,
  type ChannelBinding,
  type SaslServerExchange,
  type ServerStep,
} from '../../../src/wire/sasl/server.js';
import { run, type Outcome } from './harness.js';

// A low count keeps the suite fast; the RFC vectors cover 4096.
const ITER = 64;
const users = {
  alice: deriveScramCredentials('correct horse', { iterations: ITER }),
  'we,ird=name': deriveScramCredentials('s3cret', { iterations: ITER }),
};
const tlsA: ChannelBinding = { type: 'tls-exporter', data: randomBytes(32) };
const tlsB: ChannelBinding = { type: 'tls-exporter', data: randomBytes(32) };

function client(mechanism: string, creds: { username?: string; password?: string; authzid?: string; channelBinding?: ChannelBinding } = {}): SaslClientExchange {
  const c = createClientExchange(mechanism, { username: 'alice', password: 'correct horse', ...creds });
  assert.ok(c, `client exchange for ${mechanism}`);
  return c;
}

function server(mechanism: string, channelBinding?: ChannelBinding): SaslServerExchange {
  const s = createServerExchange(mechanism, channelBinding ? { channelBinding } : {});
  assert.ok(s, `server exchange for ${mechanism}`);
  return s;
}

function assertFailure(outcome: Outcome, reason: string): asserts outcome is Extract<Outcome, { result: 'server-failure' }> {
  assert.equal(outcome.result, 'server-failure', JSON.stringify(outcome));
  assert.equal(outcome.result === 'server-failure' && outcome.reason, reason, JSON.stringify(outcome));
}

describe('SCRAM-SHA-256 between our client and our server', () => {
  for (const initialResponse of [true, false]) {
    for (const successData of ['with-success', 'as-challenge'] as const) {
      test(`the right password logs in (initial response: ${initialResponse}, server signature ${successData})`, () => {
        const outcome = run(client('SCRAM-SHA-256'), server('SCRAM-SHA-256'), { scramUsers: users, initialResponse, successData });
        assert.deepEqual({ ...outcome, transcript: undefined }, { result: 'success', authcid: 'alice', authzid: '', transcript: undefined });
      });
    }
  }

  test('the password never appears in what goes over the wire', () => {
    const outcome = run(client('SCRAM-SHA-256'), server('SCRAM-SHA-256'), { scramUsers: users });
    assert.equal(outcome.result, 'success');
    assert.ok(!outcome.transcript.join('\n').includes('correct horse'));
  });

  test('a wrong password fails with bad-proof and the generic message', () => {
    const outcome = run(client('SCRAM-SHA-256', { password: 'wrong horse' }), server('SCRAM-SHA-256'), { scramUsers: users });
    assertFailure(outcome, 'bad-proof');
    assert.equal(outcome.message, 'authentication failed');
  });

  test('an unknown user sees the same exchange as a wrong password and the same failure message', () => {
    const known = run(client('SCRAM-SHA-256', { password: 'wrong' }), server('SCRAM-SHA-256'), { scramUsers: users });
    const unknown = run(client('SCRAM-SHA-256', { username: 'mallory', password: 'wrong' }), server('SCRAM-SHA-256'), { scramUsers: users });
    assertFailure(known, 'bad-proof');
    assertFailure(unknown, 'unknown-user');
    assert.equal(unknown.message, known.message);
    assert.equal(unknown.transcript.length, known.transcript.length);
    // Same salt length and iteration count announced in server-first.
    const shape = (t: string[]) => (t[1] ?? '').replace(/^S: r=[^,]+,s=([^,]+),i=(\d+)$/, (_m, s: string, i: string) => `${Buffer.from(s, 'base64').length}/${i}`);
    const fakeShape = shape(unknown.transcript);
    assert.match(fakeShape, /^16\/4096$/);
    const realUsers = { alice: deriveScramCredentials('correct horse') };
    assert.equal(shape(run(client('SCRAM-SHA-256'), server('SCRAM-SHA-256'), { scramUsers: realUsers }).transcript), fakeShape);
  });

  test('an unknown user is shown the same salt on every attempt, and another unknown user a different one', () => {
    const salt = (username: string) => {
      const s = server('SCRAM-SHA-256');
      s.step(client('SCRAM-SHA-256', { username }).initialResponse());
      const ch = s.provideScramCredentials(null);
      return ch.type === 'challenge' ? /s=([^,]+)/.exec(ch.data.toString())?.[1] : undefined;
    };
    assert.ok(salt('mallory'));
    assert.equal(salt('mallory'), salt('mallory'));
    assert.notEqual(salt('mallory'), salt('trudy'));
  });

  test('the caller can choose the fake salt and iteration count shown to unknown users', () => {
    const s = createServerExchange('SCRAM-SHA-256', { fakeSalt: () => Buffer.from('fixed-salt'), fakeIterations: 10000 });
    assert.ok(s);
    s.step(Buffer.from('n,,n=nobody,r=abc'));
    const ch = s.provideScramCredentials(null);
    assert.equal(ch.type === 'challenge' && ch.data.toString().replace(/^r=abc[^,]+/, 'r=…'), `r=…,s=${Buffer.from('fixed-salt').toString('base64')},i=10000`);
  });

  test('user names with "," and "=" arrive unescaped', () => {
    const outcome = run(client('SCRAM-SHA-256', { username: 'we,ird=name', password: 's3cret' }), server('SCRAM-SHA-256'), { scramUsers: users });
    assert.equal(outcome.result, 'success');
    assert.equal(outcome.result === 'success' && outcome.authcid, 'we,ird=name');
    assert.match(outcome.transcript[0] ?? '', /n=we=2Cird=3Dname,/);
  });

  test('an authorization identity (delegation) reaches the server unescaped', () => {
    const outcome = run(client('SCRAM-SHA-256', { authzid: 'shared,box=1' }), server('SCRAM-SHA-256'), { scramUsers: users });
    assert.equal(outcome.result, 'success');
    assert.equal(outcome.result === 'success' && outcome.authzid, 'shared,box=1');
    assert.match(outcome.transcript[0] ?? '', /^C: AUTH SCRAM-SHA-256 n,a=shared=2Cbox=3D1,n=alice,/);
  });

  test('passwords are SASLprep-ed on both sides: "I\\u00ADX" stored, "IX" and "\\u2168" typed both log in', () => {
    const stored = { alice: deriveScramCredentials('I\u00ADX', { iterations: ITER }) };
    for (const typed of ['IX', '\u2168', 'I\u00ADX']) {
      assert.equal(run(client('SCRAM-SHA-256', { password: typed }), server('SCRAM-SHA-256'), { scramUsers: stored }).result, 'success', typed);
    }
    assertFailure(run(client('SCRAM-SHA-256', { password: 'ix' }), server('SCRAM-SHA-256'), { scramUsers: stored }), 'bad-proof');
  });

  test('user names are SASLprep-ed by the server: "ali\\u00ADce" finds alice', () => {
    const outcome = run(client('SCRAM-SHA-256', { username: 'ali\u00ADce' }), server('SCRAM-SHA-256'), { scramUsers: users });
    assert.equal(outcome.result === 'success' && outcome.authcid, 'alice');
  });

  test('after success, any further response is refused', () => {
    const s = server('SCRAM-SHA-256');
    assert.equal(run(client('SCRAM-SHA-256'), s, { scramUsers: users }).result, 'success');
    assert.equal(s.step(Buffer.alloc(0)).type, 'failure');
    assert.equal(s.provideScramCredentials(users.alice).type, 'failure');
  });

  test('SHA-1 credentials offered to a SCRAM-SHA-256 exchange fail as unsupported instead of crashing', () => {
    const s = server('SCRAM-SHA-256');
    s.step(client('SCRAM-SHA-256').initialResponse());
    const step = s.provideScramCredentials(deriveScramCredentials('x', { hash: 'sha1', iterations: 1 }));
    assert.equal(step.type === 'failure' && step.reason, 'unsupported');
  });
});

describe('SCRAM-SHA-256-PLUS channel binding', () => {
  test('matching tls-exporter data logs in', () => {
    const outcome = run(client('SCRAM-SHA-256-PLUS', { channelBinding: tlsA }), server('SCRAM-SHA-256-PLUS', tlsA), { scramUsers: users });
    assert.equal(outcome.result, 'success');
    assert.match(outcome.transcript[0] ?? '', /^C: AUTH SCRAM-SHA-256-PLUS p=tls-exporter,,n=alice,/);
  });

  test('matching tls-server-end-point data logs in', () => {
    const cb: ChannelBinding = { type: 'tls-server-end-point', data: randomBytes(32) };
    assert.equal(run(client('SCRAM-SHA-256-PLUS', { channelBinding: cb }), server('SCRAM-SHA-256-PLUS', cb), { scramUsers: users }).result, 'success');
  });

  test('different TLS sessions (a man in the middle) fail with channel-binding even with the right password', () => {
    const outcome = run(client('SCRAM-SHA-256-PLUS', { channelBinding: tlsA }), server('SCRAM-SHA-256-PLUS', tlsB), { scramUsers: users });
    assertFailure(outcome, 'channel-binding');
  });

  test('a channel binding type the server does not use fails with channel-binding', () => {
    const outcome = run(
      client('SCRAM-SHA-256-PLUS', { channelBinding: { type: 'tls-server-end-point', data: tlsA.data } }),
      server('SCRAM-SHA-256-PLUS', tlsA),
      { scramUsers: users },
    );
    assertFailure(outcome, 'channel-binding');
  });

  test('-PLUS without channel binding from the client ("n" flag) fails with channel-binding', () => {
    const s = server('SCRAM-SHA-256-PLUS', tlsA);
    assert.equal(stepReason(s.step(Buffer.from('n,,n=alice,r=abc'))), 'channel-binding');
  });

  test('the server offers no -PLUS exchange without channel binding, the client none without it either', () => {
    assert.equal(createServerExchange('SCRAM-SHA-256-PLUS'), null);
    assert.equal(createClientExchange('SCRAM-SHA-256-PLUS', { username: 'a', password: 'b' }), null);
  });

  test('a client that can bind but was shown no -PLUS ("y" flag) is refused by a server that offers -PLUS: downgrade', () => {
    const c = client('SCRAM-SHA-256', { channelBinding: tlsA });
    const outcome = run(c, server('SCRAM-SHA-256', tlsA), { scramUsers: users });
    assertFailure(outcome, 'channel-binding');
    assert.match(outcome.message, /downgrade/);
    assert.match(outcome.transcript[0] ?? '', /^C: AUTH SCRAM-SHA-256 y,,/);
  });

  test('the "y" flag is fine with a server that really cannot bind (no TLS)', () => {
    assert.equal(run(client('SCRAM-SHA-256', { channelBinding: tlsA }), server('SCRAM-SHA-256'), { scramUsers: users }).result, 'success');
  });

  test('a client without channel binding ("n") may use SCRAM-SHA-256 on a server that offers -PLUS', () => {
    assert.equal(run(client('SCRAM-SHA-256'), server('SCRAM-SHA-256', tlsA), { scramUsers: users }).result, 'success');
  });

  test('asking for channel binding ("p=") with plain SCRAM-SHA-256 fails with channel-binding', () => {
    const s = server('SCRAM-SHA-256', tlsA);
    assert.equal(stepReason(s.step(Buffer.from('p=tls-exporter,,n=alice,r=abc'))), 'channel-binding');
  });
});

function stepReason(step: ServerStep): string {
  return step.type === 'failure' ? step.reason : step.type;
}

/** A server exchange for alice waiting for the client-final-message, with nonce "cliSRV". */
function serverAwaitingFinal(channelBinding?: ChannelBinding): SaslServerExchange {
  const s = createServerExchange('SCRAM-SHA-256', { nonce: () => 'SRV', ...(channelBinding && { channelBinding }) });
  assert.ok(s);
  assert.equal(s.step(Buffer.from('n,,n=alice,r=cli')).type, 'need-scram-credentials');
  assert.equal(s.provideScramCredentials(users.alice).type, 'challenge');
  return s;
}

describe('our SCRAM server refuses malformed client-first-messages', () => {
  const cases: [string, Buffer, string][] = [
    ['an empty response', Buffer.alloc(0), 'malformed'],
    ['binary junk that is not UTF-8', Buffer.from([0xff, 0xfe, 0x00, 0x81, 0x2c, 0x2c]), 'malformed'],
    ['random binary junk', Buffer.from('c3a8fe01ff7f2c6e3d2c00', 'hex'), 'malformed'],
    ['a NUL inside the user name', Buffer.from('n,,n=al\0ice,r=abc'), 'malformed'],
    ['no gs2 header', Buffer.from('n=alice,r=abc'), 'malformed'],
    ['an unknown gs2 flag', Buffer.from('x,,n=alice,r=abc'), 'malformed'],
    ['"p=" without a channel binding name', Buffer.from('p=,,n=alice,r=abc'), 'malformed'],
    ['an authzid without "a="', Buffer.from('n,alice,n=alice,r=abc'), 'malformed'],
    ['a gs2 header only', Buffer.from('n,,'), 'malformed'],
    ['a missing nonce', Buffer.from('n,,n=alice'), 'malformed'],
    ['a missing user name', Buffer.from('n,,r=abc'), 'malformed'],
    ['attributes in the wrong order', Buffer.from('n,,r=abc,n=alice'), 'malformed'],
    ['an empty user name', Buffer.from('n,,n=,r=abc'), 'malformed'],
    ['a "=" escape other than =2C / =3D', Buffer.from('n,,n=al=41ice,r=abc'), 'malformed'],
    ['a lower-case escape', Buffer.from('n,,n=al=2cice,r=abc'), 'malformed'],
    ['a nonce with a control character', Buffer.from('n,,n=alice,r=ab\x7fc'), 'malformed'],
    ['a stray field that is not attr=value', Buffer.from('n,,n=alice,r=abc,junk'), 'malformed'],
    ['an empty field', Buffer.from('n,,n=alice,,r=abc'), 'malformed'],
    ['a user name SASLprep refuses', Buffer.from('n,,n=\u0007bell,r=abc'), 'malformed'],
    ['the mandatory extension "m="', Buffer.from('n,,m=foo,n=alice,r=abc'), 'unsupported'],
    ['an oversized message', Buffer.from(`n,,n=${'a'.repeat(9000)},r=abc`), 'malformed'],
  ];
  for (const [what, message, reason] of cases) {
    test(`${what} fails with ${reason}`, () => {
      const s = server('SCRAM-SHA-256');
      const step = s.step(message);
      assert.equal(stepReason(step), reason, JSON.stringify(step));
      // The exchange is over after a failure.
      assert.equal(s.step(Buffer.from('n,,n=alice,r=abc')).type, 'failure');
    });
  }

  test('an optional extension after the nonce is ignored (RFC 5802 §7 extensions)', () => {
    assert.equal(server('SCRAM-SHA-256').step(Buffer.from('n,,n=alice,r=abc,x=future')).type, 'need-scram-credentials');
  });

  test('without an initial response the server sends an empty challenge first', () => {
    const s = server('SCRAM-SHA-256');
    assert.deepEqual(s.step(null), { type: 'challenge', data: Buffer.alloc(0) });
    assert.equal(s.step(Buffer.from('n,,n=alice,r=abc')).type, 'need-scram-credentials');
  });

  test('a response before the credentials were looked up is refused', () => {
    const s = server('SCRAM-SHA-256');
    s.step(Buffer.from('n,,n=alice,r=abc'));
    assert.equal(stepReason(s.step(Buffer.from('c=biws,r=abc,p=AAAA'))), 'malformed');
  });
});

describe('our SCRAM server refuses malformed client-final-messages', () => {
  // A valid proof for nonce "cliSRV" is not needed: every case fails before the proof matters,
  // except those that test the proof itself.
  const proof = Buffer.alloc(32, 7).toString('base64');
  const cases: [string, string | Buffer, string][] = [
    ['binary junk', Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), 'malformed'],
    ['the wrong nonce', `c=biws,r=cliXXX,p=${proof}`, 'malformed'],
    ['only the client part of the nonce', `c=biws,r=cli,p=${proof}`, 'malformed'],
    ['a missing proof', 'c=biws,r=cliSRV', 'malformed'],
    ['a proof that is not last', `c=biws,p=${proof},r=cliSRV`, 'malformed'],
    ['a missing channel binding', `r=cliSRV,p=${proof}`, 'malformed'],
    ['channel binding that is not base64', `c=b!ws,r=cliSRV,p=${proof}`, 'malformed'],
    ['a proof that is not base64', 'c=biws,r=cliSRV,p=@@@@', 'malformed'],
    ['a proof with non-canonical base64', 'c=biws,r=cliSRV,p=QR==', 'malformed'],
    ['the mandatory extension "m="', `m=x,c=biws,r=cliSRV,p=${proof}`, 'unsupported'],
    ['channel binding data for "y" when the client said "n"', `c=${Buffer.from('y,,').toString('base64')},r=cliSRV,p=${proof}`, 'channel-binding'],
    ['channel binding data naming another authzid', `c=${Buffer.from('n,a=bob,').toString('base64')},r=cliSRV,p=${proof}`, 'channel-binding'],
    ['a proof of the wrong length', `c=biws,r=cliSRV,p=${Buffer.alloc(20).toString('base64')}`, 'bad-proof'],
    ['a well-formed but wrong proof', `c=biws,r=cliSRV,p=${proof}`, 'bad-proof'],
  ];
  for (const [what, message, reason] of cases) {
    test(`${what} fails with ${reason}`, () => {
      const s = serverAwaitingFinal();
      assert.equal(stepReason(s.step(typeof message === 'string' ? Buffer.from(message) : message)), reason);
    });
  }
});

describe('our SCRAM client refuses a lying or broken server', () => {
  function started(): SaslClientExchange {
    const c = client('SCRAM-SHA-256', {});
    c.initialResponse();
    return c;
  }
  const nonceOf = (c: SaslClientExchange) => /r=([^,]+)/.exec(c.initialResponse()?.toString() ?? '')?.[1] ?? '';

  test('success reported without any server signature: fake server', () => {
    const c = started();
    const salt = users.alice.salt.toString('base64');
    assert.equal(c.step(Buffer.from(`r=${nonceOf(c)}x,s=${salt},i=${ITER}`)).type, 'respond');
    const verdict = c.finish();
    assert.equal(verdict.type, 'error');
    assert.match(verdict.type === 'error' ? verdict.message : '', /fake server/);
  });

  test('success reported before the exchange even started: fake server', () => {
    assert.equal(started().finish().type, 'error');
  });

  test('a made-up server signature after a genuine server-first-message: fake server', () => {
    const c = started();
    driveToServerFinal(c, users.alice);
    const verdict = c.finish(Buffer.from(`v=${randomBytes(32).toString('base64')}`));
    assert.match(verdict.type === 'error' ? verdict.message : '', /fake server/);
  });

  test('a server that does not extend the client nonce is refused', () => {
    const c = started();
    assert.equal(c.step(Buffer.from(`r=${nonceOf(c)},s=c2FsdA==,i=4096`)).type, 'error');
    const d = started();
    assert.equal(d.step(Buffer.from('r=someoneelse,s=c2FsdA==,i=4096')).type, 'error');
  });

  const badFirst: [string, (nonce: string) => string][] = [
    ['a mandatory extension', (n) => `m=x,r=${n}x,s=c2FsdA==,i=4096`],
    ['a missing salt', (n) => `r=${n}x,i=4096`],
    ['a salt that is not base64', (n) => `r=${n}x,s=!!,i=4096`],
    ['an iteration count of zero', (n) => `r=${n}x,s=c2FsdA==,i=0`],
    ['an iteration count that is not a number', (n) => `r=${n}x,s=c2FsdA==,i=4k`],
    [`more than ${MAX_CLIENT_ITERATIONS} iterations`, (n) => `r=${n}x,s=c2FsdA==,i=${MAX_CLIENT_ITERATIONS + 1}`],
    ['binary junk', () => '\u0000\u00ff'],
  ];
  for (const [what, make] of badFirst) {
    test(`a server-first-message with ${what} is refused`, () => {
      const c = started();
      assert.equal(c.step(Buffer.from(make(nonceOf(c)), 'latin1')).type, 'error');
    });
  }

  test('a server error "e=invalid-proof" reads as a wrong password', () => {
    const c = started();
    c.step(Buffer.from(`r=${nonceOf(c)}x,s=c2FsdA==,i=${ITER}`));
    const verdict = c.step(Buffer.from('e=invalid-proof'));
    assert.deepEqual(verdict, { type: 'error', message: 'wrong user name or password' });
    assert.equal(c.serverError?.status, 'invalid-proof');
  });

  test('a challenge before the client-first-message that is not empty is refused', () => {
    const c = client('SCRAM-SHA-256');
    assert.equal(c.step(Buffer.from('hello')).type, 'error');
  });

  test('after the verified server signature no further challenge is accepted', () => {
    const c = client('SCRAM-SHA-256');
    const s = server('SCRAM-SHA-256');
    assert.equal(run(c, s, { scramUsers: users, successData: 'as-challenge' }).result, 'success');
    assert.equal(c.step(Buffer.alloc(0)).type, 'error');
  });
});

/** Drives a real server through the client's first message; leaves the client waiting for server-final. */
function driveToServerFinal(c: SaslClientExchange, creds: ReturnType<typeof deriveScramCredentials>): void {
  const s = server('SCRAM-SHA-256');
  s.step(c.initialResponse());
  const ch = s.provideScramCredentials(creds);
  assert.ok(ch.type === 'challenge');
  assert.equal(c.step(ch.data).type, 'respond');
}

describe('a fake server that does not know the stored keys', () => {
  test('cannot produce a signature our client accepts, even with the real salt', () => {
    const c = client('SCRAM-SHA-256');
    // The attacker knows salt and count (public) but not the ServerKey: its server uses keys derived from a guess.
    const guess = deriveScramCredentials('guess', { salt: users.alice.salt, iterations: ITER });
    const outcome = run(c, server('SCRAM-SHA-256'), { scramUsers: { alice: { ...users.alice, serverKey: guess.serverKey } } });
    assert.equal(outcome.result, 'client-error');
  });
});
