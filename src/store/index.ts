// The store layer's entry point: the MailStore contract and the one function the composition
// root calls to get an implementation for the configured kind.
import { openPostgresStore } from './postgres/index.js';
import { openSqliteStore } from './sqlite/index.js';
import type { MailStore } from './types.js';

export * from './types.js';
export { openSqliteStore, SqliteMailStore, type SqliteStoreOptions } from './sqlite/index.js';
export { openPostgresStore, PostgresMailStore, type PostgresStoreOptions } from './postgres/index.js';
export { blobIdOf } from './blob.js';
export { MAILBOX_DELIMITER, normalizeMailboxName, normalizeFlags } from './validate.js';

export type StoreConfig =
  | { kind: 'sqlite' }
  | { kind: 'postgres'; url: string; schema?: string };

/** Opens the configured store; SQLite keeps its file in `dataDir`. */
export async function openStore(config: StoreConfig, dataDir: string): Promise<MailStore> {
  switch (config.kind) {
    case 'sqlite':
      return openSqliteStore(dataDir);
    case 'postgres':
      return openPostgresStore(config.url, config.schema === undefined ? {} : { schema: config.schema });
    default: {
      const kind: never = config;
      throw new Error(`Unknown store kind ${JSON.stringify((kind as { kind?: unknown }).kind)}.`);
    }
  }
}
