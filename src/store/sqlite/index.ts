// Opening a SQLite store: one file per data directory, set up for durability and for a second
// process (the CLI) writing while the server runs.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './schema.js';
import { SqliteMailStore } from './store.js';

export { SqliteMailStore, CROSS_PROCESS_POLL_MS, type SqlitePragmas } from './store.js';
export { SCHEMA_VERSION as SQLITE_SCHEMA_VERSION } from './schema.js';

export const DEFAULT_SQLITE_FILE = 'postern.sqlite';

/** How long a writer waits for another process's transaction before giving up. */
export const BUSY_TIMEOUT_MS = 5000;
const MMAP_BYTES = 1 << 30;

export interface SqliteStoreOptions {
  /** File name inside the data directory; default `postern.sqlite`. */
  fileName?: string;
}

export async function openSqliteStore(dataDir: string, options: SqliteStoreOptions = {}): Promise<SqliteMailStore> {
  mkdirSync(dataDir, { recursive: true });
  const file = resolve(dataDir, options.fileName ?? DEFAULT_SQLITE_FILE);
  const db = new Database(file);
  try {
    // First, so that even switching to WAL waits for a process that holds the file.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode for ${file} (got ${String(mode)}).`);
    // FULL: in WAL mode NORMAL may lose the last commits on power loss; we acknowledge a
    // message to a client once append() resolves, so every commit syncs the WAL.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Read the file through a mapping: a 1 MiB message is then one copy out of the page cache
    // instead of ~260 pread calls (RETR/FETCH of large bodies take half the time). Writes still
    // go through the WAL; the mapping is address space, not memory.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteMailStore(db, file);
}
