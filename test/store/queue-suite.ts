// The QueueStore contract as tests, run against SQLite and PostgreSQL by queue.test.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewQueuedMessage, QueueStore } from '../../src/store/queue-types.js';
import { QueueError } from '../../src/store/queue-types.js';
import { awkwardBytes } from './helpers.js';

export interface QueueBacking {
  open(): Promise<QueueStore>;
  destroy(): Promise<void>;
}

export interface QueueBackend {
  name: string;
  unavailable(): Promise<string | null>;
  create(): Promise<QueueBacking>;
}

export function newMessage(overrides: Partial<NewQueuedMessage> = {}): NewQueuedMessage {
  return {
    sender: 'alice@example.test',
    recipients: [
      { address: 'a@remote.test', notify: null, orcpt: null },
      { address: 'b@remote.test', notify: ['SUCCESS', 'FAILURE'], orcpt: { type: 'rfc822', address: 'B@Remote.test' } },
    ],
    message: Buffer.from('Subject: q\r\n\r\nhello\r\n'),
    body: '8BITMIME',
    smtputf8: false,
    ret: 'HDRS',
    envid: 'env-1',
    submittedBy: 'alice@example.test',
    ...overrides,
  };
}

const isQueueError = (code: QueueError['code']) => (e: unknown) => e instanceof QueueError && e.code === code;

