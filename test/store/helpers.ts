// Shared test helpers for the store: accounts and messages to store, event collection, temp
// directories, and the PostgreSQL test database (127.0.0.1:5432, database `test`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { MailboxChange, MailboxId, MailStore, NewAccount } from '../../src/store/types.js';

export function newAccount(local: string, domainName = 'example.test', overrides: Partial<NewAccount> = {}): NewAccount {
  return {
    address: `${local}@${domainName}`,
    upn: `${local}@${domainName}`,
    domain: domainName.split('.')[0]!,
    sam: local,
    alias: local,
    passwordHash: null,
    scram: null,
    imapEnabled: true,
    popEnabled: true,
    smtpEnabled: true,
    admin: false,
    disabled: false,
    shared: false,
    ...overrides,
  };
}

let counter = 0;

/** A small RFC 5322 message; each call gives different bytes unless `body` repeats. */
export function message(body?: string): Buffer {
  const text = body ?? `message ${++counter} ${process.pid} ${Date.now()}`;
  return Buffer.from(
    `From: a@example.test\r\nTo: b@example.test\r\nSubject: ${text}\r\nMessage-ID: <${counter}.${process.pid}@example.test>\r\n\r\n${text}\r\n`,
  );
}

/** Bytes no text codec would round-trip: NULs, 8-bit, lone CR and LF, invalid UTF-8. */
export function awkwardBytes(): Buffer {
  const head = Buffer.from('Subject: binary\r\nContent-Transfer-Encoding: binary\r\n\r\n');
  const body = Buffer.alloc(4096);
  for (let i = 0; i < body.length; i++) body[i] = (i * 131 + 7) & 0xff;
  return Buffer.concat([head, body, Buffer.from([0x00, 0x0d, 0x0a, 0x0d, 0xff, 0xfe, 0xc3])]);
}

/** The i-th message of the durability test: distinct, binary, and sized to vary. */
export function durableMessage(i: number): Buffer {
  const body = Buffer.alloc(200 + (i % 7) * 1000);
  for (let j = 0; j < body.length; j++) body[j] = (i * 31 + j * 17) & 0xff;
  return Buffer.concat([Buffer.from(`Subject: durable ${i}\r\n\r\n`), body]);
}

export interface Collector {
  events: MailboxChange[];
  /** Resolves once `n` events have arrived; rejects after a generous timeout. */
  waitFor(n: number, timeoutMs?: number): Promise<MailboxChange[]>;
  stop(): void;
}

export function collect(store: MailStore, mailboxId: MailboxId, since?: number): Collector {
  const events: MailboxChange[] = [];
  const waiters: Array<() => void> = [];
  const unsubscribe = store.feed.subscribe(mailboxId, (change) => {
    events.push(change);
    for (const w of waiters.splice(0)) w();
  }, since);
  return {
    events,
    stop: unsubscribe,
    waitFor(n, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`expected ${n} change events, got ${events.length}: ${JSON.stringify(events)}`)),
          timeoutMs,
        );
        const check = () => {
          if (events.length >= n) {
            clearTimeout(timer);
            resolve(events.slice());
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
  };
}

export function tempDir(prefix = 'postern-store-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

// ---- PostgreSQL --------------------------------------------------------------------------------

const CANDIDATE_URLS = process.env.POSTERN_TEST_PG_URL
  ? [process.env.POSTERN_TEST_PG_URL]
  : ['postgres://postgres@127.0.0.1:5432/test', 'postgres://root@127.0.0.1:5432/test'];

let probed: Promise<string | null> | null = null;

/** The URL of the test database, or null when none answers (the PostgreSQL tests then skip). */
export function postgresUrl(): Promise<string | null> {
  probed ??= (async () => {
    for (const url of CANDIDATE_URLS) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return url;
      } catch {
        // try the next candidate
      } finally {
        await client.end().catch(() => {});
      }
    }
    return null;
  })();
  return probed;
}

let schemaCounter = 0;

export function uniqueSchemaName(): string {
  return `pt_${process.pid}_${Date.now().toString(36)}_${++schemaCounter}`;
}

/** Runs SQL on the test database outside any store (setup, fault injection, teardown). */
export async function pgAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  await pgAdmin(url, (c) => c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`));
}
