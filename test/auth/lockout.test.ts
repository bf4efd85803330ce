import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LockoutTracker } from '../../src/auth/lockout.js';

test('a user+IP is locked after the threshold of failures within the window, and unlocked after the duration', () => {
  let now = 1_000_000;
  const t = new LockoutTracker(() => ({ threshold: 3, windowMs: 60_000, durationMs: 300_000 }), () => now);
  t.recordFailure('alice|10.0.0.1');
  t.recordFailure('alice|10.0.0.1');
  assert.equal(t.isLocked('alice|10.0.0.1'), false);
  t.recordFailure('alice|10.0.0.1');
  assert.equal(t.isLocked('alice|10.0.0.1'), true);
  assert.equal(t.isLocked('alice|10.0.0.2'), false, 'another address is not locked');
  now += 299_000;
  assert.equal(t.isLocked('alice|10.0.0.1'), true);
  now += 2_000;
  assert.equal(t.isLocked('alice|10.0.0.1'), false);
});

test('failures outside the window do not add up', () => {
  let now = 0;
  const t = new LockoutTracker(() => ({ threshold: 3, windowMs: 60_000, durationMs: 300_000 }), () => now);
  t.recordFailure('k'); now += 61_000;
  t.recordFailure('k'); now += 61_000;
  t.recordFailure('k');
  assert.equal(t.isLocked('k'), false);
});

test('a success clears the failure count', () => {
  const t = new LockoutTracker(() => ({ threshold: 2, windowMs: 60_000, durationMs: 300_000 }));
  t.recordFailure('k');
  t.recordSuccess('k');
  t.recordFailure('k');
  assert.equal(t.isLocked('k'), false);
});