export function queueContract(backend: QueueBackend): void {
  describe(`QueueStore contract: ${backend.name}`, async () => {
    const reason = await backend.unavailable();
    const it = (name: string, fn: (q: QueueStore, backing: QueueBacking) => Promise<void>) =>
      test(name, { skip: reason ?? false }, async () => {
        const backing = await backend.create();
        const q = await backing.open();
        try {
          await fn(q, backing);
        } finally {
          await q.close();
          await backing.destroy();
        }
      });

    it('a queued message comes back whole: envelope, DSN parameters, per-recipient state and exact bytes', async (q) => {
      const raw = awkwardBytes();
      const id = await q.enqueue(newMessage({ message: raw }));
      assert.match(id, /^[0-9A-F]{16}$/);
      const e = await q.get(id);
      assert.ok(e);
      assert.equal(e.sender, 'alice@example.test');
      assert.equal(e.size, raw.length);
      assert.equal(e.body, '8BITMIME');
      assert.equal(e.ret, 'HDRS');
      assert.equal(e.envid, 'env-1');
      assert.equal(e.attempts, 0);
      assert.equal(e.leaseUntil, null);
      assert.deepEqual(e.recipients.map((r) => [r.index, r.address, r.state, r.notify, r.orcpt]), [
        [0, 'a@remote.test', 'pending', null, null],
        [1, 'b@remote.test', 'pending', ['SUCCESS', 'FAILURE'], { type: 'rfc822', address: 'B@Remote.test' }],
      ]);
      assert.ok((await q.readMessage(id))!.equals(raw));
    });

    it('the null sender and NOTIFY=NEVER are kept', async (q) => {
      const id = await q.enqueue(newMessage({ sender: null, recipients: [{ address: 'x@remote.test', notify: 'NEVER', orcpt: null }] }));
      const e = (await q.get(id))!;
      assert.equal(e.sender, null);
      assert.equal(e.recipients[0]!.notify, 'NEVER');
    });

    it('a message without recipients, or with a malformed address, is refused', async (q) => {
      await assert.rejects(q.enqueue(newMessage({ recipients: [] })), isQueueError('INVALID'));
      await assert.rejects(q.enqueue(newMessage({ recipients: [{ address: 'a@b\r\nRCPT TO:<c@d>', notify: null, orcpt: null }] })), isQueueError('INVALID'));
      await assert.rejects(q.enqueue(newMessage({ id: 'not-an-id' })), isQueueError('INVALID'));
      assert.deepEqual(await q.list(), []);
    });

    it('a caller-chosen id is used (the SMTP session id, so logs agree)', async (q) => {
      const id = await q.enqueue(newMessage({ id: '00112233AABBCCDD' }));
      assert.equal(id, '00112233AABBCCDD');
      assert.ok(await q.get('00112233aabbccdd'), 'ids compare case-insensitively');
    });

    it('many enqueues at once all land, each with its own id', async (q) => {
      const ids = await Promise.all(Array.from({ length: 40 }, (_, i) => q.enqueue(newMessage({ message: Buffer.from(`Subject: ${i}\r\n\r\n`) }))));
      assert.equal(new Set(ids).size, 40);
      assert.equal((await q.list()).length, 40);
    });

    it('claimDue takes due entries only, leases them, and does not hand them out twice', async (q) => {
      const now = new Date();
      const due = await q.enqueue(newMessage());
      await q.enqueue(newMessage({ notBefore: new Date(now.getTime() + 60_000) }));
      const first = await q.claimDue(new Date(now.getTime() + 1000), 10, 30_000);
      assert.deepEqual(first.map((e) => e.id), [due]);
      assert.ok(first[0]!.leaseUntil);
      assert.deepEqual(await q.claimDue(new Date(now.getTime() + 2000), 10, 30_000), [], 'leased');
      const later = await q.claimDue(new Date(now.getTime() + 40_000), 10, 30_000);
      assert.deepEqual(later.map((e) => e.id), [due], 'an expired lease makes it due again');
    });

    it('claimDue honours the limit, oldest due first', async (q) => {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await q.enqueue(newMessage({ notBefore: new Date(Date.now() - 10_000 + i * 1000) })));
      const got = await q.claimDue(new Date(), 3, 30_000);
      assert.deepEqual(got.map((e) => e.id), ids.slice(0, 3));
    });

    it('two stores on one database (two nodes) never claim the same entry', async (q, backing) => {
      const other = await backing.open();
      try {
        for (let i = 0; i < 20; i++) await q.enqueue(newMessage());
        const [a, b] = await Promise.all([q.claimDue(new Date(), 20, 30_000), other.claimDue(new Date(), 20, 30_000)]);
        const ids = [...a, ...b].map((e) => e.id);
        assert.equal(ids.length, 20);
        assert.equal(new Set(ids).size, 20);
      } finally {
        await other.close();
      }
    });

    it('recordAttempt stores per-recipient outcomes, counts the attempt, reschedules and releases the lease', async (q) => {
      const id = await q.enqueue(newMessage());
      await q.claimDue(new Date(), 1, 30_000);
      const next = new Date(Date.now() + 120_000);
      await q.recordAttempt(id, [
        { index: 0, state: 'failed', lastResult: '550 5.1.1 no such user', status: '5.1.1', remoteMta: 'smarthost.example' },
        { index: 1, state: 'pending', lastResult: '451 4.3.0 later', status: '4.3.0', remoteMta: 'smarthost.example' },
      ], next, 'last error');
      const e = (await q.get(id))!;
      assert.equal(e.attempts, 1);
      assert.equal(e.leaseUntil, null);
      assert.equal(e.lastError, 'last error');
      assert.equal(e.nextAttemptAt.getTime(), next.getTime());
      assert.deepEqual(e.recipients.map((r) => [r.state, r.status, r.lastResult, r.remoteMta]), [
        ['failed', '5.1.1', '550 5.1.1 no such user', 'smarthost.example'],
        ['pending', '4.3.0', '451 4.3.0 later', 'smarthost.example'],
      ]);
      assert.deepEqual(await q.claimDue(new Date(), 5, 1000), [], 'not due before the next attempt');
      await assert.rejects(q.recordAttempt('0000000000000000', [], next, null), isQueueError('NOT_FOUND'));
    });

    it('markDelayNotified marks the named recipients only; recordAttempt leaves the mark alone', async (q) => {
      const id = await q.enqueue(newMessage());
      const before = (await q.get(id))!;
      assert.ok(before.recipients.length >= 2);
      assert.deepEqual(before.recipients.map((r) => r.delayNotified), before.recipients.map(() => false));
      await q.markDelayNotified(id, [1]);
      await q.recordAttempt(id, [{ index: 1, state: 'pending', lastResult: '451 later', status: '4.3.0', remoteMta: null }], new Date(), null);
      assert.deepEqual((await q.get(id))!.recipients.map((r) => r.delayNotified), before.recipients.map((_, i) => i === 1));
    });

    it('flush makes everything (or one entry) due now; nextDue reports the earliest attempt', async (q) => {
      assert.equal(await q.nextDue(), null);
      const a = await q.enqueue(newMessage({ notBefore: new Date(Date.now() + 3_600_000) }));
      const b = await q.enqueue(newMessage({ notBefore: new Date(Date.now() + 7_200_000) }));
      const due = (await q.nextDue())!;
      assert.ok(due.getTime() > Date.now() + 3_000_000 && due.getTime() < Date.now() + 3_700_000);
      assert.equal(await q.flush(a), 1);
      assert.deepEqual((await q.claimDue(new Date(), 5, 1000)).map((e) => e.id), [a]);
      assert.equal(await q.flush(), 2);
      assert.deepEqual((await q.claimDue(new Date(), 5, 1000)).map((e) => e.id), [b]);
      assert.equal(await q.flush('FFFFFFFFFFFFFFFF'), 0);
    });

    it('release gives a claimed entry back without counting an attempt; remove deletes it', async (q) => {
      const id = await q.enqueue(newMessage());
      await q.claimDue(new Date(), 1, 60_000);
      await q.release(id);
      const again = await q.claimDue(new Date(), 1, 60_000);
      assert.equal(again[0]?.id, id);
      assert.equal(again[0]?.attempts, 0);
      assert.equal(await q.remove(id), true);
      assert.equal(await q.remove(id), false);
      assert.equal(await q.get(id), null);
      assert.equal(await q.readMessage(id), null);
    });

    it('a queued message is still there after the store is closed and reopened', async (q, backing) => {
      const id = await q.enqueue(newMessage());
      await q.close();
      const reopened = await backing.open();
      try {
        assert.equal((await reopened.get(id))?.id, id);
      } finally {
        await reopened.close();
      }
    });
  });
}
