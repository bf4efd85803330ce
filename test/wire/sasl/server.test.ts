/** The server-side registry: what is offered where, and which exchanges can be created. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  SERVER_MECHANISMS,
  createServerExchange,
  deriveScramCredentials,
  offeredServerMechanisms,
} from '../../../src/wire/sasl/server.js';
import * as sasl from '../../../src/wire/sasl/index.js';

const cb = { type: 'tls-exporter' as const, data: randomBytes(32) };

describe('SERVER_MECHANISMS', () => {
  test('lists PLAIN, LOGIN, SCRAM-SHA-256, SCRAM-SHA-256-PLUS with their cleartext and channel-binding needs', () => {
    assert.deepEqual(SERVER_MECHANISMS, [
      { name: 'PLAIN', cleartext: true, needsChannelBinding: false },
      { name: 'LOGIN', cleartext: true, needsChannelBinding: false },
      { name: 'SCRAM-SHA-256', cleartext: false, needsChannelBinding: false },
      { name: 'SCRAM-SHA-256-PLUS', cleartext: false, needsChannelBinding: true },
    ]);
  });

  test('before TLS under SecureLogin only SCRAM-SHA-256 is offered; with TLS everything', () => {
    assert.deepEqual(offeredServerMechanisms({ channelBinding: false, allowCleartext: false }), ['SCRAM-SHA-256']);
    assert.deepEqual(offeredServerMechanisms({ channelBinding: true, allowCleartext: true }), ['PLAIN', 'LOGIN', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS']);
  });

  test('every listed mechanism can be created (with channel binding where needed)', () => {
    for (const m of SERVER_MECHANISMS) {
      assert.equal(createServerExchange(m.name, { channelBinding: cb })?.mechanism, m.name);
    }
  });
});

describe('createServerExchange', () => {
  test('returns null for mechanisms the server does not speak', () => {
    for (const m of ['CRAM-MD5', 'GSSAPI', 'XOAUTH2', 'OAUTHBEARER', 'EXTERNAL', 'SCRAM-SHA-1', 'SCRAM-SHA-512', '', 'PLAIN ']) {
      assert.equal(createServerExchange(m, { channelBinding: cb }), null, m);
    }
  });

  test('accepts a mechanism name typed in lower case (SMTP users type "auth plain")', () => {
    assert.equal(createServerExchange('plain')?.mechanism, 'PLAIN');
    assert.equal(createServerExchange('scram-sha-256')?.mechanism, 'SCRAM-SHA-256');
  });

  test('a new exchange every time: two logins do not share state', () => {
    const a = createServerExchange('PLAIN');
    const b = createServerExchange('PLAIN');
    assert.ok(a && b);
    a.step(Buffer.from('\0u\0p'));
    assert.equal(b.step(Buffer.from('\0u\0p')).type, 'check-password');
  });

  test('a LOGIN exchange asked for SCRAM credentials fails as unsupported', () => {
    const s = createServerExchange('LOGIN');
    assert.ok(s);
    const step = s.provideScramCredentials(deriveScramCredentials('x', { iterations: 1 }));
    assert.equal(step.type === 'failure' && step.reason, 'unsupported');
  });
});

describe('deriveScramCredentials', () => {
  test('uses a random 16-byte salt and 4096 iterations by default', () => {
    const a = deriveScramCredentials('pw');
    const b = deriveScramCredentials('pw');
    assert.equal(a.salt.length, 16);
    assert.equal(a.iterations, 4096);
    assert.notDeepEqual(a.salt, b.salt);
    assert.equal(a.storedKey.length, 32);
    assert.equal(deriveScramCredentials('pw', { hash: 'sha512', iterations: 1 }).serverKey.length, 64);
  });

  test('refuses an empty salt or a non-positive iteration count', () => {
    assert.throws(() => deriveScramCredentials('pw', { salt: Buffer.alloc(0) }), RangeError);
    assert.throws(() => deriveScramCredentials('pw', { iterations: 0 }), RangeError);
  });
});

describe('the package entry point', () => {
  test('exports the server and client API', () => {
    for (const name of ['createServerExchange', 'deriveScramCredentials', 'SERVER_MECHANISMS', 'createClientExchange', 'pickMechanism', 'CLIENT_PREFERENCE', 'saslprep']) {
      assert.ok(name in sasl, name);
    }
  });
});
