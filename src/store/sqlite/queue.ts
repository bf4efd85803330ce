// QueueStore over the same SQLite file as the MailStore, through its own connection (WAL lets
// both work on one file). Its tables are versioned by the meta row 'queue_version', apart from
// the main schema's user_version, so the two migration lists never collide.
//
// Group commit: enqueue() calls made in the same turn of the event loop (many SMTP sessions
// finishing DATA at once) are written in one IMMEDIATE transaction, so they share one WAL sync;
// each promise still resolves only after that commit (synchronous=FULL), never before.
//
// Waiting for the write lock is asynchronous. The MailStore's group commit holds the file's
// write lock until the next turn of the event loop; a synchronous busy wait here would stop that
// turn from coming — a deadlock that ends in SQLITE_BUSY after the whole busy timeout. So this
// connection waits at most LOCK_POLL_MS inside SQLite, then yields and tries again.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrate as migrateMailSchema } from './schema.js';
import { BUSY_TIMEOUT_MS, DEFAULT_SQLITE_FILE } from './index.js';

const LOCK_POLL_MS = 10;
import {
  checkNewQueuedMessage, checkQueueId, decodeNotify, encodeNotify, newQueueId, QueueError,
  type NewQueuedMessage, type QueueEntry, type QueueId, type QueueRecipient, type QueueStore, type RecipientOutcome,
} from '../queue-types.js';

const QUEUE_MIGRATIONS: ReadonlyArray<string> = [
  // 0 → 1
  `
  CREATE TABLE queue_messages (
    id              TEXT PRIMARY KEY,
    sender          TEXT,
    body            TEXT,
    smtputf8        INTEGER NOT NULL,
    ret             TEXT,
    envid           TEXT,
    submitted_by    TEXT,
    size            INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until     INTEGER,
    last_error      TEXT,
    -- Last, so listing the queue never reads the message's overflow pages.
    data            BLOB NOT NULL
  );
  CREATE INDEX queue_messages_due ON queue_messages (next_attempt_at);

  CREATE TABLE queue_recipients (
    message_id    TEXT NOT NULL REFERENCES queue_messages(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    address       TEXT NOT NULL,
    notify        TEXT,
    orcpt_type    TEXT,
    orcpt_address TEXT,
    state         TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    last_result   TEXT,
    status        TEXT,
    remote_mta    TEXT,
    relayed       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, idx)
  ) WITHOUT ROWID;
  `,
  // 1 → 2: delay notices (RFC 3464 "delayed") are sent once per recipient.
  `
  ALTER TABLE queue_recipients ADD COLUMN delay_notified INTEGER NOT NULL DEFAULT 0;
  `,
];

export const QUEUE_SCHEMA_VERSION = QUEUE_MIGRATIONS.length;

interface MessageRow {
  id: string;
  sender: string | null;
  body: string | null;
  smtputf8: number;
  ret: string | null;
  envid: string | null;
  submitted_by: string | null;
  size: number;
  created_at: number;
  attempts: number;
  next_attempt_at: number;
  lease_until: number | null;
  last_error: string | null;
}

interface RecipientRow {
  message_id: string;
  idx: number;
  address: string;
  notify: string | null;
  orcpt_type: string | null;
  orcpt_address: string | null;
  state: 'pending' | 'delivered' | 'failed';
  last_result: string | null;
  status: string | null;
  remote_mta: string | null;
  relayed: number;
  delay_notified: number;
}

const MESSAGE_COLUMNS = 'id, sender, body, smtputf8, ret, envid, submitted_by, size, created_at, attempts, next_attempt_at, lease_until, last_error';

