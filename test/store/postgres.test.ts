// What only the PostgreSQL store promises: several nodes on one schema (UIDs, feed, locks,
// deadlock-free transfers, blob references), migrations under concurrency, schema isolation.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openPostgresStore, POSTGRES_SCHEMA_VERSION, type PostgresMailStore } from '../../src/store/postgres/index.js';
import { StoreError } from '../../src/store/types.js';
import { collect, dropSchema, message, newAccount, pgAdmin, postgresUrl, uniqueSchemaName } from './helpers.js';

const url = await postgresUrl();
const skip = url === null ? 'no PostgreSQL at 127.0.0.1:5432/test' : false;

interface Nodes {
  schema: string;
  /** Opens another store ("node") on the test schema; all are closed after the test. */
  node(): Promise<PostgresMailStore>;
}

async function withSchema(fn: (n: Nodes) => Promise<void>): Promise<void> {
  const schema = uniqueSchemaName();
  const opened: PostgresMailStore[] = [];
  try {
    await fn({
      schema,
      node: async () => {
        const s = await openPostgresStore(url!, { schema });
        opened.push(s);
        return s;
      },
    });
  } finally {
    for (const s of opened) await s.close();
    await dropSchema(url!, schema);
  }
}

/** Terminates the backends whose application_name is `name`; returns how many. */
async function cutConnections(name: string, onlyHoldingAdvisoryLocks = false): Promise<number> {
  return pgAdmin(url!, async (c) => {
    const { rows } = await c.query(
      `SELECT pg_terminate_backend(a.pid) FROM pg_stat_activity a WHERE a.application_name = $1
         AND (NOT $2 OR EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.granted))`,
      [name, onlyHoldingAdvisoryLocks]);
    return rows.length;
  });
}

/** Blobs whose refcount differs from the number of messages naming them. */
async function wrongRefcounts(schema: string): Promise<unknown[]> {
  return pgAdmin(url!, async (c) => (await c.query(
    `SELECT b.id, b.refcount, (SELECT count(*) FROM "${schema}".messages m WHERE m.blob_id = b.id) AS used
     FROM "${schema}".blobs b
     WHERE b.refcount <> (SELECT count(*) FROM "${schema}".messages m WHERE m.blob_id = b.id)`)).rows);
}

