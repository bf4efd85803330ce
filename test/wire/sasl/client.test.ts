/**
 * Client mechanisms: choice (pickMechanism), creation, and the mechanisms our server does not
 * speak, checked against published vectors: CRAM-MD5 (RFC 2195), XOAUTH2 (Google), OAUTHBEARER
 * (RFC 7628), EXTERNAL (RFC 4422 Appendix A); plus SCRAM-SHA-1/-512 against our SCRAM engine.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CLIENT_PREFERENCE, OAUTH_PREFERENCE, createClientExchange, pickMechanism, type SaslClientExchange } from '../../../src/wire/sasl/client.js';
import { deriveScramCredentials, type ChannelBinding } from '../../../src/wire/sasl/server.js';
import { ScramServerExchange } from '../../../src/wire/sasl/server-scram.js';
import { run } from './harness.js';

function make(mechanism: string, creds: Parameters<typeof createClientExchange>[1]): SaslClientExchange {
  const c = createClientExchange(mechanism, creds);
  assert.ok(c, mechanism);
  return c;
}

describe('pickMechanism', () => {
  const all = ['PLAIN', 'LOGIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'XOAUTH2', 'OAUTHBEARER', 'CRAM-MD5'];

  test('prefers channel-bound SCRAM when the connection has channel binding', () => {
    assert.equal(pickMechanism(all, { hasChannelBinding: true, allowCleartext: true }), 'SCRAM-SHA-256-PLUS');
  });

  test('falls back to SCRAM-SHA-256 without channel binding', () => {
    assert.equal(pickMechanism(all, { hasChannelBinding: false, allowCleartext: true }), 'SCRAM-SHA-256');
  });

  test('prefers SCRAM-SHA-512 over SCRAM-SHA-256 and -PLUS over both', () => {
    const offered = ['SCRAM-SHA-256', 'SCRAM-SHA-512', 'SCRAM-SHA-1-PLUS'];
    assert.equal(pickMechanism(offered, { hasChannelBinding: false, allowCleartext: false }), 'SCRAM-SHA-512');
    assert.equal(pickMechanism(offered, { hasChannelBinding: true, allowCleartext: false }), 'SCRAM-SHA-1-PLUS');
  });

  test('uses PLAIN, then LOGIN, only when cleartext is allowed', () => {
    assert.equal(pickMechanism(['LOGIN', 'PLAIN'], { hasChannelBinding: false, allowCleartext: true }), 'PLAIN');
    assert.equal(pickMechanism(['LOGIN'], { hasChannelBinding: false, allowCleartext: true }), 'LOGIN');
    assert.equal(pickMechanism(['LOGIN', 'PLAIN'], { hasChannelBinding: false, allowCleartext: false }), null);
  });

  test('never picks CRAM-MD5 on its own', () => {
    assert.equal(pickMechanism(['CRAM-MD5'], { hasChannelBinding: false, allowCleartext: true }), null);
  });

  test('with a token, picks OAUTHBEARER over XOAUTH2 and nothing else', () => {
    assert.equal(pickMechanism(all, { hasChannelBinding: true, allowCleartext: true, oauth: true }), 'OAUTHBEARER');
    assert.equal(pickMechanism(['PLAIN', 'XOAUTH2'], { hasChannelBinding: false, allowCleartext: true, oauth: true }), 'XOAUTH2');
    assert.equal(pickMechanism(['PLAIN', 'SCRAM-SHA-256'], { hasChannelBinding: false, allowCleartext: true, oauth: true }), null);
  });

  test('refuses to send a bearer token where cleartext is not allowed', () => {
    assert.equal(pickMechanism(['XOAUTH2', 'OAUTHBEARER'], { hasChannelBinding: false, allowCleartext: false, oauth: true }), null);
  });

  test('matches server names case-insensitively and answers in upper case', () => {
    assert.equal(pickMechanism(['scram-sha-256', 'plain'], { hasChannelBinding: false, allowCleartext: true }), 'SCRAM-SHA-256');
  });

  test('returns null when nothing usable is offered', () => {
    assert.equal(pickMechanism([], { hasChannelBinding: true, allowCleartext: true }), null);
    assert.equal(pickMechanism(['GSSAPI', 'NTLM'], { hasChannelBinding: true, allowCleartext: true }), null);
  });

  test('the preference lists start with the strongest mechanisms', () => {
    assert.deepEqual(CLIENT_PREFERENCE.slice(0, 2), ['SCRAM-SHA-512-PLUS', 'SCRAM-SHA-256-PLUS']);
    assert.deepEqual(CLIENT_PREFERENCE.slice(-2), ['PLAIN', 'LOGIN']);
    assert.deepEqual([...OAUTH_PREFERENCE], ['OAUTHBEARER', 'XOAUTH2']);
  });
});

describe('createClientExchange', () => {
  test('returns null for unknown mechanisms and for missing credentials', () => {
    assert.equal(createClientExchange('GSSAPI', { username: 'u', password: 'p' }), null);
    for (const m of ['PLAIN', 'LOGIN', 'CRAM-MD5', 'SCRAM-SHA-256']) assert.equal(createClientExchange(m, { username: 'u' }), null, m);
    for (const m of ['XOAUTH2', 'OAUTHBEARER']) assert.equal(createClientExchange(m, { username: 'u', password: 'p' }), null, m);
    assert.equal(createClientExchange('SCRAM-SHA-512-PLUS', { username: 'u', password: 'p' }), null);
  });

  test('accepts mechanism names in any case and reports them in upper case', () => {
    assert.equal(createClientExchange('scram-sha-1', { username: 'u', password: 'p' })?.mechanism, 'SCRAM-SHA-1');
    assert.equal(createClientExchange('plain', { username: 'u', password: 'p' })?.mechanism, 'PLAIN');
  });
});

describe('SCRAM-SHA-1 and SCRAM-SHA-512 (client) against our SCRAM engine', () => {
  const cb: ChannelBinding = { type: 'tls-exporter', data: randomBytes(32) };
  for (const hash of ['sha1', 'sha512'] as const) {
    const name = hash === 'sha1' ? 'SCRAM-SHA-1' : 'SCRAM-SHA-512';
    test(`${name} logs in with the right password and not with a wrong one`, () => {
      const users = { bob: deriveScramCredentials('pw', { hash, iterations: 32 }) };
      const ok = run(make(name, { username: 'bob', password: 'pw' }), new ScramServerExchange({ hash, plus: false }), { scramUsers: users });
      assert.equal(ok.result, 'success');
      const bad = run(make(name, { username: 'bob', password: 'px' }), new ScramServerExchange({ hash, plus: false }), { scramUsers: users });
      assert.equal(bad.result === 'server-failure' && bad.reason, 'bad-proof');
    });

    test(`${name}-PLUS logs in with matching channel binding`, () => {
      const users = { bob: deriveScramCredentials('pw', { hash, iterations: 32 }) };
      const outcome = run(
        make(`${name}-PLUS`, { username: 'bob', password: 'pw', channelBinding: cb }),
        new ScramServerExchange({ hash, plus: true, channelBinding: cb }),
        { scramUsers: users },
      );
      assert.equal(outcome.result, 'success');
    });
  }
});

describe('CRAM-MD5 (RFC 2195)', () => {
  test('answers the RFC 2195 §2 example challenge with the RFC response', () => {
    const c = make('CRAM-MD5', { username: 'tim', password: 'tanstaaftanstaaf' });
    assert.equal(c.initialResponse(), null);
    const step = c.step(Buffer.from('<1896.697170952@postoffice.reston.mci.net>'));
    assert.deepEqual(step, { type: 'respond', data: Buffer.from('tim b913a602c7eda7a495b4e6e7334d3890') });
    assert.deepEqual(c.finish(), { type: 'done' });
  });

  test('refuses an empty challenge and a second challenge', () => {
    assert.equal(make('CRAM-MD5', { username: 't', password: 'p' }).step(Buffer.alloc(0)).type, 'error');
    const c = make('CRAM-MD5', { username: 't', password: 'p' });
    c.step(Buffer.from('<1@x>'));
    assert.equal(c.step(Buffer.from('<2@x>')).type, 'error');
  });
});

describe('XOAUTH2 (Google)', () => {
  const token = 'ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg';

  test("sends Google's documented example as the initial response", () => {
    const c = make('XOAUTH2', { username: 'someuser@example.com', token });
    assert.equal(
      c.initialResponse()?.toString('base64'),
      'dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ==',
    );
  });

  test('without SASL-IR, answers the first empty challenge with the same message', () => {
    const c = make('XOAUTH2', { username: 'someuser@example.com', token });
    const step = c.step(Buffer.alloc(0));
    assert.equal(step.type === 'respond' && step.data.toString('base64').slice(0, 12), 'dXNlcj1zb21l');
  });

  test("an expired token: Google's 401 error challenge is answered with an empty response and reported", () => {
    const c = make('XOAUTH2', { username: 'someuser@example.com', token });
    c.initialResponse();
    const challenge = Buffer.from(
      'eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K',
      'base64',
    );
    const step = c.step(challenge);
    assert.equal(step.type, 'respond');
    assert.ok(step.type === 'respond');
    assert.equal(step.data.length, 0);
    assert.equal(step.serverError?.status, '401');
    assert.equal(step.serverError?.tokenRejected, true);
    assert.equal(step.serverError?.scope, 'https://mail.google.com/');
    assert.equal(step.serverError?.schemes, 'bearer mac');
    assert.match(step.serverError?.message ?? '', /expired/);
    assert.deepEqual(c.serverError, step.serverError);
  });

  test('a missing-scope error says so, and does not claim the token expired', () => {
    const c = make('XOAUTH2', { username: 'u', token: 't' });
    c.initialResponse();
    const step = c.step(Buffer.from('{"status":"403","scope":"https://mail.google.com/"}'));
    assert.equal(step.type === 'respond' && step.serverError?.tokenRejected, false);
    assert.match(c.serverError?.message ?? '', /permission.*https:\/\/mail\.google\.com\//);
  });

  test('a non-JSON error challenge is still answered and reported in words', () => {
    const c = make('XOAUTH2', { username: 'u', token: 't' });
    c.initialResponse();
    const step = c.step(Buffer.from('token\u0000 revoked'));
    assert.equal(step.type === 'respond' && step.data.length, 0);
    assert.equal(c.serverError?.message, 'the server refused the OAuth token: token  revoked');
  });
});

describe('OAUTHBEARER (RFC 7628)', () => {
  const token = 'vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==';

  test('sends the RFC 7628 §4.1 example initial response', () => {
    const c = make('OAUTHBEARER', { username: 'user@example.com', token, host: 'server.example.com', port: 143 });
    assert.equal(
      c.initialResponse()?.toString('base64'),
      'bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB',
    );
  });

  test('omits host and port when not given, and escapes "," and "=" in the user name', () => {
    const c = make('OAUTHBEARER', { username: 'a,b=c@example.com', token: 'T' });
    assert.equal(c.initialResponse()?.toString(), 'n,a=a=2Cb=3Dc@example.com,\x01auth=Bearer T\x01\x01');
  });

  test('an invalid_token error challenge (RFC 7628 §4.3) is answered with a single ^A and reported', () => {
    const c = make('OAUTHBEARER', { username: 'user@example.com', token });
    c.initialResponse();
    const json = '{"status":"invalid_token","scope":"example_scope","openid-configuration":"https://example.com/.well-known/openid-configuration"}';
    const step = c.step(Buffer.from(json));
    assert.equal(step.type, 'respond');
    assert.ok(step.type === 'respond');
    assert.deepEqual(step.data, Buffer.from([0x01]));
    assert.deepEqual(step.serverError, {
      message: 'the server refused the OAuth token as invalid or expired: refresh the token and try again',
      status: 'invalid_token',
      scope: 'example_scope',
      openidConfiguration: 'https://example.com/.well-known/openid-configuration',
      tokenRejected: true,
    });
  });

  test('a second error challenge ends the exchange with the error', () => {
    const c = make('OAUTHBEARER', { username: 'u', token: 't' });
    c.initialResponse();
    c.step(Buffer.from('{"status":"invalid_token"}'));
    const again = c.step(Buffer.from('{"status":"invalid_token"}'));
    assert.equal(again.type, 'error');
  });
});

describe('EXTERNAL (RFC 4422 Appendix A)', () => {
  test('sends an empty initial response to take the identity from the TLS certificate', () => {
    const c = make('EXTERNAL', { username: '' });
    assert.deepEqual(c.initialResponse(), Buffer.alloc(0));
    assert.deepEqual(c.finish(), { type: 'done' });
  });

  test('sends the authorization identity when one is asked for, also after an empty challenge', () => {
    assert.deepEqual(make('EXTERNAL', { username: '', authzid: 'shared@example.org' }).initialResponse(), Buffer.from('shared@example.org'));
    const c = make('EXTERNAL', { username: '', authzid: 'x' });
    assert.deepEqual(c.step(Buffer.alloc(0)), { type: 'respond', data: Buffer.from('x') });
  });
});