function migrateQueue(db: Database.Database): void {
  const read = () => (db.prepare(`SELECT value FROM meta WHERE key = 'queue_version'`).get() as { value: number } | undefined)?.value ?? 0;
  if (read() === QUEUE_SCHEMA_VERSION) return;
  db.transaction(() => {
    const current = read();
    if (current > QUEUE_SCHEMA_VERSION) {
      throw new Error(`The queue tables were written by a newer postern (queue schema ${current}, this one knows ${QUEUE_SCHEMA_VERSION}); upgrade postern.`);
    }
    for (let v = current; v < QUEUE_SCHEMA_VERSION; v++) db.exec(QUEUE_MIGRATIONS[v]!);
    db.prepare(`INSERT INTO meta (key, value) VALUES ('queue_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(QUEUE_SCHEMA_VERSION);
  }).immediate();
}

interface PendingEnqueue {
  id: QueueId;
  input: NewQueuedMessage;
  resolve: (id: QueueId) => void;
  reject: (err: unknown) => void;
}

export class SqliteQueueStore implements QueueStore {
  readonly kind = 'sqlite' as const;
  readonly file: string;
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  #pending: PendingEnqueue[] = [];
  #flushScheduled = false;
  #closed = false;

  constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.file = file;
  }

  enqueue(input: NewQueuedMessage): Promise<QueueId> {
    if (this.#closed) return Promise.reject(new Error('The queue is closed.'));
    try {
      checkNewQueuedMessage(input);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolvePromise, reject) => {
      this.#pending.push({ id: input.id === undefined ? newQueueId(randomBytes) : checkQueueId(input.id), input, resolve: resolvePromise, reject });
      if (!this.#flushScheduled) {
        this.#flushScheduled = true;
        setImmediate(() => void this.#flushEnqueues());
      }
    });
  }

  async #flushEnqueues(): Promise<void> {
    this.#flushScheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    if (batch.length === 0) return;
    try {
      await this.#write(() => { for (const p of batch) this.#insert(p.id, p.input); });
      for (const p of batch) p.resolve(p.id);
    } catch {
      // One bad entry must not fail the others: write them one by one.
      for (const p of batch) {
        try {
          await this.#write(() => this.#insert(p.id, p.input));
          p.resolve(p.id);
        } catch (err) {
          p.reject(err);
        }
      }
    }
  }

  /** One IMMEDIATE transaction, waiting for the write lock without blocking the event loop. */
  async #write<T>(fn: () => T): Promise<T> {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (;;) {
      try {
        return this.#db.transaction(fn).immediate();
      } catch (err) {
        if ((err as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      }
    }
  }

  #insert(id: QueueId, m: NewQueuedMessage): void {
    const now = Date.now();
    this.#sql(`INSERT INTO queue_messages (id, sender, body, smtputf8, ret, envid, submitted_by, size, created_at, next_attempt_at, data)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      id, m.sender, m.body, +m.smtputf8, m.ret, m.envid, m.submittedBy, m.message.length, now, m.notBefore?.getTime() ?? now, m.message,
    );
    const rcpt = this.#sql(`INSERT INTO queue_recipients (message_id, idx, address, notify, orcpt_type, orcpt_address, state)
      VALUES (?, ?, ?, ?, ?, ?, 'pending')`);
    m.recipients.forEach((r, i) => rcpt.run(id, i, r.address, encodeNotify(r.notify), r.orcpt?.type ?? null, r.orcpt?.address ?? null));
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<QueueEntry[]> {
    const t = now.getTime();
    const rows = await this.#write(() => {
      const due = this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM queue_messages
        WHERE next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at, created_at, rowid LIMIT ?`).all(t, t, limit) as MessageRow[];
      const lease = this.#sql('UPDATE queue_messages SET lease_until = ? WHERE id = ?');
      for (const r of due) {
        lease.run(t + leaseMs, r.id);
        r.lease_until = t + leaseMs;
      }
      return due;
    });
    return rows.map((r) => this.#entry(r));
  }

  async readMessage(id: QueueId): Promise<Buffer | null> {
    const row = this.#sql('SELECT data FROM queue_messages WHERE id = ?').get(checkQueueId(id)) as { data: Buffer } | undefined;
    return row?.data ?? null;
  }

  async recordAttempt(id: QueueId, outcomes: RecipientOutcome[], nextAttemptAt: Date, lastError: string | null): Promise<void> {
    const qid = checkQueueId(id);
    await this.#write(() => {
      const info = this.#sql(`UPDATE queue_messages SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ?
        WHERE id = ?`).run(nextAttemptAt.getTime(), lastError, qid);
      if (info.changes === 0) throw new QueueError('NOT_FOUND', `No queued message ${qid}.`);
      const upd = this.#sql(`UPDATE queue_recipients SET state = ?, last_result = ?, status = ?, remote_mta = ?, relayed = ?
        WHERE message_id = ? AND idx = ?`);
      for (const o of outcomes) upd.run(o.state, o.lastResult, o.status, o.remoteMta, +(o.relayed ?? false), qid, o.index);
    });
  }

  async markDelayNotified(id: QueueId, indexes: number[]): Promise<void> {
    const qid = checkQueueId(id);
    await this.#write(() => {
      const upd = this.#sql('UPDATE queue_recipients SET delay_notified = 1 WHERE message_id = ? AND idx = ?');
      for (const i of indexes) upd.run(qid, i);
    });
  }

  async release(id: QueueId): Promise<void> {
    const qid = checkQueueId(id);
    await this.#write(() => this.#sql('UPDATE queue_messages SET lease_until = NULL WHERE id = ?').run(qid));
  }

  async remove(id: QueueId): Promise<boolean> {
    const qid = checkQueueId(id);
    return this.#write(() => this.#sql('DELETE FROM queue_messages WHERE id = ?').run(qid).changes > 0);
  }

  async get(id: QueueId): Promise<QueueEntry | null> {
    const row = this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM queue_messages WHERE id = ?`).get(checkQueueId(id)) as MessageRow | undefined;
    return row ? this.#entry(row) : null;
  }

  async list(): Promise<QueueEntry[]> {
    const rows = this.#sql(`SELECT ${MESSAGE_COLUMNS} FROM queue_messages ORDER BY created_at, rowid`).all() as MessageRow[];
    return rows.map((r) => this.#entry(r));
  }

  async flush(id?: QueueId): Promise<number> {
    const now = Date.now();
    if (id !== undefined) {
      const qid = checkQueueId(id);
      return this.#write(() => this.#sql('UPDATE queue_messages SET next_attempt_at = MIN(next_attempt_at, ?) WHERE id = ?').run(now, qid).changes);
    }
    return this.#write(() => this.#sql('UPDATE queue_messages SET next_attempt_at = MIN(next_attempt_at, ?)').run(now).changes);
  }

  async nextDue(): Promise<Date | null> {
    const now = Date.now();
    const row = this.#sql(`SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > ? THEN MAX(next_attempt_at, lease_until) ELSE next_attempt_at END) AS t
      FROM queue_messages`).get(now) as { t: number | null };
    return row.t === null ? null : new Date(row.t);
  }

  async recoverLeases(): Promise<number> {
    return this.#write(() => this.#sql('UPDATE queue_messages SET lease_until = NULL WHERE lease_until IS NOT NULL').run().changes);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#flushEnqueues();
    this.#db.close();
  }

  #entry(row: MessageRow): QueueEntry {
    const rcpts = this.#sql('SELECT * FROM queue_recipients WHERE message_id = ? ORDER BY idx').all(row.id) as RecipientRow[];
    return {
      id: row.id,
      sender: row.sender,
      recipients: rcpts.map(toRecipient),
      size: row.size,
      body: row.body as QueueEntry['body'],
      smtputf8: row.smtputf8 === 1,
      ret: row.ret as QueueEntry['ret'],
      envid: row.envid,
      submittedBy: row.submitted_by,
      createdAt: new Date(row.created_at),
      attempts: row.attempts,
      nextAttemptAt: new Date(row.next_attempt_at),
      leaseUntil: row.lease_until === null ? null : new Date(row.lease_until),
      lastError: row.last_error,
    };
  }

  #sql(text: string): Database.Statement {
    let s = this.#statements.get(text);
    if (!s) this.#statements.set(text, (s = this.#db.prepare(text)));
    return s;
  }
}

function toRecipient(r: RecipientRow): QueueRecipient {
  return {
    index: r.idx,
    address: r.address,
    notify: decodeNotify(r.notify),
    orcpt: r.orcpt_type !== null && r.orcpt_address !== null ? { type: r.orcpt_type, address: r.orcpt_address } : null,
    state: r.state,
    lastResult: r.last_result,
    status: r.status,
    remoteMta: r.remote_mta,
    relayed: r.relayed === 1,
    delayNotified: r.delay_notified === 1,
  };
}

/** Opens the queue in the data directory's SQLite file (made, with the mail schema, if missing). */
export async function openSqliteQueue(dataDir: string, options: { fileName?: string } = {}): Promise<SqliteQueueStore> {
  mkdirSync(dataDir, { recursive: true });
  const file = resolve(dataDir, options.fileName ?? DEFAULT_SQLITE_FILE);
  const db = new Database(file);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${file} (got ${String(mode)}).`);
    // Every 250 follows a synced commit (see the file comment).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // The queue lives beside the mail tables and uses their meta table: make sure they exist.
    migrateMailSchema(db);
    migrateQueue(db);
    // From here on, lock waits happen in #write, between turns of the event loop.
    db.pragma(`busy_timeout = ${LOCK_POLL_MS}`);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteQueueStore(db, file);
}