async function retryUntil<T>(fn: () => Promise<T | null>, what: string, tries = 100): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== null) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('PostgreSQL store', { skip }, () => {
  test('two nodes appending to one mailbox at once never get the same UID or modseq', () =>
    withSchema(async ({ node }) => {
      const a = await node();
      const b = await node();
      const acct = await a.createAccount(newAccount('nora'));
      const inbox = (await a.createMailbox(acct.id, 'INBOX')).id;
      const n = 40;
      const burst = (s: PostgresMailStore) => Array.from({ length: n }, () => s.append(inbox, { raw: message() }));
      const results = await Promise.all([...burst(a), ...burst(b)]);
      const uids = results.map((r) => r.uid).sort((x, y) => x - y);
      assert.deepEqual(uids, Array.from({ length: 2 * n }, (_, i) => i + 1));
      assert.equal(new Set(results.map((r) => r.modseq)).size, 2 * n);
      const mb = (await b.getMailboxById(inbox))!;
      assert.equal(mb.uidNext, 2 * n + 1);
      assert.equal(mb.messageCount, 2 * n);
      assert.equal(mb.highestModseq, Math.max(...results.map((r) => r.modseq)));
      const log = await a.changesSince(inbox, 0);
      assert.equal(log.length, 2 * n);
      assert.ok(log.every((c) => c.kind === 'append'));
    }));

  test('a change on one node reaches a subscriber on another through LISTEN/NOTIFY', () =>
    withSchema(async ({ node }) => {
      const a = await node();
      const b = await node();
      const acct = await a.createAccount(newAccount('owen'));
      const inbox = (await a.createMailbox(acct.id, 'INBOX')).id;
      const events = collect(b, inbox, (await b.getMailboxById(inbox))!.highestModseq);
      await b.listening();
      const first = await a.append(inbox, { raw: message() });
      assert.equal((await events.waitFor(1))[0]!.modseq, first.modseq);
      // B is idle now; only A's NOTIFY can wake it for the next change.
      const [flagged] = await a.storeFlags(inbox, [first.uid], 'add', ['\\Flagged']);
      const got = await events.waitFor(2);
      assert.deepEqual(got[1], { kind: 'flags', mailboxId: inbox, uid: first.uid, modseq: flagged!.modseq, flags: ['\\Flagged'] });
      events.stop();
    }));

  test('a subscriber keeps hearing other nodes after its LISTEN connection is cut', () =>
    withSchema(async ({ node, schema }) => {
      const a = await node();
      const b = await node();
      const acct = await a.createAccount(newAccount('pam'));
      const inbox = (await a.createMailbox(acct.id, 'INBOX')).id;
      const events = collect(b, inbox, (await b.getMailboxById(inbox))!.highestModseq);
      await b.listening();
      assert.equal(await cutConnections(`postern-listen:${schema}_changes`), 1);
      const r = await a.append(inbox, { raw: message() });
      assert.equal((await events.waitFor(1, 20_000))[0]!.modseq, r.modseq);
      events.stop();
    }));

  test('a POP3 lock held by one node is refused to another, and freed when the holder\'s connection dies', () =>
    withSchema(async ({ node, schema }) => {
      const a = await node();
      const b = await node();
      const held = await a.tryLock('pop3:42');
      assert.ok(held);
      assert.equal(await b.tryLock('pop3:42'), null);
      assert.equal(await cutConnections(`postern-locks:postern:${schema}`, true), 1, 'only node A holds it');
      const taken = await retryUntil(() => b.tryLock('pop3:42'), 'the lock to be freed');
      assert.equal(await a.tryLock('pop3:42'), null);
      await taken.release();
      const back = await retryUntil(() => a.tryLock('pop3:42'), 'node A to take the lock again');
      await back.release();
      await held.release(); // a release after the connection died is harmless
    }));

  test('several nodes opening a new schema at once migrate it exactly once', () =>
    withSchema(async ({ node, schema }) => {
      await Promise.all([node(), node(), node()]);
      const rows = await pgAdmin(url!, async (c) => (await c.query(`SELECT version FROM "${schema}".schema_version`)).rows);
      assert.deepEqual(rows, [{ version: POSTGRES_SCHEMA_VERSION }]);
    }));

  test('each schema is a separate store', () =>
    withSchema(async ({ node }) => {
      const a = await node();
      await withSchema(async ({ node: otherNode }) => {
        const other = await otherNode();
        await a.createAccount(newAccount('quentin'));
        assert.deepEqual(await other.listAccounts(), []);
        await other.createAccount(newAccount('quentin')); // no clash across schemas
      });
    }));

  test('a schema written by a newer postern is refused with a message saying to upgrade', () =>
    withSchema(async ({ node, schema }) => {
      await (await node()).close();
      await pgAdmin(url!, (c) => c.query(`UPDATE "${schema}".schema_version SET version = version + 1`));
      await assert.rejects(openPostgresStore(url!, { schema }), /newer postern.*upgrade postern/);
    }));

  test('schema names that are not plain identifiers are refused', async () => {
    for (const schema of ['Bad-Name', 'x"; DROP SCHEMA public; --', '', '1abc', 'a'.repeat(49)]) {
      await assert.rejects(openPostgresStore(url!, { schema }),
        (e: unknown) => e instanceof StoreError && e.code === 'INVALID', schema);
    }
  });

  test('opposite moves between two mailboxes from two nodes at once all complete', () =>
    withSchema(async ({ node, schema }) => {
      const a = await node();
      const b = await node();
      const acct = await a.createAccount(newAccount('rosa'));
      const x = (await a.createMailbox(acct.id, 'X')).id;
      const y = (await a.createMailbox(acct.id, 'Y')).id;
      const n = 15;
      for (let i = 0; i < n; i++) {
        await a.append(x, { raw: message() });
        await a.append(y, { raw: message() });
      }
      const xUids = (await a.listMessages(x)).map((m) => m.uid);
      const yUids = (await a.listMessages(y)).map((m) => m.uid);
      const moves = [
        ...xUids.map((uid) => a.move(x, [uid], y)),
        ...yUids.map((uid) => b.move(y, [uid], x)),
        // And copies crossing them (of whichever of Y's first UIDs are still there).
        ...xUids.map(() => b.copy(y, [1, 2, 3], x)),
      ];
      const settled = await Promise.allSettled(moves);
      assert.deepEqual(settled.filter((s) => s.status === 'rejected'), []);
      const copied = settled.slice(2 * n).reduce(
        (sum, s) => sum + (s.status === 'fulfilled' ? s.value.length : 0), 0);
      const inX = await a.listMessages(x);
      const inY = await a.listMessages(y);
      assert.equal(inX.length + inY.length, 2 * n + copied);
      assert.equal((await a.getMailboxById(x))!.messageCount, inX.length);
      assert.equal((await a.getMailboxById(y))!.messageCount, inY.length);
      assert.deepEqual(await wrongRefcounts(schema), []);
    }));

  test('blob references stay right when nodes append and expunge the same bytes at once', () =>
    withSchema(async ({ node, schema }) => {
      const a = await node();
      const b = await node();
      const acct = await a.createAccount(newAccount('saul'));
      const inbox = (await a.createMailbox(acct.id, 'INBOX')).id;
      const raw = message('the same bytes every time');
      let last = (await a.append(inbox, { raw })).uid;
      for (let round = 0; round < 25; round++) {
        // The expunge drops the last reference while the append adds one back.
        const [appended] = await Promise.all([a.append(inbox, { raw }), b.expunge(inbox, [last])]);
        last = appended.uid;
      }
      assert.deepEqual(await wrongRefcounts(schema), []);
      const [m] = await a.listMessages(inbox);
      assert.ok((await b.readBlob(m!.blobId)).equals(raw));
    }));
});
