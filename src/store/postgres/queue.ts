// QueueStore over PostgreSQL, in the same schema as the MailStore but versioned by its own
// table (<schema>.queue_schema_version), so the mail store's migrations and the queue's never
// interleave. Claims use FOR UPDATE SKIP LOCKED plus a lease, so several nodes can run queue
// runners on one database and no entry is sent twice while its lease holds.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { clientConfig } from './connection.js';
import { checkSchemaName, runMigrations } from './schema.js';
import {
  checkNewQueuedMessage, checkQueueId, decodeNotify, encodeNotify, newQueueId, QueueError,
  type NewQueuedMessage, type QueueEntry, type QueueId, type QueueRecipient, type QueueStore, type RecipientOutcome,
} from '../queue-types.js';

const QUEUE_MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  // 0 → 1
  (s) => `
  CREATE TABLE ${s}.queue_messages (
    id              text PRIMARY KEY,
    sender          text,
    body            text,
    smtputf8        boolean NOT NULL,
    ret             text,
    envid           text,
    submitted_by    text,
    size            bigint NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    lease_until     timestamptz,
    last_error      text,
    data            bytea NOT NULL
  );
  CREATE INDEX queue_messages_due ON ${s}.queue_messages (next_attempt_at);

  CREATE TABLE ${s}.queue_recipients (
    message_id    text NOT NULL REFERENCES ${s}.queue_messages(id) ON DELETE CASCADE,
    idx           integer NOT NULL,
    address       text NOT NULL,
    notify        text,
    orcpt_type    text,
    orcpt_address text,
    state         text NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    last_result   text,
    status        text,
    remote_mta    text,
    relayed       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (message_id, idx)
  );
  `,
  // 1 → 2: delay notices (RFC 3464 "delayed") are sent once per recipient.
  (s) => `
  ALTER TABLE ${s}.queue_recipients ADD COLUMN delay_notified boolean NOT NULL DEFAULT false;
  `,
];

export const QUEUE_SCHEMA_VERSION = QUEUE_MIGRATIONS.length;

interface MessageRow {
  id: string;
  sender: string | null;
  body: string | null;
  smtputf8: boolean;
  ret: string | null;
  envid: string | null;
  submitted_by: string | null;
  size: number;
  created_at: Date;
  attempts: number;
  next_attempt_at: Date;
  lease_until: Date | null;
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
  relayed: boolean;
  delay_notified: boolean;
}

const MESSAGE_COLUMNS = 'id, sender, body, smtputf8, ret, envid, submitted_by, size, created_at, attempts, next_attempt_at, lease_until, last_error';

function migrateQueue(pool: pg.Pool, schema: string): Promise<void> {
  return runMigrations(pool, schema, { versionTable: 'queue_schema_version', lockName: 'migrate-queue', what: 'The queue schema', migrations: QUEUE_MIGRATIONS });
}

type Db = pg.Pool | pg.PoolClient;

export class PostgresQueueStore implements QueueStore {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #s: string;
  #closed = false;

  constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.#s = `"${schema}"`;
  }

  async enqueue(input: NewQueuedMessage): Promise<QueueId> {
    checkNewQueuedMessage(input);
    const id = input.id === undefined ? newQueueId(randomBytes) : checkQueueId(input.id);
    const now = new Date();
    await this.#tx(async (db) => {
      await db.query(`INSERT INTO ${this.#s}.queue_messages (id, sender, body, smtputf8, ret, envid, submitted_by, size, created_at, next_attempt_at, data)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [id, input.sender, input.body, input.smtputf8, input.ret, input.envid, input.submittedBy, input.message.length, now, input.notBefore ?? now, input.message]);
      const r = input.recipients;
      await db.query(`INSERT INTO ${this.#s}.queue_recipients (message_id, idx, address, notify, orcpt_type, orcpt_address, state)
        SELECT $1, i - 1, a, n, ot, oa, 'pending' FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(a, n, ot, oa, i)`,
      [id, r.map((x) => x.address), r.map((x) => encodeNotify(x.notify)), r.map((x) => x.orcpt?.type ?? null), r.map((x) => x.orcpt?.address ?? null)]);
    });
    return id;
  }

  async claimDue(now: Date, limit: number, leaseMs: number): Promise<QueueEntry[]> {
    const until = new Date(now.getTime() + leaseMs);
    const { rows } = await this.#pool.query<MessageRow>(
      `UPDATE ${this.#s}.queue_messages SET lease_until = $3
       WHERE id IN (SELECT id FROM ${this.#s}.queue_messages
                    WHERE next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                    ORDER BY next_attempt_at, created_at LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING ${MESSAGE_COLUMNS}`,
      [now, limit, until],
    );
    rows.sort((a, b) => a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || a.created_at.getTime() - b.created_at.getTime());
    return this.#entries(rows);
  }

  async readMessage(id: QueueId): Promise<Buffer | null> {
    const { rows } = await this.#pool.query<{ data: Buffer }>(`SELECT data FROM ${this.#s}.queue_messages WHERE id = $1`, [checkQueueId(id)]);
    return rows[0]?.data ?? null;
  }

  async recordAttempt(id: QueueId, outcomes: RecipientOutcome[], nextAttemptAt: Date, lastError: string | null): Promise<void> {
    const qid = checkQueueId(id);
    await this.#tx(async (db) => {
      const r = await db.query(`UPDATE ${this.#s}.queue_messages SET attempts = attempts + 1, next_attempt_at = $2, lease_until = NULL, last_error = $3 WHERE id = $1`,
        [qid, nextAttemptAt, lastError]);
      if (r.rowCount === 0) throw new QueueError('NOT_FOUND', `No queued message ${qid}.`);
      if (outcomes.length === 0) return;
      await db.query(`UPDATE ${this.#s}.queue_recipients AS q SET state = u.state, last_result = u.res, status = u.st, remote_mta = u.mta, relayed = u.rel
        FROM unnest($2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::boolean[]) AS u(idx, state, res, st, mta, rel)
        WHERE q.message_id = $1 AND q.idx = u.idx`,
      [qid, outcomes.map((o) => o.index), outcomes.map((o) => o.state), outcomes.map((o) => o.lastResult), outcomes.map((o) => o.status),
        outcomes.map((o) => o.remoteMta), outcomes.map((o) => o.relayed ?? false)]);
    });
  }

  async markDelayNotified(id: QueueId, indexes: number[]): Promise<void> {
    await this.#pool.query(`UPDATE ${this.#s}.queue_recipients SET delay_notified = true WHERE message_id = $1 AND idx = ANY($2::int[])`,
      [checkQueueId(id), indexes]);
  }

  async release(id: QueueId): Promise<void> {
    await this.#pool.query(`UPDATE ${this.#s}.queue_messages SET lease_until = NULL WHERE id = $1`, [checkQueueId(id)]);
  }

  async remove(id: QueueId): Promise<boolean> {
    const r = await this.#pool.query(`DELETE FROM ${this.#s}.queue_messages WHERE id = $1`, [checkQueueId(id)]);
    return (r.rowCount ?? 0) > 0;
  }

  async get(id: QueueId): Promise<QueueEntry | null> {
    const { rows } = await this.#pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${this.#s}.queue_messages WHERE id = $1`, [checkQueueId(id)]);
    return (await this.#entries(rows))[0] ?? null;
  }

  async list(): Promise<QueueEntry[]> {
    const { rows } = await this.#pool.query<MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM ${this.#s}.queue_messages ORDER BY created_at, id`);
    return this.#entries(rows);
  }

  // Times come from this process's clock, as every other time in these tables does.
  async flush(id?: QueueId): Promise<number> {
    const now = new Date();
    const r = id === undefined
      ? await this.#pool.query(`UPDATE ${this.#s}.queue_messages SET next_attempt_at = LEAST(next_attempt_at, $1)`, [now])
      : await this.#pool.query(`UPDATE ${this.#s}.queue_messages SET next_attempt_at = LEAST(next_attempt_at, $1) WHERE id = $2`, [now, checkQueueId(id)]);
    return r.rowCount ?? 0;
  }

  async nextDue(): Promise<Date | null> {
    const { rows } = await this.#pool.query<{ t: Date | null }>(
      `SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > $1 THEN GREATEST(next_attempt_at, lease_until) ELSE next_attempt_at END) AS t
       FROM ${this.#s}.queue_messages`, [new Date()]);
    return rows[0]?.t ?? null;
  }

  async recoverLeases(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }

  async #entries(rows: MessageRow[]): Promise<QueueEntry[]> {
    if (rows.length === 0) return [];
    const { rows: rcpts } = await this.#pool.query<RecipientRow>(
      `SELECT * FROM ${this.#s}.queue_recipients WHERE message_id = ANY($1::text[]) ORDER BY message_id, idx`, [rows.map((r) => r.id)]);
    const byMessage = new Map<string, QueueRecipient[]>();
    for (const r of rcpts) {
      let list = byMessage.get(r.message_id);
      if (!list) byMessage.set(r.message_id, (list = []));
      list.push(toRecipient(r));
    }
    return rows.map((row) => ({
      id: row.id,
      sender: row.sender,
      recipients: byMessage.get(row.id) ?? [],
      size: Number(row.size),
      body: row.body as QueueEntry['body'],
      smtputf8: row.smtputf8,
      ret: row.ret as QueueEntry['ret'],
      envid: row.envid,
      submittedBy: row.submitted_by,
      createdAt: row.created_at,
      attempts: row.attempts,
      nextAttemptAt: row.next_attempt_at,
      leaseUntil: row.lease_until,
      lastError: row.last_error,
    }));
  }

  async #tx(fn: (db: Db) => Promise<void>): Promise<void> {
    const client = await this.#pool.connect();
    try {
      await client.query('BEGIN');
      await fn(client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
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
    relayed: r.relayed,
    delayNotified: r.delay_notified,
  };
}

export async function openPostgresQueue(url: string, options: { schema?: string; maxConnections?: number } = {}): Promise<PostgresQueueStore> {
  const schema = options.schema ?? 'postern';
  checkSchemaName(schema);
  const pool = new pg.Pool({ ...clientConfig(url, `postern-queue:${schema}`), max: options.maxConnections ?? 5 });
  pool.on('error', () => {});
  try {
    await migrateQueue(pool, schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresQueueStore(pool, schema);
}
