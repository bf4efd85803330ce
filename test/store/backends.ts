// The two store backends as the contract suite sees them: how to make an empty database, open
// stores on it, inject a fault inside the database, and clean up.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Backend } from './contract-suite.js';
import { dropSchema, pgAdmin, postgresUrl, tempDir, uniqueSchemaName } from './helpers.js';

let faults = 0;

export const sqliteBackend: Backend = {
  name: 'SQLite',
  unavailable: async () => null,
  async create() {
    const dir = tempDir();
    // Triggers added from a separate connection, as an operator's sqlite3 shell would.
    const addTriggers = (sql: string) => {
      const db = new Database(join(dir.path, 'postern.sqlite'));
      try {
        db.pragma('busy_timeout = 5000');
        db.exec(sql);
      } finally {
        db.close();
      }
    };
    return {
      open: () => openSqliteStore(dir.path),
      async failChangesTo(mailboxId, uid) {
        const n = ++faults;
        const when = `WHEN OLD.mailbox_id = ${mailboxId} AND OLD.uid = ${uid}`;
        addTriggers(`
          CREATE TRIGGER fault_d${n} BEFORE DELETE ON messages ${when} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;
          CREATE TRIGGER fault_u${n} BEFORE UPDATE ON messages ${when} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`);
      },
      async failInsertsInto(mailboxId) {
        addTriggers(`CREATE TRIGGER fault_i${++faults} BEFORE INSERT ON messages WHEN NEW.mailbox_id = ${mailboxId}
          BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`);
      },
      destroy: async () => dir.remove(),
    };
  },
};

export const postgresBackend: Backend = {
  name: 'PostgreSQL',
  unavailable: async () => ((await postgresUrl()) === null ? 'no PostgreSQL at 127.0.0.1:5432/test' : null),
  async create() {
    const url = (await postgresUrl())!;
    const schema = uniqueSchemaName();
    const s = `"${schema}"`;
    const addTrigger = (event: string, when: string) =>
      pgAdmin(url, async (c) => {
        const n = ++faults;
        await c.query(`CREATE OR REPLACE FUNCTION ${s}.fault() RETURNS trigger LANGUAGE plpgsql AS
          $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$`);
        await c.query(`CREATE TRIGGER fault${n} BEFORE ${event} ON ${s}.messages FOR EACH ROW
          WHEN (${when}) EXECUTE FUNCTION ${s}.fault()`);
      });
    return {
      open: () => openPostgresStore(url, { schema }),
      failChangesTo: (mailboxId, uid) =>
        addTrigger('DELETE OR UPDATE', `OLD.mailbox_id = ${mailboxId} AND OLD.uid = ${uid}`),
      failInsertsInto: (mailboxId) => addTrigger('INSERT', `NEW.mailbox_id = ${mailboxId}`),
      destroy: () => dropSchema(url, schema),
    };
  },
};
