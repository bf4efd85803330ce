// Outgoing mail as the SMTP sessions see it: the durable queue, and a nudge to the queue runner
// when something new is in it. The composition root makes one per server.
import type { QueueId, QueueStore, NewQueuedMessage } from '../../store/queue-types.js';
import { openSqliteQueue } from '../../store/sqlite/queue.js';
import { openPostgresQueue } from '../../store/postgres/queue.js';

export type QueueStoreConfig =
  | { kind: 'sqlite' }
  | { kind: 'postgres'; url: string; schema?: string };

/** Opens the queue beside the configured mail store (same SQLite file / PostgreSQL schema). */
export async function openQueueStore(config: QueueStoreConfig, dataDir: string): Promise<QueueStore> {
  return config.kind === 'sqlite'
    ? openSqliteQueue(dataDir)
    : openPostgresQueue(config.url, config.schema === undefined ? {} : { schema: config.schema });
}

export interface QueueListener {
  /** Something was queued: look for due entries now rather than at the next poll. */
  kick(): void;
}

export class Outbound {
  private listeners: QueueListener[] = [];

  constructor(readonly queue: QueueStore) {}

  /** Resolves once the message is durable in the queue (the caller may then reply 250). */
  async enqueue(message: NewQueuedMessage): Promise<QueueId> {
    const id = await this.queue.enqueue(message);
    for (const l of this.listeners) l.kick();
    return id;
  }

  onQueued(listener: QueueListener): void {
    this.listeners.push(listener);
  }
}

/** Opens the queue and wraps it (the composition root's one call). */
export async function openOutbound(config: QueueStoreConfig, dataDir: string): Promise<Outbound> {
  return new Outbound(await openQueueStore(config, dataDir));
}
