// What only the SQLite store promises: its file and settings, a second process (the
// `postern deliver` CLI) writing while the server runs, and durability across SIGKILL.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore, SQLITE_SCHEMA_VERSION } from '../../src/store/sqlite/index.js';
import { collect, durableMessage, message, newAccount, tempDir } from './helpers.js';
import { runFixture } from './process.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  try {
    await fn(dir.path);
  } finally {
    dir.remove();
  }
}

async function inboxIn(dir: string): Promise<number> {
  const store = await openSqliteStore(dir);
  try {
    const a = await store.createAccount(newAccount('pat'));
    return (await store.createMailbox(a.id, 'INBOX')).id;
  } finally {
    await store.close();
  }
}

describe('SQLite store', () => {
  test('the store lives in <data>/postern.sqlite in WAL mode with synchronous=FULL, foreign keys on and reads mapped', () =>
    withDir(async (dir) => {
      const store = await openSqliteStore(join(dir, 'nested', 'data'));
      try {
        assert.equal(store.file, join(dir, 'nested', 'data', 'postern.sqlite'));
        assert.ok(existsSync(store.file));
        assert.deepEqual(store.pragmas(), {
          journalMode: 'wal',
          synchronous: 2, // FULL
          foreignKeys: 1,
          busyTimeout: 5000,
          userVersion: SQLITE_SCHEMA_VERSION,
          mmapSize: 1 << 30,
        });
        assert.equal(store.integrityCheck(), 'ok');
      } finally {
        await store.close();
      }
    }));

  test('a custom file name keeps a separate store in the same directory', () =>
    withDir(async (dir) => {
      const a = await openSqliteStore(dir);
      const b = await openSqliteStore(dir, { fileName: 'other.sqlite' });
      try {
        await a.createAccount(newAccount('only-in-a'));
        assert.equal(b.file, join(dir, 'other.sqlite'));
        assert.deepEqual(await b.listAccounts(), []);
      } finally {
        await a.close();
        await b.close();
      }
    }));

  test('a file written by a newer postern is refused with a message saying to upgrade', () =>
    withDir(async (dir) => {
      await (await openSqliteStore(dir)).close();
      const raw = new Database(join(dir, 'postern.sqlite'));
      raw.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      raw.close();
      await assert.rejects(openSqliteStore(dir), /newer postern.*upgrade postern/);
    }));

  test('a file of schema 4 is migrated: its blobs are checked for dot-transparency on read, a ticket key is made', () =>
    withDir(async (dir) => {
      const inbox = await inboxIn(dir);
      const texts = ['Subject: a\r\n\r\nclean\r\n', 'Subject: b\r\n\r\n.dot\r\n', 'Subject: c\r\n\r\nbare\n'];
      let store = await openSqliteStore(dir);
      for (const t of texts) await store.append(inbox, { raw: Buffer.from(t) });
      await store.close();
      const raw = new Database(join(dir, 'postern.sqlite'));
      raw.exec('ALTER TABLE blobs DROP COLUMN dot_transparent; DROP TABLE tls_ticket_key');
      raw.pragma('user_version = 4');
      raw.close();
      store = await openSqliteStore(dir);
      try {
        assert.equal(store.pragmas().userVersion, SQLITE_SCHEMA_VERSION);
        const got = [];
        for (const m of await store.listMessages(inbox)) got.push((await store.readContent(m.blobId)).dotTransparent);
        assert.deepEqual(got, [true, false, false]);
        assert.equal((await store.ticketKey(60_000)).length, 48);
      } finally {
        await store.close();
      }
    }));

  test('blob reference counts match the messages that use them after copies, moves and deletes', () =>
    withDir(async (dir) => {
      const store = await openSqliteStore(dir);
      try {
        const a = await store.createAccount(newAccount('rex'));
        const inbox = await store.createMailbox(a.id, 'INBOX');
        const box = await store.createMailbox(a.id, 'Box');
        const same = message('identical');
        for (let i = 0; i < 4; i++) await store.append(inbox.id, { raw: i % 2 ? same : message() });
        await store.copy(inbox.id, [1, 2, 3], box.id);
        await store.move(inbox.id, [2, 4], box.id);
        await store.expunge(box.id, [1]);
        await store.appendMany([inbox.id, box.id, box.id], { raw: same });
        await store.deleteMailbox(box.id);
        const raw = new Database(store.file, { readonly: true });
        try {
          const bad = raw.prepare(
            `SELECT b.id, b.refcount, (SELECT count(*) FROM messages m WHERE m.blob_id = b.id) AS used
             FROM blobs b WHERE b.refcount <> (SELECT count(*) FROM messages m WHERE m.blob_id = b.id)`,
          ).all();
          assert.deepEqual(bad, []);
          const missing = raw.prepare('SELECT count(*) AS n FROM messages WHERE blob_id NOT IN (SELECT id FROM blobs)').get();
          assert.deepEqual(missing, { n: 0 });
          const blobs = raw.prepare('SELECT count(*) AS n FROM blobs').get() as { n: number };
          assert.equal(blobs.n, new Set((await store.listMessages(inbox.id)).map((m) => m.blobId)).size);
        } finally {
          raw.close();
        }
      } finally {
        await store.close();
      }
    }));

  test('a message delivered by another process reaches the running server\'s subscribers', () =>
    withDir(async (dir) => {
      const inbox = await inboxIn(dir);
      const store = await openSqliteStore(dir);
      try {
        const events = collect(store, inbox);
        const child = runFixture('sqlite-writer', [dir, String(inbox), 'changes']);
        assert.equal(await child.exited, 0, child.stderr());
        const got = await events.waitFor(3);
        assert.deepEqual(got.map((c) => [c.kind, c.uid]), [['append', 1], ['flags', 1], ['expunge', 1]]);
        assert.deepEqual(got[1]!.kind === 'flags' && got[1]!.flags, ['\\Seen']);
        // And the server's own writes carry on from the CLI's UIDs and modseqs.
        const mine = await store.append(inbox, { raw: message() });
        assert.equal(mine.uid, 2);
        assert.ok(mine.modseq > got[2]!.modseq);
        assert.equal((await events.waitFor(4))[3]!.modseq, mine.modseq);
        events.stop();
      } finally {
        await store.close();
      }
    }));

  test('a write from another process waits for a running transaction instead of failing', () =>
    withDir(async (dir) => {
      const inbox = await inboxIn(dir);
      const blocker = new Database(join(dir, 'postern.sqlite'));
      blocker.exec('BEGIN IMMEDIATE');
      let child;
      try {
        child = runFixture('sqlite-writer', [dir, String(inbox), 'append', '1']);
        await child.waitForLine((l) => l === 'ready');
        await sleep(300); // the child is now waiting on busy_timeout
        assert.deepEqual(child.lines, ['ready'], 'nothing can be written while the transaction runs');
      } finally {
        blocker.exec('COMMIT');
        blocker.close();
      }
      assert.equal(await child.exited, 0, child.stderr());
      assert.deepEqual(child.lines, ['ready', '1']);
    }));

  test('two processes appending to one mailbox at once never get the same UID', () =>
    withDir(async (dir) => {
      const inbox = await inboxIn(dir);
      const n = 40;
      const a = runFixture('sqlite-writer', [dir, String(inbox), 'append', String(n)]);
      const b = runFixture('sqlite-writer', [dir, String(inbox), 'append', String(n)]);
      assert.equal(await a.exited, 0, a.stderr());
      assert.equal(await b.exited, 0, b.stderr());
      const uids = [...a.lines, ...b.lines].filter((l) => l !== 'ready').map(Number);
      assert.equal(uids.length, 2 * n);
      assert.deepEqual([...uids].sort((x, y) => x - y), Array.from({ length: 2 * n }, (_, i) => i + 1));
      const store = await openSqliteStore(dir);
      try {
        const mb = (await store.getMailboxById(inbox))!;
        assert.equal(mb.messageCount, 2 * n);
        assert.equal(mb.uidNext, 2 * n + 1);
      } finally {
        await store.close();
      }
    }));

  test('every append acknowledged before a SIGKILL is there after restart, byte for byte', () =>
    withDir(async (dir) => {
      const inbox = await inboxIn(dir);
      const child = runFixture('sqlite-writer', [dir, String(inbox), 'loop']);
      // Kill it mid-burst, while it is still appending.
      await child.waitForLine((l) => l.startsWith('150 '), 60_000);
      child.process.kill('SIGKILL');
      assert.equal(await child.exited, 'SIGKILL');
      const acknowledged = child.lines.filter((l) => l !== 'ready').map((l) => l.split(' ').map(Number) as [number, number]);
      assert.ok(acknowledged.length >= 150);

      const store = await openSqliteStore(dir);
      try {
        assert.equal(store.integrityCheck(), 'ok');
        for (const [uid, i] of acknowledged) {
          const m = await store.getMessage(inbox, uid);
          assert.ok(m, `acknowledged UID ${uid} is missing`);
          assert.ok((await store.readBlob(m.blobId)).equals(durableMessage(i)), `UID ${uid} has the wrong bytes`);
        }
        // Commits the child made but had no time to print are whole messages too.
        const all = await store.listMessages(inbox);
        assert.deepEqual(all.map((m) => m.uid), Array.from({ length: all.length }, (_, k) => k + 1));
        for (const m of all) assert.ok((await store.readBlob(m.blobId)).equals(durableMessage(m.uid - 1)));
        assert.equal((await store.getMailboxById(inbox))!.messageCount, all.length);
      } finally {
        await store.close();
      }
    }));
});
