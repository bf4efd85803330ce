// MailStore over one SQLite file (better-sqlite3). Every mutating method is one IMMEDIATE
// transaction: it takes the write lock up front, so a concurrent writer in another process (the
// `postern deliver` CLI) waits on busy_timeout instead of failing on a stale read snapshot.
// better-sqlite3 is synchronous; the async methods do all their work before they first yield,
// so a resolved promise means the transaction has committed (durably: synchronous=FULL).
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { blobIdOf } from '../blob.js';
import { ChangeFeedHub } from '../feed.js';
import { checkLockKey, LocalLocks } from '../local-locks.js';
import type {
  AccessRight, Account, AccountId, AccountPatch, AppendInput, AppendResult, ChangeFeed, Flag,
  FlagOperation, FlagUpdate, Grant, MailboxSummary, HeldLock, Mailbox, MailboxChange, MailboxId, MailStore, MessageRecord,
  NewAccount, SpecialUse, StoredContent, TextField,
} from '../types.js';
import type { MimePart } from '../../wire/mime/types.js';
import { isDotTransparent } from '../../wire/pop3/dot-stuffing.js';
import { checkTextField, indexMessage, textContains, type MessageIndexEntry } from '../message-index.js';
import { StoreError } from '../types.js';
import { checkMaxAge, TICKET_KEY_BYTES } from '../ticket-key.js';
import { checkBatch, indexNew } from '../append-batch.js';
import { checkUidValidity, nowSeconds } from '../uidvalidity.js';
import {
  applyFlagOperation, checkBlobId, checkFlagOperation, checkId, checkInternalDate, checkModseq,
  checkRaw, checkSpecialUse, duplicateMessage, isInbox, lookupDomain, lookupKey, normalizeAccountPatch,
  normalizeFlags, normalizeMailboxName, normalizeNewAccount, normalizeUids, renamedName, sameFlags,
} from '../validate.js';
import {
  type AccountRow, type ChangeRow, type GrantRow, type MailboxRow, type MessageRow, toAccount,
  toChange, toGrant, toMailbox, toMessage,
} from './rows.js';

/** How often the feed looks for commits made by other processes while anyone listens. */
export const CROSS_PROCESS_POLL_MS = 250;

/** The full-text index catches up this long after a write, this many messages per transaction. */
const INDEX_DELAY_MS = 20;
/** Mailbox summaries kept (IMAP SELECT of an unchanged mailbox). */
const SUMMARY_CACHE = 2048;
const INDEX_BATCH = 256;

// One server process owns a data directory, so its locks live in this process; keyed by file
// so two store objects on the same file (tests, a CLI command run in-process) share them.
const LOCKS_BY_FILE = new Map<string, LocalLocks>();

/** A mailbox row being written in the current transaction. */
interface MailboxCursor {
  id: MailboxId;
  uidValidity: number;
  uidNext: number;
  modseq: number;
  count: number;
  size: number;
  /** First modseq allocated in this transaction, for the feed. */
  firstModseq: number | null;
}

export interface SqlitePragmas {
  journalMode: string;
  synchronous: number;
  foreignKeys: number;
  busyTimeout: number;
  userVersion: number;
  mmapSize: number;
}

export class SqliteMailStore implements MailStore {
  readonly kind = 'sqlite' as const;
  readonly feed: ChangeFeed;
  /** Absolute path of the database file. */
  readonly file: string;

  readonly #db: Database.Database;
  readonly #hub: ChangeFeedHub;
  readonly #locks: LocalLocks;
  readonly #myLocks = new Set<HeldLock>();
  readonly #statements = new Map<string, Database.Statement>();
  #poll: NodeJS.Timeout | null = null;
  #indexTimer: NodeJS.Timeout | null = null;
  /** Mailbox summaries by the HIGHESTMODSEQ they were made at (see mailboxSummary). */
  readonly #summaries = new Map<MailboxId, { modseq: number; summary: MailboxSummary }>();
  /** No stored message lacks its cache row (checked once, then kept true by every write). */
  #allCached = false;
  #group: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | null = null;
  #dataVersion = 0;
  #closed = false;

  constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.file = file;
    let locks = LOCKS_BY_FILE.get(file);
    if (!locks) LOCKS_BY_FILE.set(file, (locks = new LocalLocks()));
    this.#locks = locks;
    this.#hub = new ChangeFeedHub(
      {
        highestModseqNow: (id) => this.#highestModseq(id),
        highestModseq: async (id) => this.#highestModseq(id),
        changesSince: async (id, since) => this.#changes(id, since),
      },
      { onActive: (active) => (active ? this.#startPolling() : this.#stopPolling()) },
    );
    this.feed = this.#hub;
    // Messages another process stored (postern deliver) may still wait for the index.
    this.#scheduleIndex();
  }

  /** The connection's settings, for diagnostics and tests. */
  pragmas(): SqlitePragmas {
    const p = (name: string) => this.#db.pragma(name, { simple: true });
    return {
      journalMode: p('journal_mode') as string,
      synchronous: p('synchronous') as number,
      foreignKeys: p('foreign_keys') as number,
      busyTimeout: p('busy_timeout') as number,
      userVersion: p('user_version') as number,
      mmapSize: p('mmap_size') as number,
    };
  }

  /** Runs PRAGMA integrity_check and returns its verdict ("ok" when the file is sound). */
  integrityCheck(): string {
    const rows = this.#db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check).join('\n');
  }

  // ---- accounts ------------------------------------------------------------------------------

