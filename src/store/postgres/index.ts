// Opening a PostgreSQL store: a pool on the URL, the schema created and migrated on first use.
import pg from 'pg';
import { clientConfig } from './connection.js';
import { checkSchemaName, migrate } from './schema.js';
import { PostgresMailStore } from './store.js';

export { PostgresMailStore } from './store.js';
export { SCHEMA_VERSION as POSTGRES_SCHEMA_VERSION } from './schema.js';

export const DEFAULT_POSTGRES_SCHEMA = 'postern';

export interface PostgresStoreOptions {
  /** Schema holding postern's tables; default `postern`. Created when missing. */
  schema?: string;
  /** Pool size; default 10. */
  maxConnections?: number;
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresMailStore> {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  checkSchemaName(schema);
  const pool = new pg.Pool({ ...clientConfig(url, `postern:${schema}`), max: options.maxConnections ?? 10 });
  // An idle client that loses its connection must not crash the process; the pool drops it.
  pool.on('error', () => {});
  try {
    await migrate(pool, schema);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return new PostgresMailStore(pool, url, schema);
}
