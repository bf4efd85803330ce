// tryLock across nodes: PostgreSQL session-level advisory locks, held on one dedicated
// connection for as long as any lock is held (a lock lives exactly as long as the session that
// took it, so a crashed node's locks go with its connection). One connection serves every lock
// of this store, instead of one per POP3 session, to keep connection counts bounded.
import pg from 'pg';
import { clientConfig } from './connection.js';

export class AdvisoryLocks {
  readonly #url: string;
  readonly #namespace: string;
  readonly #onLost: () => void;
  #client: Promise<pg.Client> | null = null;

  /** `onLost` runs when the connection — and with it every lock it held — is gone. */
  constructor(url: string, namespace: string, onLost: () => void) {
    this.#url = url;
    this.#namespace = namespace;
    this.#onLost = onLost;
  }

  async tryLock(key: string): Promise<boolean> {
    const client = await this.#connection();
    const { rows } = await client.query<{ ok: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [this.#name(key)]);
    return rows[0]!.ok;
  }

  async unlock(key: string): Promise<void> {
    const pending = this.#client;
    if (!pending) return;
    const client = await pending;
    await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [this.#name(key)]);
  }

  async close(): Promise<void> {
    const pending = this.#client;
    this.#client = null;
    if (pending) await (await pending.catch(() => null))?.end().catch(() => {});
  }

  #name(key: string): string {
    return `${this.#namespace}:${key}`;
  }

  #connection(): Promise<pg.Client> {
    if (!this.#client) {
      const client = new pg.Client(clientConfig(this.#url, `postern-locks:${this.#namespace}`));
      const pending = client.connect().then(() => client);
      const lost = () => {
        if (this.#client !== pending) return;
        this.#client = null;
        client.end().catch(() => {});
        this.#onLost();
      };
      client.on('error', lost);
      client.on('end', lost);
      pending.catch(() => {
        if (this.#client === pending) this.#client = null;
      });
      this.#client = pending;
    }
    return this.#client;
  }
}
