import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, parseHash, verifyPassword } from '../../src/auth/passwords.js';

test('a scrypt hash verifies its password and no other, and records its cost parameters', async () => {
  const h = await hashPassword('password1+/&%()=?[]\\', { logN: 12, r: 8, p: 1 });
  assert.match(h, /^\$scrypt\$ln=12,r=8,p=1\$/);
  assert.equal(await verifyPassword('password1+/&%()=?[]\\', h), true);
  assert.equal(await verifyPassword('password1+/&%()=?[]', h), false);
  assert.deepEqual(parseHash(h)?.params, { logN: 12, r: 8, p: 1 });
});

test('two hashes of one password differ (random salt)', async () => {
  const p = { logN: 10, r: 8, p: 1 };
  assert.notEqual(await hashPassword('x', p), await hashPassword('x', p));
});

test('a malformed stored hash never verifies', async () => {
  assert.equal(await verifyPassword('x', '$scrypt$garbage'), false);
  assert.equal(await verifyPassword('x', 'plain-text'), false);
});

test('the default cost is at least OWASP\'s scrypt minimum (N=2^17, r=8, p=1)', async () => {
  const { configSchema } = await import('../../src/config/schema.js');
  const c = configSchema.parse({});
  assert.ok(c.auth.scrypt.logN >= 17 && c.auth.scrypt.r >= 8 && c.auth.scrypt.p >= 1);
});
