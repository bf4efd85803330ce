import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, parseScryptHash, verifyPassword } from '../../src/auth/passwords.js';
import { configSchema } from '../../src/config/schema.js';

const SEED_PASSWORD = 'password1+/&%()=?[]\\'; // seed 003's tested password

test('an argon2id hash (PHC string) verifies its password and no other', async () => {
  const h = await hashPassword(SEED_PASSWORD, { scheme: 'argon2id', argon2: { memoryKiB: 1024, iterations: 1, parallelism: 1 } });
  assert.match(h, /^\$argon2id\$v=19\$m=1024,t=1,p=1\$/);
  assert.equal(await verifyPassword(SEED_PASSWORD, h), true);
  assert.equal(await verifyPassword('password1+/&%()=?[]', h), false);
});

test('a scrypt hash verifies its password and no other, and records its cost parameters', async () => {
  const h = await hashPassword(SEED_PASSWORD, { scheme: 'scrypt', scrypt: { logN: 12, r: 8, p: 1 } });
  assert.match(h, /^\$scrypt\$ln=12,r=8,p=1\$/);
  assert.equal(await verifyPassword(SEED_PASSWORD, h), true);
  assert.equal(await verifyPassword('x', h), false);
  assert.deepEqual(parseScryptHash(h)?.params, { logN: 12, r: 8, p: 1 });
});

test('two hashes of one password differ (random salt)', async () => {
  const p = { scheme: 'argon2id' as const, argon2: { memoryKiB: 1024, iterations: 1, parallelism: 1 } };
  assert.notEqual(await hashPassword('x', p), await hashPassword('x', p));
});

test('a malformed stored hash never verifies', async () => {
  assert.equal(await verifyPassword('x', '$scrypt$garbage'), false);
  assert.equal(await verifyPassword('x', '$argon2id$garbage'), false);
  assert.equal(await verifyPassword('x', 'plain-text'), false);
});

test('the defaults are at least OWASP\'s minimums: argon2id m=19 MiB t=2 p=1; scrypt N=2^17 r=8 p=1', () => {
  const c = configSchema.parse({});
  assert.equal(c.auth.passwordScheme, 'argon2id');
  assert.ok(c.auth.argon2.memoryKiB >= 19456 && c.auth.argon2.iterations >= 2 && c.auth.argon2.parallelism >= 1);
  assert.ok(c.auth.scrypt.logN >= 17 && c.auth.scrypt.r >= 8 && c.auth.scrypt.p >= 1);
});
