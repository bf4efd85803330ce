// The cross-node half of the change feed: one dedicated connection LISTENs on the schema's
// channel; each writer NOTIFYs "<mailboxId>:<modseq>" inside its transaction, so PostgreSQL
// delivers it only once the change is committed. A notification only says "look": the feed
// then reads the change log, so a lost or coalesced notification costs latency, never data.
import pg from 'pg';
import { clientConfig } from './connection.js';

const RECONNECT_MS = 1000;

export class NotificationListener {
  readonly #url: string;
  readonly #channel: string;
  readonly #onNotify: (mailboxId: number) => void;
  readonly #onListening: () => void;
  #client: pg.Client | null = null;
  #starting: Promise<void> | null = null;
  #retry: NodeJS.Timeout | null = null;
  #closed = false;
  #ready: { promise: Promise<void>; resolve: () => void };

  constructor(url: string, channel: string, onNotify: (mailboxId: number) => void, onListening: () => void) {
    this.#url = url;
    this.#channel = channel;
    this.#onNotify = onNotify;
    this.#onListening = onListening;
    this.#ready = deferred();
  }

  /** Starts listening (idempotent); failures are retried in the background. */
  start(): void {
    if (this.#closed || this.#client || this.#starting) return;
    this.#starting = this.#connect().finally(() => (this.#starting = null));
  }

  /** Resolves once LISTEN is in effect. */
  listening(): Promise<void> {
    this.start();
    return this.#ready.promise;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.#starting?.catch(() => {});
    const client = this.#client;
    this.#client = null;
    await client?.end().catch(() => {});
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(clientConfig(this.#url, `postern-listen:${this.#channel}`));
    client.on('error', () => this.#lost(client));
    client.on('end', () => this.#lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== this.#channel || !msg.payload) return;
      const id = Number.parseInt(msg.payload, 10);
      if (Number.isSafeInteger(id)) this.#onNotify(id);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch {
      await client.end().catch(() => {});
      this.#scheduleRetry();
      return;
    }
    if (this.#closed) {
      await client.end().catch(() => {});
      return;
    }
    this.#client = client;
    this.#ready.resolve();
    // Whatever was committed while we were not listening.
    this.#onListening();
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = null;
    this.#ready = deferred();
    client.end().catch(() => {});
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#retry) return;
    this.#retry = setTimeout(() => {
      this.#retry = null;
      this.start();
    }, RECONNECT_MS);
    this.#retry.unref();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
