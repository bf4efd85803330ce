import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandLoginAllowed, saslMechanismAllowed } from '../../src/auth/policy.js';

const plain = { tls: false, trusted: false };
const tls = { tls: true, trusted: false };
const trusted = { tls: false, trusted: true };

test('SecureLogin refuses USER/PASS and cleartext SASL before TLS, allows them after', () => {
  assert.equal(commandLoginAllowed('SecureLogin', plain), false);
  assert.equal(saslMechanismAllowed('SecureLogin', plain, true), false);
  assert.equal(commandLoginAllowed('SecureLogin', tls), true);
  assert.equal(saslMechanismAllowed('SecureLogin', tls, true), true);
});

test('SecureLogin allows challenge-response SASL anywhere', () => {
  assert.equal(saslMechanismAllowed('SecureLogin', plain, false), true);
});

test('SecureLogin treats an explicitly trusted network as secure', () => {
  assert.equal(commandLoginAllowed('SecureLogin', trusted), true);
});

test('PlainTextAuthentication refuses USER/PASS even over TLS but allows every SASL mechanism', () => {
  assert.equal(commandLoginAllowed('PlainTextAuthentication', tls), false);
  assert.equal(commandLoginAllowed('PlainTextAuthentication', plain), false);
  assert.equal(saslMechanismAllowed('PlainTextAuthentication', plain, true), true);
});

test('PlainTextLogin allows everything', () => {
  assert.equal(commandLoginAllowed('PlainTextLogin', plain), true);
  assert.equal(saslMechanismAllowed('PlainTextLogin', plain, true), true);
});
