// One QueueStore contract, run against both implementations, plus what is specific to each:
// the queue's own schema version beside (never inside) the mail store's migrations.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteQueue, QUEUE_SCHEMA_VERSION } from '../../src/store/sqlite/queue.js';
import { openPostgresQueue, QUEUE_SCHEMA_VERSION as QUEUE_SCHEMA_VERSION_PG } from '../../src/store/postgres/queue.js';
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite/index.js';
import { openPostgresStore, POSTGRES_SCHEMA_VERSION } from '../../src/store/postgres/index.js';
import { queueContract, newMessage, type QueueBackend } from './queue-suite.js';
import { dropSchema, pgAdmin, postgresUrl, tempDir, uniqueSchemaName, newAccount } from './helpers.js';

const sqlite: QueueBackend = {
  name: 'SQLite',
  unavailable: async () => null,
  async create() {
    const dir = tempDir('postern-queue-');
    return { open: () => openSqliteQueue(dir.path), destroy: async () => dir.remove() };
  },
};

const postgres: QueueBackend = {
  name: 'PostgreSQL',
  unavailable: async () => ((await postgresUrl()) === null ? 'no PostgreSQL at 127.0.0.1:5432/test' : null),
  async create() {
    const url = (await postgresUrl())!;
    const schema = uniqueSchemaName();
    return { open: () => openPostgresQueue(url, { schema }), destroy: () => dropSchema(url, schema) };
  },
};

queueContract(sqlite);
queueContract(postgres);

test('SQLite: the queue shares the mail store\'s file, versioned by its own meta row', async () => {
  const dir = tempDir('postern-queue-');
  try {
    const store = await openSqliteStore(dir.path);
    const queue = await openSqliteQueue(dir.path);
    const account = await store.createAccount(newAccount('alice'));
    await queue.enqueue(newMessage());
    assert.equal(account.address, 'alice@example.test');
    await queue.close();
    await store.close();
    const db = new Database(join(dir.path, 'postern.sqlite'), { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SQLITE_SCHEMA_VERSION, 'the main schema version is untouched');
      assert.equal((db.prepare(`SELECT value FROM meta WHERE key = 'queue_version'`).get() as { value: number }).value, QUEUE_SCHEMA_VERSION);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM queue_messages').get() as { n: number }).n, 1);
    } finally {
      db.close();
    }
  } finally {
    dir.remove();
  }
});

test('SQLite: a queue write while the mail store\'s group commit holds the lock waits for it, in the same process', async () => {
  // The mail store keeps its write transaction open until the next turn of the event loop; a
  // queue write that waited for the lock synchronously would keep that turn from coming.
  const dir = tempDir('postern-queue-');
  try {
    const store = await openSqliteStore(dir.path);
    const queue = await openSqliteQueue(dir.path);
    const account = await store.createAccount(newAccount('lock'));
    const inbox = await store.createMailbox(account.id, 'INBOX');
    const id = await queue.enqueue(newMessage());
    const started = Date.now();
    const appended = store.append(inbox.id, { raw: Buffer.from('Subject: held\r\n\r\nx\r\n') });
    const [claimed] = await Promise.all([queue.claimDue(new Date(), 5, 60_000), appended]);
    assert.deepEqual(claimed.map((e) => e.id), [id]);
    await queue.recordAttempt(id, [], new Date(), null);
    assert.ok(Date.now() - started < 3000, 'no busy timeout was waited out');
    await queue.close();
    await store.close();
  } finally {
    dir.remove();
  }
});

test('SQLite: opening the queue first on an empty directory makes the mail schema too', async () => {
  const dir = tempDir('postern-queue-');
  try {
    const queue = await openSqliteQueue(dir.path);
    await queue.close();
    const store = await openSqliteStore(dir.path);
    await store.createAccount(newAccount('bob'));
    await store.close();
  } finally {
    dir.remove();
  }
});

test('SQLite: leases left by a process that died are cleared at start', async () => {
  const dir = tempDir('postern-queue-');
  try {
    const q = await openSqliteQueue(dir.path);
    await q.enqueue(newMessage());
    assert.equal((await q.claimDue(new Date(), 1, 3_600_000)).length, 1);
    assert.equal(await q.recoverLeases(), 1);
    assert.equal((await q.claimDue(new Date(), 1, 3_600_000)).length, 1);
    await q.close();
  } finally {
    dir.remove();
  }
});

test('PostgreSQL: the queue has its own version table beside the mail store\'s', { skip: (await postgresUrl()) === null ? 'no PostgreSQL' : false }, async () => {
  const url = (await postgresUrl())!;
  const schema = uniqueSchemaName();
  try {
    const store = await openPostgresStore(url, { schema });
    const queue = await openPostgresQueue(url, { schema });
    await queue.enqueue(newMessage());
    assert.equal(await queue.recoverLeases(), 0, 'other nodes may hold live leases');
    await queue.close();
    await store.close();
    await pgAdmin(url, async (c) => {
      assert.equal((await c.query(`SELECT version FROM "${schema}".schema_version`)).rows[0].version, POSTGRES_SCHEMA_VERSION);
      assert.equal((await c.query(`SELECT version FROM "${schema}".queue_schema_version`)).rows[0].version, QUEUE_SCHEMA_VERSION_PG);
    });
  } finally {
    await dropSchema(url, schema);
  }
});