  async createAccount(input: NewAccount): Promise<Account> {
    const a = normalizeNewAccount(input);
    const id = this.#write(() => {
      const info = this.#sql(
        `INSERT INTO accounts (address, upn, domain, sam, alias, password_hash, scram_salt,
           scram_iterations, scram_stored_key, scram_server_key, imap_enabled, pop_enabled,
           smtp_enabled, admin, disabled, shared, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        a.address, a.upn, a.domain, a.sam, a.alias, a.passwordHash,
        a.scram?.salt ?? null, a.scram?.iterations ?? null, a.scram?.storedKey ?? null,
        a.scram?.serverKey ?? null, +a.imapEnabled, +a.popEnabled, +a.smtpEnabled, +a.admin,
        +a.disabled, +a.shared, Date.now(),
      );
      return Number(info.lastInsertRowid);
    });
    return this.#account(id)!;
  }

  async updateAccount(id: AccountId, patch: AccountPatch): Promise<Account> {
    checkId(id, 'The account id');
    const p = normalizeAccountPatch(patch);
    const sets: string[] = [];
    const values: unknown[] = [];
    const set = (column: string, value: unknown) => {
      sets.push(`${column} = ?`);
      values.push(value);
    };
    if (p.upn !== undefined) set('upn', p.upn);
    if (p.domain !== undefined) set('domain', p.domain);
    if (p.sam !== undefined) set('sam', p.sam);
    if (p.alias !== undefined) set('alias', p.alias);
    if (p.passwordHash !== undefined) set('password_hash', p.passwordHash);
    if (p.scram !== undefined) {
      set('scram_salt', p.scram?.salt ?? null);
      set('scram_iterations', p.scram?.iterations ?? null);
      set('scram_stored_key', p.scram?.storedKey ?? null);
      set('scram_server_key', p.scram?.serverKey ?? null);
    }
    if (p.imapEnabled !== undefined) set('imap_enabled', +p.imapEnabled);
    if (p.popEnabled !== undefined) set('pop_enabled', +p.popEnabled);
    if (p.smtpEnabled !== undefined) set('smtp_enabled', +p.smtpEnabled);
    if (p.admin !== undefined) set('admin', +p.admin);
    if (p.disabled !== undefined) set('disabled', +p.disabled);
    if (p.shared !== undefined) set('shared', +p.shared);
    this.#write(() => {
      if (!this.#account(id)) throw new StoreError('NOT_FOUND', `There is no account ${id}.`);
      if (sets.length > 0) {
        this.#sql(`UPDATE accounts SET ${sets.join(', ')} WHERE id = ?`).run(...values, id);
      }
    });
    return this.#account(id)!;
  }

  async deleteAccount(id: AccountId): Promise<void> {
    checkId(id, 'The account id');
    this.#write(() => {
      if (!this.#account(id)) throw new StoreError('NOT_FOUND', `There is no account ${id}.`);
      const inAccount = 'mailbox_id IN (SELECT id FROM mailboxes WHERE account_id = ?)';
      const blobs = this.#sql(`SELECT blob_id, count(*) AS n FROM messages WHERE ${inAccount} GROUP BY blob_id`)
        .all(id) as Array<{ blob_id: string; n: number }>;
      this.#sql(`DELETE FROM messages WHERE ${inAccount}`).run(id);
      this.#releaseBlobs(blobs);
      // Mailboxes, their change logs and grants both ways go by ON DELETE CASCADE.
      this.#sql('DELETE FROM accounts WHERE id = ?').run(id);
    });
  }

  async getAccount(id: AccountId): Promise<Account | null> {
    return this.#account(id);
  }

  async findAccountByAddress(address: string): Promise<Account | null> {
    return this.#accountWhere('address = ?', lookupKey(address));
  }

  async findAccountByUpn(upn: string): Promise<Account | null> {
    return this.#accountWhere('upn = ?', lookupKey(upn));
  }

  async findAccountByAlias(alias: string): Promise<Account | null> {
    return this.#accountWhere('alias = ?', lookupKey(alias));
  }

  async findAccountsBySam(sam: string, domain: string | null): Promise<Account[]> {
    const rows = domain === null
      ? this.#sql('SELECT * FROM accounts WHERE sam = ? ORDER BY id').all(lookupKey(sam))
      : this.#sql('SELECT * FROM accounts WHERE sam = ? AND domain = ? ORDER BY id')
          .all(lookupKey(sam), lookupDomain(domain));
    return (rows as AccountRow[]).map(toAccount);
  }

  async listAccounts(): Promise<Account[]> {
    return (this.#sql('SELECT * FROM accounts ORDER BY id').all() as AccountRow[]).map(toAccount);
  }

  // ---- delegation ----------------------------------------------------------------------------

  async addGrant(grant: Grant): Promise<void> {
    checkId(grant.accountId, 'The account id');
    checkId(grant.granteeId, 'The grantee id');
    if (grant.access !== 'full') throw new StoreError('INVALID', `Unknown access right "${String(grant.access)}".`);
    if (grant.accountId === grant.granteeId) {
      throw new StoreError('INVALID', 'An account cannot be granted access to itself.');
    }
    this.#write(() => {
      if (!this.#account(grant.accountId)) throw new StoreError('NOT_FOUND', `There is no account ${grant.accountId}.`);
      if (!this.#account(grant.granteeId)) throw new StoreError('NOT_FOUND', `There is no account ${grant.granteeId}.`);
      this.#sql(
        `INSERT INTO grants (account_id, grantee_id, access) VALUES (?, ?, ?)
         ON CONFLICT (account_id, grantee_id) DO UPDATE SET access = excluded.access`,
      ).run(grant.accountId, grant.granteeId, grant.access);
    });
  }

  async removeGrant(accountId: AccountId, granteeId: AccountId): Promise<void> {
    checkId(accountId, 'The account id');
    checkId(granteeId, 'The grantee id');
    this.#write(() => {
      const info = this.#sql('DELETE FROM grants WHERE account_id = ? AND grantee_id = ?')
        .run(accountId, granteeId);
      if (info.changes === 0) throw new StoreError('NOT_FOUND', 'There is no such grant.');
    });
  }

  async listGrantsTo(granteeId: AccountId): Promise<Grant[]> {
    checkId(granteeId, 'The grantee id');
    return (this.#sql('SELECT * FROM grants WHERE grantee_id = ? ORDER BY account_id')
      .all(granteeId) as GrantRow[]).map(toGrant);
  }

  async listGrantsOn(accountId: AccountId): Promise<Grant[]> {
    checkId(accountId, 'The account id');
    return (this.#sql('SELECT * FROM grants WHERE account_id = ? ORDER BY grantee_id')
      .all(accountId) as GrantRow[]).map(toGrant);
  }

  async hasGrant(accountId: AccountId, granteeId: AccountId, access: AccessRight): Promise<boolean> {
    checkId(accountId, 'The account id');
    checkId(granteeId, 'The grantee id');
    return this.#sql('SELECT 1 FROM grants WHERE account_id = ? AND grantee_id = ? AND access = ?')
      .get(accountId, granteeId, access) !== undefined;
  }

  // ---- mailboxes -----------------------------------------------------------------------------

  async createMailbox(accountId: AccountId, name: string, specialUse?: SpecialUse | null): Promise<Mailbox> {
    checkId(accountId, 'The account id');
    const n = normalizeMailboxName(name);
    const use = checkSpecialUse(specialUse);
    const id = this.#write(() => {
      if (!this.#account(accountId)) throw new StoreError('NOT_FOUND', `There is no account ${accountId}.`);
      if (this.#mailboxByName(accountId, n)) throw new StoreError('ALREADY_EXISTS', `The mailbox "${n}" already exists.`);
      const { value } = this.#sql(
        `UPDATE meta SET value = max(value + 1, ?) WHERE key = 'uidvalidity' RETURNING value`,
      ).get(nowSeconds()) as { value: number };
      const info = this.#sql(
        'INSERT INTO mailboxes (account_id, name, special_use, uidvalidity) VALUES (?, ?, ?, ?)',
      ).run(accountId, n, use, checkUidValidity(value));
      return Number(info.lastInsertRowid);
    });
    return this.#mailbox(id)!;
  }

  async getMailbox(accountId: AccountId, name: string): Promise<Mailbox | null> {
    const row = this.#mailboxByName(accountId, normalizeMailboxName(name));
    return row ? toMailbox(row) : null;
  }

  async getMailboxById(id: MailboxId): Promise<Mailbox | null> {
    return this.#mailbox(id);
  }

  async listMailboxes(accountId: AccountId): Promise<Mailbox[]> {
    checkId(accountId, 'The account id');
    return (this.#sql('SELECT * FROM mailboxes WHERE account_id = ? ORDER BY name')
      .all(accountId) as MailboxRow[]).map(toMailbox);
  }

  async renameMailbox(id: MailboxId, newName: string): Promise<void> {
    checkId(id, 'The mailbox id');
    const to = normalizeMailboxName(newName);
    this.#write(() => {
      const box = this.#mailboxRow(id);
      if (!box) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
      // RFC 9051 §6.3.6 gives renaming INBOX its own meaning (move the messages, keep INBOX);
      // the session does that with move(), so here it is refused.
      if (isInbox(box.name)) throw new StoreError('INVALID', 'INBOX cannot be renamed.');
      const all = this.#sql('SELECT id, name FROM mailboxes WHERE account_id = ?')
        .all(box.account_id) as Array<{ id: number; name: string }>;
      const moving: Array<{ id: number; name: string }> = [];
      const staying = new Set<string>();
      for (const row of all) {
        const renamed = renamedName(row.name, box.name, to);
        if (renamed === null) staying.add(row.name);
        else moving.push({ id: row.id, name: renamed });
      }
      for (const row of moving) {
        if (staying.has(row.name) || row.name === box.name) {
          throw new StoreError('ALREADY_EXISTS', `The mailbox "${row.name}" already exists.`);
        }
      }
      // Two steps, so that a new name equal to the old name of another moving row (renaming a
      // mailbox into its own subtree) never trips UNIQUE half-way. LF cannot occur in a name.
      const update = this.#sql('UPDATE mailboxes SET name = ? WHERE id = ?');
      for (const row of moving) update.run(`\n${row.id}`, row.id);
      for (const row of moving) update.run(row.name, row.id);
    });
  }

  async deleteMailbox(id: MailboxId): Promise<void> {
    checkId(id, 'The mailbox id');
    this.#write(() => {
      const box = this.#mailboxRow(id);
      if (!box) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
      // RFC 9051 §6.3.5: it is an error to delete INBOX.
      if (isInbox(box.name)) throw new StoreError('INVALID', 'INBOX cannot be deleted.');
      const blobs = this.#sql('SELECT blob_id, count(*) AS n FROM messages WHERE mailbox_id = ? GROUP BY blob_id')
        .all(id) as Array<{ blob_id: string; n: number }>;
      this.#sql('DELETE FROM messages WHERE mailbox_id = ?').run(id);
      this.#releaseBlobs(blobs);
      // Children stay (RFC 9051 §6.3.5); the change log goes by ON DELETE CASCADE.
      this.#sql('DELETE FROM mailboxes WHERE id = ?').run(id);
    });
  }

  async setSubscribed(id: MailboxId, subscribed: boolean): Promise<void> {
    checkId(id, 'The mailbox id');
    if (typeof subscribed !== 'boolean') throw new StoreError('INVALID', 'subscribed must be true or false.');
    this.#write(() => {
      const info = this.#sql('UPDATE mailboxes SET subscribed = ? WHERE id = ?').run(+subscribed, id);
      if (info.changes === 0) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
    });
  }

  // ---- messages ------------------------------------------------------------------------------

  async append(mailboxId: MailboxId, input: AppendInput): Promise<AppendResult> {
    return (await this.appendMany([mailboxId], input))[0]!;
  }

  async appendMany(targets: MailboxId[], input: AppendInput): Promise<AppendResult[]> {
    if (!Array.isArray(targets)) throw new StoreError('INVALID', 'Targets must be a list of mailbox ids.');
    for (const id of targets) checkId(id, 'A mailbox id');
    checkRaw(input.raw);
    const flags = JSON.stringify(normalizeFlags(input.flags));
    const internalDate = checkInternalDate(input.internalDate).getTime();
    if (targets.length === 0) return [];
    const blobId = blobIdOf(input.raw);
    const size = input.raw.length;
    // Parse once, at delivery, outside the write lock (a copy of known bytes skips it).
    const entry = this.#hasMeta(blobId) ? null : indexMessage(input.raw);
    const dotTransparent = entry ? Number(isDotTransparent(input.raw)) : null;
    const cursors = new Map<MailboxId, MailboxCursor>();
    const { result: results, committed } = this.#writeGrouped(() => {
      for (const id of targets) {
        if (!cursors.has(id)) cursors.set(id, this.#cursor(id));
      }
      this.#sql(
        `INSERT INTO blobs (id, size, refcount, data, dot_transparent) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET refcount = refcount + excluded.refcount`,
      ).run(blobId, size, targets.length, input.raw, dotTransparent);
      if (entry) this.#insertMeta(blobId, entry);
      const out: AppendResult[] = [];
      for (const id of targets) {
        const c = cursors.get(id)!;
        const uid = this.#insertMessage(c, { flags, internal_date: internalDate, size, blob_id: blobId });
        out.push({ uid, uidValidity: c.uidValidity, modseq: c.modseq });
      }
      for (const c of cursors.values()) this.#flush(c);
      return out;
    });
    await committed;
    this.#announce(cursors.values());
    if (entry) this.#scheduleIndex();
    return results;
  }

  async appendBatch(mailboxId: MailboxId, inputs: AppendInput[]): Promise<AppendResult[]> {
    checkId(mailboxId, 'The mailbox id');
    const items = checkBatch(inputs);
    if (items.length === 0) return [];
    indexNew(items, (blobId) => this.#hasMeta(blobId));
    let cursor: MailboxCursor | null = null;
    const { result, committed } = this.#writeGrouped(() => {
      const c = cursor = this.#cursor(mailboxId);
      const out: AppendResult[] = [];
      for (const item of items) {
        this.#sql(
          `INSERT INTO blobs (id, size, refcount, data, dot_transparent) VALUES (?, ?, 1, ?, ?)
           ON CONFLICT (id) DO UPDATE SET refcount = refcount + 1`,
        ).run(item.blobId, item.raw.length, item.raw, item.dotTransparent === null ? null : Number(item.dotTransparent));
        if (item.entry) this.#insertMeta(item.blobId, item.entry);
        const uid = this.#insertMessage(c, { flags: JSON.stringify(item.flags), internal_date: item.internalDate.getTime(), size: item.raw.length, blob_id: item.blobId });
        out.push({ uid, uidValidity: c.uidValidity, modseq: c.modseq });
      }
      this.#flush(c);
      return out;
    });
    await committed;
    this.#announce([cursor!]);
    if (items.some((i) => i.entry)) this.#scheduleIndex();
    return result;
  }

  async listMessages(mailboxId: MailboxId): Promise<MessageRecord[]> {
    checkId(mailboxId, 'The mailbox id');
    if (!this.#mailboxRow(mailboxId)) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    return (this.#sql('SELECT * FROM messages WHERE mailbox_id = ? ORDER BY uid')
      .all(mailboxId) as MessageRow[]).map(toMessage);
  }

  async getMessage(mailboxId: MailboxId, uid: number): Promise<MessageRecord | null> {
    const row = this.#messageRow(mailboxId, uid);
    return row ? toMessage(row) : null;
  }

  async readBlob(blobId: string): Promise<Buffer> {
    checkBlobId(blobId);
    const row = this.#sql('SELECT data FROM blobs WHERE id = ?').get(blobId) as { data: Buffer } | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `There is no message with content ${blobId}.`);
    return row.data;
  }

  async readContent(blobId: string): Promise<StoredContent> {
    checkBlobId(blobId);
    const row = this.#sql('SELECT data, dot_transparent FROM blobs WHERE id = ?').get(blobId) as
      { data: Buffer; dot_transparent: number | null } | undefined;
    if (!row) throw new StoreError('NOT_FOUND', `There is no message with content ${blobId}.`);
    return { raw: row.data, dotTransparent: row.dot_transparent === null ? isDotTransparent(row.data) : row.dot_transparent === 1 };
  }

  async ticketKey(maxAgeMs: number): Promise<Buffer> {
    checkMaxAge(maxAgeMs);
    const current = () => this.#sql('SELECT key, created_at FROM tls_ticket_key WHERE id = 1').get() as
      { key: Buffer; created_at: number } | undefined;
    const fresh = (row: { created_at: number } | undefined) => row !== undefined && Date.now() - row.created_at < maxAgeMs;
    const seen = current();
    if (fresh(seen)) return seen!.key;
    // Checked again under the write lock: another process may have just made one.
    return this.#write(() => {
      const row = current();
      if (fresh(row)) return row!.key;
      const key = randomBytes(TICKET_KEY_BYTES);
      this.#sql('INSERT OR REPLACE INTO tls_ticket_key (id, key, created_at) VALUES (1, ?, ?)').run(key, Date.now());
      return key;
    });
  }

  async storeFlags(mailboxId: MailboxId, uids: number[], op: FlagOperation, flags: Flag[],
                   unchangedSince?: number): Promise<MessageRecord[]> {
    return (await this.updateFlags(mailboxId, uids, op, flags, unchangedSince)).changed;
  }

  async updateFlags(mailboxId: MailboxId, uids: number[], op: FlagOperation, flags: Flag[],
                    unchangedSince?: number): Promise<FlagUpdate> {
    checkId(mailboxId, 'The mailbox id');
    const wanted = normalizeUids(uids);
    checkFlagOperation(op);
    const given = normalizeFlags(flags);
    if (unchangedSince !== undefined) checkModseq(unchangedSince, 'UNCHANGEDSINCE');
    let cursor: MailboxCursor | null = null;
    const { result, committed } = this.#writeGrouped(() => {
      const c = (cursor = this.#cursor(mailboxId));
      const out: FlagUpdate = { changed: [], modified: [] };
      const update = this.#sql('UPDATE messages SET flags = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?');
      for (const uid of wanted) {
        const row = this.#messageRow(mailboxId, uid);
        if (!row) continue; // UIDs that do not exist are ignored (RFC 9051 §6.4.9)
        // RFC 7162 §3.1.3: a message modified after UNCHANGEDSINCE is left alone.
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          out.modified.push(uid);
          continue;
        }
        const before = JSON.parse(row.flags) as Flag[];
        const after = applyFlagOperation(before, op, given);
        if (sameFlags(before, after)) continue; // no change, no new modseq (RFC 7162 §3.1.3)
        const modseq = this.#nextModseq(c);
        const json = JSON.stringify(after);
        update.run(json, modseq, mailboxId, uid);
        this.#logChange(mailboxId, modseq, 'flags', uid, json);
        out.changed.push(toMessage({ ...row, flags: json, modseq }));
      }
      this.#flush(c);
      return out;
    });
    await committed;
    if (cursor) this.#announce([cursor]);
    return result;
  }

  async expunge(mailboxId: MailboxId, uids: number[]): Promise<number[]> {
    checkId(mailboxId, 'The mailbox id');
    const wanted = normalizeUids(uids);
    let cursor: MailboxCursor | null = null;
    const { result: removed, committed } = this.#writeGrouped(() => {
      const c = (cursor = this.#cursor(mailboxId));
      const out: number[] = [];
      const blobs = new Map<string, number>();
      const del = this.#sql('DELETE FROM messages WHERE mailbox_id = ? AND uid = ?');
      for (const uid of wanted) {
        const row = this.#messageRow(mailboxId, uid);
        if (!row) continue;
        del.run(mailboxId, uid);
        this.#logChange(mailboxId, this.#nextModseq(c), 'expunge', uid, null);
        c.count -= 1;
        c.size -= row.size;
        blobs.set(row.blob_id, (blobs.get(row.blob_id) ?? 0) + 1);
        out.push(uid);
      }
      this.#flush(c);
      this.#releaseBlobs([...blobs].map(([blob_id, n]) => ({ blob_id, n })));
      return out;
    });
    await committed;
    if (cursor) this.#announce([cursor]);
    return removed;
  }

  async copy(fromMailboxId: MailboxId, uids: number[], toMailboxId: MailboxId): Promise<Array<[number, number]>> {
    const { pairs, committed, cursors } = this.#transfer(fromMailboxId, uids, toMailboxId, false);
    await committed;
    this.#announce(cursors);
    return pairs;
  }

  async move(fromMailboxId: MailboxId, uids: number[], toMailboxId: MailboxId): Promise<Array<[number, number]>> {
    const { pairs, committed, cursors } = this.#transfer(fromMailboxId, uids, toMailboxId, true);
    await committed;
    this.#announce(cursors);
    return pairs;
  }

  async changesSince(mailboxId: MailboxId, since: number): Promise<MailboxChange[]> {
    checkId(mailboxId, 'The mailbox id');
    checkModseq(since, 'The modseq');
    if (!this.#mailboxRow(mailboxId)) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    return this.#changes(mailboxId, since);
  }

  // ---- for IMAP ------------------------------------------------------------------------------

  async getMessages(mailboxId: MailboxId, uids: number[]): Promise<MessageRecord[]> {
    checkId(mailboxId, 'The mailbox id');
    const wanted = normalizeUids(uids);
    if (wanted.length === 0) return [];
    if (wanted.length === 1) {
      const row = this.#messageRow(mailboxId, wanted[0]!);
      return row ? [toMessage(row)] : [];
    }
    const first = wanted[0]!;
    const last = wanted[wanted.length - 1]!;
    if (last - first + 1 === wanted.length) {
      // A run of UIDs (FETCH 100:199): a range scan of the primary key.
      return (this.#sql('SELECT * FROM messages WHERE mailbox_id = ? AND uid BETWEEN ? AND ? ORDER BY uid')
        .all(mailboxId, first, last) as MessageRow[]).map(toMessage);
    }
    return (this.#sql('SELECT * FROM messages WHERE mailbox_id = ? AND uid IN (SELECT value FROM json_each(?)) ORDER BY uid')
      .all(mailboxId, JSON.stringify(wanted)) as MessageRow[]).map(toMessage);
  }

  async getMimeTrees(blobIds: string[]): Promise<Map<string, MimePart>> {
    if (!Array.isArray(blobIds)) throw new StoreError('INVALID', 'Blob ids must be a list.');
    for (const id of blobIds) checkBlobId(id);
    const out = new Map<string, MimePart>();
    if (blobIds.length === 0) return out;
    const rows = (blobIds.length === 1
      ? this.#sql('SELECT blob_id, tree FROM message_meta WHERE blob_id = ?').all(blobIds[0])
      : this.#sql('SELECT blob_id, tree FROM message_meta WHERE blob_id IN (SELECT value FROM json_each(?))')
        .all(JSON.stringify(blobIds))) as Array<{ blob_id: string; tree: string }>;
    for (const r of rows) out.set(r.blob_id, JSON.parse(r.tree) as MimePart);
    for (const id of blobIds) {
      if (out.has(id)) continue;
      const entry = this.#indexStoredBlob(id);
      if (entry) out.set(id, JSON.parse(entry.tree) as MimePart);
    }
    return out;
  }

  async searchText(mailboxId: MailboxId, field: TextField, value: string): Promise<number[]> {
    checkId(mailboxId, 'The mailbox id');
    checkTextField(field);
    if (typeof value !== 'string') throw new StoreError('INVALID', 'The search text must be a string.');
    if (!this.#mailboxRow(mailboxId)) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    // Messages stored before the cache existed are parsed now (as Dovecot's fts does lazily);
    // once none are left anywhere, every message comes with its cache row and this is skipped.
    if (!this.#allCached) {
      const missing = this.#sql(
        `SELECT DISTINCT m.blob_id FROM messages m WHERE m.mailbox_id = ?
         AND NOT EXISTS (SELECT 1 FROM message_meta mm WHERE mm.blob_id = m.blob_id)`,
      ).all(mailboxId) as Array<{ blob_id: string }>;
      for (const { blob_id } of missing) this.#indexStoredBlob(blob_id);
      this.#allCached = this.#sql(
        'SELECT 1 FROM messages m WHERE NOT EXISTS (SELECT 1 FROM message_meta mm WHERE mm.blob_id = m.blob_id) LIMIT 1',
      ).get() === undefined;
    }
    // ...and what the batch indexer has not reached yet is indexed before the query runs.
    this.#maintainIndex(Infinity);
    if (value === '') {
      // (The statement is shared with mailboxSummary, which set it to pluck mode.)
      return this.#sql('SELECT uid FROM messages WHERE mailbox_id = ? ORDER BY uid').pluck().all(mailboxId) as number[];
    }
    const columns = FTS_COLUMNS[field];
    const found = new Set<number>();
    if ([...value].length >= 3) {
      const query = `{${columns.join(' ')}} : "${value.replace(/"/g, '""')}"`;
      // The index is read once (materialized), then joined; as a plain IN subquery SQLite would
      // re-run the MATCH for every message of the mailbox.
      const rows = this.#sql(
        // CROSS JOIN fixes the order: from the hits to their messages (by blob), not through
        // every message of the mailbox.
        `WITH hits AS MATERIALIZED (SELECT rowid AS id FROM message_index WHERE message_index MATCH ?)
         SELECT m.uid FROM hits CROSS JOIN message_meta mm ON mm.id = hits.id
         CROSS JOIN messages m ON m.blob_id = mm.blob_id AND m.mailbox_id = ?`,
      ).all(query, mailboxId) as Array<{ uid: number }>;
      for (const r of rows) found.add(r.uid);
    } else {
      // Shorter than a trigram: compare the cached text directly.
      const needle = value.toLowerCase();
      const rows = this.#sql(
        `SELECT m.uid, ${columns.map((c) => `mm.${c}`).join(', ')} FROM messages m
         JOIN message_meta mm ON mm.blob_id = m.blob_id WHERE m.mailbox_id = ?`,
      ).all(mailboxId) as Array<Record<string, string | number>>;
      for (const r of rows) {
        if (columns.some((c) => String(r[c] ?? '').toLowerCase().includes(needle))) found.add(r.uid as number);
      }
    }
    // Text cut from the index is searched in the message itself.
    const partial = this.#sql(
      `SELECT m.uid, m.blob_id FROM message_meta mm INDEXED BY message_meta_incomplete
       CROSS JOIN messages m ON m.blob_id = mm.blob_id AND m.mailbox_id = ? WHERE mm.complete = 0`,
    ).all(mailboxId) as Array<{ uid: number; blob_id: string }>;
    for (const r of partial) {
      if (found.has(r.uid)) continue;
      const raw = this.#blobData(r.blob_id);
      if (raw && textContains(raw, field, value)) found.add(r.uid);
    }
    return [...found].sort((a, b) => a - b);
  }

  async uidsWithFlag(mailboxId: MailboxId, flag: Flag): Promise<number[]> {
    checkId(mailboxId, 'The mailbox id');
    if (typeof flag !== 'string' || flag.length === 0) throw new StoreError('INVALID', 'A flag must be a non-empty string.');
    if (!this.#mailboxRow(mailboxId)) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    // flags is a JSON array of strings: match the JSON spelling of the flag with its quotes.
    // LIKE compares ASCII letters case-insensitively, as IMAP keywords are compared.
    const needle = JSON.stringify(flag).replace(/[!%_]/g, '!$&');
    return this.#sql(`SELECT uid FROM messages WHERE mailbox_id = ? AND flags LIKE ? ESCAPE '!' ORDER BY uid`)
      .pluck().all(mailboxId, `%${needle}%`) as number[];
  }

  async mailboxSummary(mailboxId: MailboxId): Promise<MailboxSummary> {
    checkId(mailboxId, 'The mailbox id');
    // Every change to a mailbox raises its HIGHESTMODSEQ (in any process), so a summary made at
    // the same modseq is still the truth: a client re-selecting a quiet mailbox costs one read.
    const modseq = this.#highestModseq(mailboxId);
    const cached = this.#summaries.get(mailboxId);
    if (cached && modseq !== null && cached.modseq === modseq) {
      this.#summaries.delete(mailboxId);
      this.#summaries.set(mailboxId, cached);
      return { ...cached.summary, uids: cached.summary.uids.slice(), keywords: cached.summary.keywords.slice() };
    }
    const summary = this.#summarize(mailboxId);
    if (modseq !== null) {
      this.#summaries.set(mailboxId, { modseq, summary: { ...summary, uids: summary.uids.slice(), keywords: summary.keywords.slice() } });
      if (this.#summaries.size > SUMMARY_CACHE) this.#summaries.delete(this.#summaries.keys().next().value!);
    }
    return summary;
  }

  #summarize(mailboxId: MailboxId): MailboxSummary {
    // One pass over the mailbox in SQLite; flags are stored as a JSON array of sorted strings,
    // so \Seen and "has a keyword" are plain text tests.
    const row = this.#sql(
      `SELECT (SELECT 1 FROM mailboxes WHERE id = ?) AS found, group_concat(uid, ',' ORDER BY uid) AS uids,
         min(CASE WHEN flags NOT LIKE '%"\\\\Seen"%' THEN uid END) AS first_unseen,
         max(modseq) AS highest, max(flags GLOB '*[[,]"[^\\]*') AS keyworded
       FROM messages WHERE mailbox_id = ?`,
    ).get(mailboxId, mailboxId) as { found: number | null; uids: string | null; first_unseen: number | null; highest: number | null; keyworded: number | null };
    if (!row.found) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    const uids = row.uids ? row.uids.split(',').map(Number) : [];
    const keywords = row.keyworded
      ? this.#sql(
        `SELECT DISTINCT j.value FROM messages m, json_each(m.flags) j
         WHERE m.mailbox_id = ? AND substr(j.value, 1, 1) <> '\\' ORDER BY j.value`,
      ).pluck().all(mailboxId) as string[]
      : [];
    return { uids, firstUnseenUid: row.first_unseen ?? null, keywords, highestMessageModseq: row.highest ?? 0 };
  }

  async claimRecent(mailboxId: MailboxId): Promise<number> {
    checkId(mailboxId, 'The mailbox id');
    // Usually nothing new arrived since the last SELECT: answered without a write transaction.
    const seen = this.#sql('SELECT recent_uid, uidnext FROM mailboxes WHERE id = ?').get(mailboxId) as
      | { recent_uid: number; uidnext: number }
      | undefined;
    if (seen && seen.recent_uid === seen.uidnext) return seen.recent_uid;
    return this.#write(() => {
      const row = this.#sql('SELECT recent_uid, uidnext FROM mailboxes WHERE id = ?').get(mailboxId) as
        | { recent_uid: number; uidnext: number }
        | undefined;
      if (!row) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
      if (row.recent_uid !== row.uidnext) {
        this.#sql('UPDATE mailboxes SET recent_uid = uidnext WHERE id = ?').run(mailboxId);
      }
      return row.recent_uid;
    });
  }

  // ---- coordination --------------------------------------------------------------------------

  async tryLock(key: string): Promise<HeldLock | null> {
    checkLockKey(key);
    if (this.#closed) throw new StoreError('INVALID', 'The store is closed.');
    const lock = this.#locks.tryTake(key, async () => {
      this.#myLocks.delete(lock!);
    });
    if (lock) this.#myLocks.add(lock);
    return lock;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#commitGroup();
    this.#closed = true;
    if (this.#indexTimer) clearTimeout(this.#indexTimer);
    this.#indexTimer = null;
    this.#stopPolling();
    this.#hub.close();
    for (const lock of [...this.#myLocks]) await lock.release();
    this.#db.close();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** A prepared statement, compiled once per store. */
  #sql(source: string): Database.Statement {
    let stmt = this.#statements.get(source);
    if (!stmt) this.#statements.set(source, (stmt = this.#db.prepare(source)));
    return stmt;
  }

  /** Runs `fn` as one IMMEDIATE transaction, mapping constraint errors to StoreError. */
  #write<T>(fn: () => T): T {
    // Whatever a group has done commits first: this write must not become part of it.
    if (this.#group) this.#commitGroup();
    try {
      return this.#db.transaction(fn).immediate();
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  /**
   * Group commit for the busy message writes (append, flags, expunge, copy, move): writes made
   * in the same turn of the event loop share one transaction and so one fsync, committed just
   * after the turn. `fn` runs in a savepoint of its own (a failure undoes only its part); the
   * caller awaits `committed` before it reports success, so durability is as with #write.
   */
  #writeGrouped<T>(fn: () => T): { result: T; committed: Promise<void> } {
    if (!this.#group) {
      this.#db.exec('BEGIN IMMEDIATE');
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => { resolve = res; reject = rej; });
      // Nobody may be left with an unhandled rejection: each caller awaits its own copy.
      promise.catch(() => {});
      this.#group = { promise, resolve, reject };
      setImmediate(() => this.#commitGroup());
    }
    const group = this.#group;
    try {
      return { result: this.#db.transaction(fn)(), committed: group.promise };
    } catch (error) {
      throw mapSqliteError(error);
    }
  }

  #commitGroup(): void {
    const group = this.#group;
    if (!group) return;
    this.#group = null;
    try {
      this.#db.exec('COMMIT');
      group.resolve();
    } catch (error) {
      try { this.#db.exec('ROLLBACK'); } catch { /* already rolled back */ }
      group.reject(mapSqliteError(error));
    }
  }

  #account(id: AccountId): Account | null {
    const row = this.#sql('SELECT * FROM accounts WHERE id = ?').get(id) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  #accountWhere(where: string, value: string): Account | null {
    const row = this.#sql(`SELECT * FROM accounts WHERE ${where}`).get(value) as AccountRow | undefined;
    return row ? toAccount(row) : null;
  }

  #mailboxRow(id: MailboxId): MailboxRow | undefined {
    return this.#sql('SELECT * FROM mailboxes WHERE id = ?').get(id) as MailboxRow | undefined;
  }

  #mailbox(id: MailboxId): Mailbox | null {
    const row = this.#mailboxRow(id);
    return row ? toMailbox(row) : null;
  }

  #mailboxByName(accountId: AccountId, name: string): MailboxRow | undefined {
    return this.#sql('SELECT * FROM mailboxes WHERE account_id = ? AND name = ?')
      .get(accountId, name) as MailboxRow | undefined;
  }

  #messageRow(mailboxId: MailboxId, uid: number): MessageRow | undefined {
    return this.#sql('SELECT * FROM messages WHERE mailbox_id = ? AND uid = ?')
      .get(mailboxId, uid) as MessageRow | undefined;
  }

  #hasMeta(blobId: string): boolean {
    return this.#sql('SELECT 1 FROM message_meta WHERE blob_id = ?').get(blobId) !== undefined;
  }

  /** Inside a write transaction: the cache row (nothing if present); the batch indexer adds its text. */
  #insertMeta(blobId: string, e: MessageIndexEntry): void {
    this.#sql(
      `INSERT INTO message_meta (blob_id, tree, complete, subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (blob_id) DO NOTHING`,
    ).run(blobId, e.tree, +e.complete, e.subject, e.from, e.to, e.cc, e.bcc, e.headers, e.body);
  }

  /** Soon after writes: the full-text index catches up in the background. */
  #scheduleIndex(): void {
    if (this.#indexTimer || this.#closed) return;
    this.#indexTimer = setTimeout(() => {
      this.#indexTimer = null;
      try {
        // A few batches per turn of the event loop, so sessions keep being served meanwhile.
        if (this.#maintainIndex(INDEX_BATCH)) this.#scheduleIndex();
      } catch {
        // The file is busy (another process writing); the next write or search retries.
      }
    }, INDEX_DELAY_MS);
    this.#indexTimer.unref();
  }

  /**
   * Adds pending messages to the full-text index and removes those whose bytes are gone, at
   * most `limit` of each, one transaction (one FTS5 segment) per batch. Returns true when work
   * is left.
   */
  #maintainIndex(limit: number): boolean {
    if (this.#closed) return false;
    let left = limit;
    for (;;) {
      const n = Math.min(INDEX_BATCH, left);
      const pending = this.#sql('SELECT id, subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body FROM message_meta WHERE indexed = 0 ORDER BY id LIMIT ?')
        .all(n) as Array<{ id: number; subject: string; addr_from: string; addr_to: string; addr_cc: string; addr_bcc: string; headers: string; body: string }>;
      const gone = this.#sql('SELECT id FROM message_unindex ORDER BY id LIMIT ?').pluck().all(n) as number[];
      if (pending.length === 0 && gone.length === 0) return false;
      this.#write(() => {
        const add = this.#sql(
          `INSERT INTO message_index (rowid, subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        const mark = this.#sql('UPDATE message_meta SET indexed = 1 WHERE id = ? AND indexed = 0');
        for (const r of pending) {
          // Only rows still pending inside the transaction (another process may have done them).
          if (mark.run(r.id).changes === 1) add.run(r.id, r.subject, r.addr_from, r.addr_to, r.addr_cc, r.addr_bcc, r.headers, r.body);
        }
        const drop = this.#sql('DELETE FROM message_index WHERE rowid = ?');
        const done = this.#sql('DELETE FROM message_unindex WHERE id = ?');
        for (const id of gone) {
          if (done.run(id).changes === 1) drop.run(id);
        }
      });
      left -= Math.max(pending.length, gone.length);
      if (left <= 0) return true;
      if (pending.length < n && gone.length < n) return false;
    }
  }

  #blobData(blobId: string): Buffer | null {
    const row = this.#sql('SELECT data FROM blobs WHERE id = ?').get(blobId) as { data: Buffer } | undefined;
    return row ? row.data : null;
  }

  /** Parses and indexes a stored message that has no cache row yet; null if the blob is gone. */
  #indexStoredBlob(blobId: string): MessageIndexEntry | null {
    const raw = this.#blobData(blobId);
    if (!raw) return null;
    const entry = indexMessage(raw);
    this.#write(() => {
      if (this.#sql('SELECT 1 FROM blobs WHERE id = ?').get(blobId)) this.#insertMeta(blobId, entry);
    });
    this.#scheduleIndex();
    return entry;
  }

  #highestModseq(id: MailboxId): number | null {
    const row = this.#sql('SELECT highest_modseq FROM mailboxes WHERE id = ?').get(id) as
      | { highest_modseq: number }
      | undefined;
    return row ? row.highest_modseq : null;
  }

  #changes(mailboxId: MailboxId, since: number): MailboxChange[] {
    return (this.#sql('SELECT * FROM changes WHERE mailbox_id = ? AND modseq > ? ORDER BY modseq')
      .all(mailboxId, since) as ChangeRow[]).map(toChange);
  }

  #cursor(id: MailboxId): MailboxCursor {
    const row = this.#mailboxRow(id);
    if (!row) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
    return {
      id, uidValidity: row.uidvalidity, uidNext: row.uidnext, modseq: row.highest_modseq,
      count: row.message_count, size: row.total_size, firstModseq: null,
    };
  }

  #nextModseq(c: MailboxCursor): number {
    c.modseq += 1;
    c.firstModseq ??= c.modseq;
    return c.modseq;
  }

  #flush(c: MailboxCursor): void {
    this.#sql(
      'UPDATE mailboxes SET uidnext = ?, highest_modseq = ?, message_count = ?, total_size = ? WHERE id = ?',
    ).run(c.uidNext, c.modseq, c.count, c.size, c.id);
  }

  /** Inserts a message at the mailbox's next UID with a new modseq; returns the UID. */
  #insertMessage(c: MailboxCursor, m: { flags: string; internal_date: number; size: number; blob_id: string }): number {
    const uid = c.uidNext;
    c.uidNext += 1;
    const modseq = this.#nextModseq(c);
    this.#sql(
      `INSERT INTO messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(c.id, uid, modseq, m.flags, m.internal_date, m.size, m.blob_id);
    this.#logChange(c.id, modseq, 'append', uid, null);
    c.count += 1;
    c.size += m.size;
    return uid;
  }

  #logChange(mailboxId: MailboxId, modseq: number, kind: MailboxChange['kind'], uid: number, flags: string | null): void {
    this.#sql('INSERT INTO changes (mailbox_id, modseq, kind, uid, flags) VALUES (?, ?, ?, ?, ?)')
      .run(mailboxId, modseq, kind, uid, flags);
  }

  /** Drops `n` references from each blob and deletes the blobs nobody references any more. */
  #releaseBlobs(blobs: Array<{ blob_id: string; n: number }>): void {
    const dec = this.#sql('UPDATE blobs SET refcount = refcount - ? WHERE id = ?');
    const gc = this.#sql('DELETE FROM blobs WHERE id = ? AND refcount <= 0');
    for (const { blob_id, n } of blobs) {
      dec.run(n, blob_id);
      gc.run(blob_id);
    }
    // Messages whose bytes went left index rows to remove (message_meta_delete queued them).
    if (blobs.length > 0) this.#scheduleIndex();
  }

  /** COPY (RFC 9051 §6.4.7) and MOVE (RFC 6851 §3.3): flags and internal date are kept. */
  #transfer(fromId: MailboxId, uids: number[], toId: MailboxId, move: boolean): { pairs: Array<[number, number]>; committed: Promise<void>; cursors: MailboxCursor[] } {
    checkId(fromId, 'The source mailbox id');
    checkId(toId, 'The destination mailbox id');
    const wanted = normalizeUids(uids);
    const cursors = new Map<MailboxId, MailboxCursor>();
    const { result: pairs, committed } = this.#writeGrouped(() => {
      const src = this.#cursor(fromId);
      cursors.set(fromId, src);
      const dst = toId === fromId ? src : this.#cursor(toId);
      cursors.set(toId, dst);
      const rows: MessageRow[] = [];
      for (const uid of wanted) {
        const row = this.#messageRow(fromId, uid);
        if (row) rows.push(row);
      }
      const out: Array<[number, number]> = [];
      const relocate = this.#sql(
        'UPDATE messages SET mailbox_id = ?, uid = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?',
      );
      const addRef = this.#sql('UPDATE blobs SET refcount = refcount + 1 WHERE id = ?');
      for (const row of rows) {
        if (move) {
          // The row itself moves: same blob reference, new place, new UID and modseq.
          const uid = dst.uidNext;
          dst.uidNext += 1;
          const modseq = this.#nextModseq(dst);
          relocate.run(toId, uid, modseq, fromId, row.uid);
          this.#logChange(toId, modseq, 'append', uid, null);
          dst.count += 1;
          dst.size += row.size;
          this.#logChange(fromId, this.#nextModseq(src), 'expunge', row.uid, null);
          src.count -= 1;
          src.size -= row.size;
          out.push([row.uid, uid]);
        } else {
          addRef.run(row.blob_id);
          out.push([row.uid, this.#insertMessage(dst, row)]);
        }
      }
      for (const c of cursors.values()) this.#flush(c);
      return out;
    });
    return { pairs, committed, cursors: [...cursors.values()] };
  }

  /** Tells the feed about committed changes. */
  #announce(cursors: Iterable<MailboxCursor>): void {
    for (const c of cursors) {
      if (c.firstModseq !== null) this.#hub.committed(c.id, c.firstModseq);
    }
  }

  // Another process writing the same file (`postern deliver`) cannot call into our feed, so
  // while anyone listens we look for foreign commits: PRAGMA data_version changes exactly when
  // another connection has committed (https://sqlite.org/pragma.html#pragma_data_version),
  // and the hub then reads the change log of each subscribed mailbox past what it delivered.
  #startPolling(): void {
    if (this.#poll || this.#closed) return;
    this.#dataVersion = this.#db.pragma('data_version', { simple: true }) as number;
    this.#poll = setInterval(() => {
      try {
        const version = this.#db.pragma('data_version', { simple: true }) as number;
        if (version !== this.#dataVersion) {
          this.#dataVersion = version;
          this.#hub.pokeAll();
        }
      } catch {
        // The file is busy or closing; the next tick tries again.
      }
    }, CROSS_PROCESS_POLL_MS);
    this.#poll.unref();
    // Anything another process committed between our last look and now.
    this.#hub.pokeAll();
  }

  #stopPolling(): void {
    if (this.#poll) clearInterval(this.#poll);
    this.#poll = null;
  }
}

/** Index columns per search field. */
const FTS_COLUMNS: Record<TextField, string[]> = {
  subject: ['subject'],
  from: ['addr_from'],
  to: ['addr_to'],
  cc: ['addr_cc'],
  bcc: ['addr_bcc'],
  headers: ['headers'],
  body: ['body'],
  text: ['headers', 'body'],
};

/** Constraint failures that reach here become StoreErrors; anything else is passed on. */
function mapSqliteError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  const e = error as { code?: string; message?: string };
  if (e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const m = /UNIQUE constraint failed: (\w+)\.(\w+)(, (\w+)\.(\w+))?/.exec(e.message ?? '');
    if (m && m[1] === 'accounts') {
      return new StoreError('ALREADY_EXISTS', duplicateMessage(m[4] ? m[5]! : m[2]!));
    }
    return new StoreError('ALREADY_EXISTS', 'It already exists.');
  }
  if (e.code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return new StoreError('NOT_FOUND', 'A referenced account or mailbox does not exist.');
  }
  return error;
}
