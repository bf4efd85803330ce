// SQLite schema, versioned with PRAGMA user_version. Each migration moves the file from version
// i to i+1 inside one transaction; a released schema is never edited, only followed by a new
// migration, so a data directory written by any earlier postern opens with a later one.
import type Database from 'better-sqlite3';

const MIGRATIONS: ReadonlyArray<string> = [
  // 0 → 1: the first schema.
  `
  CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  );
  -- The last UIDVALIDITY handed out, so a mailbox created later (even under a name used
  -- before) gets a larger one (RFC 9051 §2.3.1.1).
  INSERT INTO meta (key, value) VALUES ('uidvalidity', 0);

  -- Every name is stored in one case (domain upper, the rest lower), so the UNIQUE
  -- constraints and the lookups are case-insensitive without COLLATE tricks.
  CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    address          TEXT NOT NULL UNIQUE,
    upn              TEXT NOT NULL UNIQUE,
    domain           TEXT NOT NULL,
    sam              TEXT NOT NULL,
    alias            TEXT NOT NULL UNIQUE,
    password_hash    TEXT,
    scram_salt       BLOB,
    scram_iterations INTEGER,
    scram_stored_key BLOB,
    scram_server_key BLOB,
    imap_enabled     INTEGER NOT NULL,
    pop_enabled      INTEGER NOT NULL,
    smtp_enabled     INTEGER NOT NULL,
    admin            INTEGER NOT NULL,
    disabled         INTEGER NOT NULL,
    shared           INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (domain, sam)
  );

  CREATE TABLE grants (
    account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    grantee_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    access     TEXT NOT NULL,
    PRIMARY KEY (account_id, grantee_id)
  );
  CREATE INDEX grants_grantee ON grants (grantee_id);

  CREATE TABLE mailboxes (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id     INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    special_use    TEXT,
    subscribed     INTEGER NOT NULL DEFAULT 0,
    uidvalidity    INTEGER NOT NULL,
    uidnext        INTEGER NOT NULL DEFAULT 1,
    highest_modseq INTEGER NOT NULL DEFAULT 1,
    message_count  INTEGER NOT NULL DEFAULT 0,
    total_size     INTEGER NOT NULL DEFAULT 0,
    UNIQUE (account_id, name)
  );

  -- Content-addressed message bytes; refcount = number of message rows naming the blob.
  CREATE TABLE blobs (
    id       TEXT NOT NULL UNIQUE,
    size     INTEGER NOT NULL,
    refcount INTEGER NOT NULL,
    data     BLOB NOT NULL
  );

  CREATE TABLE messages (
    mailbox_id    INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    uid           INTEGER NOT NULL,
    modseq        INTEGER NOT NULL,
    flags         TEXT NOT NULL,
    internal_date INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    blob_id       TEXT NOT NULL REFERENCES blobs(id),
    PRIMARY KEY (mailbox_id, uid)
  ) WITHOUT ROWID;
  CREATE INDEX messages_blob ON messages (blob_id);

  -- One row per modseq: what changed. Expunges live only here, which is what lets
  -- changesSince() report them (RFC 7162 §3.2.5.1, VANISHED).
  CREATE TABLE changes (
    mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id) ON DELETE CASCADE,
    modseq     INTEGER NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('append', 'flags', 'expunge')),
    uid        INTEGER NOT NULL,
    flags      TEXT,
    PRIMARY KEY (mailbox_id, modseq)
  ) WITHOUT ROWID;
  `,
  // 1 → 2 (IMAP): the parsed-message cache and full-text index, filled when a message's bytes
  // are first stored and dropped with them; and the \Recent boundary per mailbox.
  `
  ALTER TABLE mailboxes ADD COLUMN recent_uid INTEGER NOT NULL DEFAULT 1;

  -- One row per blob (content address), so copies share it. tree: wire/mime MimePart JSON.
  CREATE TABLE message_meta (
    id       INTEGER PRIMARY KEY,
    blob_id  TEXT NOT NULL UNIQUE REFERENCES blobs(id) ON DELETE CASCADE,
    tree     TEXT NOT NULL,
    complete INTEGER NOT NULL
  );

  -- Decoded text, rowid = message_meta.id. The trigram tokenizer answers substring queries of
  -- three or more characters from the index, case-insensitively: exactly IMAP SEARCH's rule
  -- (https://sqlite.org/fts5.html#the_trigram_tokenizer).
  CREATE VIRTUAL TABLE message_text USING fts5(
    subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body,
    tokenize = 'trigram case_sensitive 0'
  );
  CREATE TRIGGER message_meta_delete AFTER DELETE ON message_meta BEGIN
    DELETE FROM message_text WHERE rowid = old.id;
  END;
  `,
  // 2 → 3 (IMAP): the full-text index is maintained in batches after the fact instead of inside
  // every APPEND and EXPUNGE (one FTS5 segment per batch, not per message: ~4x less work), and
  // it no longer keeps a second copy of the text. message_meta is a cache: it is rebuilt.
  `
  DROP TRIGGER message_meta_delete;
  DROP TABLE message_text;
  DROP TABLE message_meta;

  -- AUTOINCREMENT: an id is never reused, so a row of the index waiting to be removed can never
  -- be mistaken for a newer message. indexed = 0 until the batch indexer has added its text.
  CREATE TABLE message_meta (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    blob_id   TEXT NOT NULL UNIQUE REFERENCES blobs(id) ON DELETE CASCADE,
    tree      TEXT NOT NULL,
    complete  INTEGER NOT NULL,
    indexed   INTEGER NOT NULL DEFAULT 0,
    subject   TEXT NOT NULL,
    addr_from TEXT NOT NULL,
    addr_to   TEXT NOT NULL,
    addr_cc   TEXT NOT NULL,
    addr_bcc  TEXT NOT NULL,
    headers   TEXT NOT NULL,
    body      TEXT NOT NULL
  );
  CREATE INDEX message_meta_pending ON message_meta (id) WHERE indexed = 0;

  -- Contentless: the text lives in message_meta; rows are removed by rowid alone.
  CREATE VIRTUAL TABLE message_index USING fts5(
    subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body,
    content = '', contentless_delete = 1,
    tokenize = 'trigram case_sensitive 0'
  );

  -- Index rows of messages whose bytes are gone, removed by the next batch.
  CREATE TABLE message_unindex (id INTEGER PRIMARY KEY);
  CREATE TRIGGER message_meta_delete AFTER DELETE ON message_meta WHEN old.indexed = 1 BEGIN
    INSERT OR IGNORE INTO message_unindex (id) VALUES (old.id);
  END;
  `,
  // 3 → 4 (IMAP): messages whose text was cut from the index are found without a scan.
  `
  CREATE INDEX message_meta_incomplete ON message_meta (blob_id) WHERE complete = 0;
  `,
  // 4 → 5 (POP3): whether a blob can go on a dot-terminated wire as it is, learnt at delivery;
  // NULL for blobs stored before (RETR then checks the bytes itself). The TLS ticket key, so
  // tickets survive a restart.
  `
  ALTER TABLE blobs ADD COLUMN dot_transparent INTEGER;

  CREATE TABLE tls_ticket_key (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    key        BLOB NOT NULL,
    created_at INTEGER NOT NULL
  );
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Brings the file up to SCHEMA_VERSION; refuses a file written by a newer postern. */
export function migrate(db: Database.Database): void {
  // Up to date (the usual case): no write lock, so opening the store (e.g. the CLI while the
  // server is mid-transaction) never waits on another process.
  if ((db.pragma('user_version', { simple: true }) as number) === SCHEMA_VERSION) return;
  const run = db.transaction(() => {
    // Read inside the (immediate) transaction: two processes opening a fresh file at once
    // must not both run migration 0.
    const current = db.pragma('user_version', { simple: true }) as number;
    if (current > SCHEMA_VERSION) {
      throw new Error(
        `The database was written by a newer postern (schema ${current}, this one knows ${SCHEMA_VERSION}); upgrade postern.`,
      );
    }
    for (let v = current; v < SCHEMA_VERSION; v++) {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }
  });
  run.immediate();
}
