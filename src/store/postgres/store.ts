// MailStore over PostgreSQL, safe for several nodes writing at once. Each mutating method is one
// READ COMMITTED transaction that first locks the mailbox rows it changes (SELECT … FOR UPDATE,
// in id order), so UIDs and modseqs are handed out one writer at a time per mailbox and commits
// land in modseq order — which is what lets the feed read the change log "past modseq N" without
// ever skipping a late commit. Blob rows are locked after mailbox rows, also in id order.
import pg from 'pg';
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
import { AdvisoryLocks } from './advisory-locks.js';
import { NotificationListener } from './listener.js';
import {
  type AccountRow, type ChangeRow, type GrantRow, type MailboxRow, type MessageRow, toAccount,
  toChange, toGrant, toMailbox, toMessage,
} from './rows.js';

type Db = pg.PoolClient;

interface MailboxCursor {
  id: MailboxId;
  uidValidity: number;
  uidNext: number;
  modseq: number;
  count: number;
  size: number;
  firstModseq: number | null;
}

/** Rows for the change log, written in one statement. */
interface ChangeBatch {
  mailboxIds: number[];
  modseqs: number[];
  kinds: string[];
  uids: number[];
  /** Flags joined by " " (flags never contain spaces), or null. */
  flags: Array<string | null>;
}

const RETRIES = 5;

export class PostgresMailStore implements MailStore {
  readonly kind = 'postgres' as const;
  readonly feed: ChangeFeed;
  readonly schema: string;

  readonly #pool: pg.Pool;
  readonly #s: string;
  readonly #channel: string;
  readonly #hub: ChangeFeedHub;
  readonly #listener: NotificationListener;
  readonly #advisory: AdvisoryLocks;
  readonly #locks = new LocalLocks();
  readonly #held = new Map<string, HeldLock>();
  #closed = false;

  constructor(pool: pg.Pool, url: string, schema: string) {
    this.#pool = pool;
    this.schema = schema;
    this.#s = `"${schema}"`;
    this.#channel = `${schema}_changes`;
    this.#hub = new ChangeFeedHub(
      {
        highestModseq: (id) => this.#highestModseq(id),
        changesSince: (id, since) => this.#changes(this.#pool, id, since),
      },
      { onActive: (active) => (active ? this.#listener.start() : undefined) },
    );
    this.feed = this.#hub;
    this.#listener = new NotificationListener(url, this.#channel, (id) => this.#hub.poke(id), () => this.#hub.pokeAll());
    this.#advisory = new AdvisoryLocks(url, `postern:${schema}`, () => {
      // The lock connection died and PostgreSQL let go of its locks: so do we.
      for (const key of this.#held.keys()) this.#locks.drop(key);
      this.#held.clear();
    });
  }

  /** Resolves once this store receives other nodes' changes (LISTEN is in effect). */
  listening(): Promise<void> {
    return this.#listener.listening();
  }

  // ---- accounts ------------------------------------------------------------------------------

  async createAccount(input: NewAccount): Promise<Account> {
    const a = normalizeNewAccount(input);
    const row = await this.#one<AccountRow>(
      this.#pool,
      `INSERT INTO ${this.#s}.accounts (address, upn, domain, sam, alias, password_hash, scram_salt,
         scram_iterations, scram_stored_key, scram_server_key, imap_enabled, pop_enabled,
         smtp_enabled, admin, disabled, shared)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING *`,
      [a.address, a.upn, a.domain, a.sam, a.alias, a.passwordHash, a.scram?.salt ?? null,
       a.scram?.iterations ?? null, a.scram?.storedKey ?? null, a.scram?.serverKey ?? null,
       a.imapEnabled, a.popEnabled, a.smtpEnabled, a.admin, a.disabled, a.shared],
    );
    return toAccount(row!);
  }

  async updateAccount(id: AccountId, patch: AccountPatch): Promise<Account> {
    checkId(id, 'The account id');
    const p = normalizeAccountPatch(patch);
    const sets: string[] = [];
    const values: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
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
    if (p.imapEnabled !== undefined) set('imap_enabled', p.imapEnabled);
    if (p.popEnabled !== undefined) set('pop_enabled', p.popEnabled);
    if (p.smtpEnabled !== undefined) set('smtp_enabled', p.smtpEnabled);
    if (p.admin !== undefined) set('admin', p.admin);
    if (p.disabled !== undefined) set('disabled', p.disabled);
    if (p.shared !== undefined) set('shared', p.shared);
    const sql = sets.length > 0
      ? `UPDATE ${this.#s}.accounts SET ${sets.join(', ')} WHERE id = $1 RETURNING *`
      : `SELECT * FROM ${this.#s}.accounts WHERE id = $1`;
    const row = await this.#one<AccountRow>(this.#pool, sql, values);
    if (!row) throw new StoreError('NOT_FOUND', `There is no account ${id}.`);
    return toAccount(row);
  }

  async deleteAccount(id: AccountId): Promise<void> {
    checkId(id, 'The account id');
    await this.#tx(async (db) => {
      const account = await this.#one(db, `SELECT id FROM ${this.#s}.accounts WHERE id = $1 FOR UPDATE`, [id]);
      if (!account) throw new StoreError('NOT_FOUND', `There is no account ${id}.`);
      const boxes = await this.#all<{ id: number }>(db,
        `SELECT id FROM ${this.#s}.mailboxes WHERE account_id = $1 ORDER BY id FOR UPDATE`, [id]);
      const ids = boxes.map((b) => b.id);
      const blobs = await this.#all<{ blob_id: string; n: number }>(db,
        `SELECT blob_id, count(*)::bigint AS n FROM ${this.#s}.messages
         WHERE mailbox_id = ANY($1::bigint[]) GROUP BY blob_id`, [ids]);
      await db.query(`DELETE FROM ${this.#s}.messages WHERE mailbox_id = ANY($1::bigint[])`, [ids]);
      await this.#releaseBlobs(db, blobs);
      // Mailboxes, their change logs and grants both ways go by ON DELETE CASCADE.
      await db.query(`DELETE FROM ${this.#s}.accounts WHERE id = $1`, [id]);
      return [undefined, []] as const;
    });
  }

  async getAccount(id: AccountId): Promise<Account | null> {
    if (!Number.isSafeInteger(id)) return null;
    return this.#accountWhere('id = $1', id);
  }

  async findAccountByAddress(address: string): Promise<Account | null> {
    return this.#accountWhere('address = $1', lookupKey(address));
  }

  async findAccountByUpn(upn: string): Promise<Account | null> {
    return this.#accountWhere('upn = $1', lookupKey(upn));
  }

  async findAccountByAlias(alias: string): Promise<Account | null> {
    return this.#accountWhere('alias = $1', lookupKey(alias));
  }

  async findAccountsBySam(sam: string, domain: string | null): Promise<Account[]> {
    const rows = domain === null
      ? await this.#all<AccountRow>(this.#pool, `SELECT * FROM ${this.#s}.accounts WHERE sam = $1 ORDER BY id`, [lookupKey(sam)])
      : await this.#all<AccountRow>(this.#pool,
          `SELECT * FROM ${this.#s}.accounts WHERE sam = $1 AND domain = $2 ORDER BY id`, [lookupKey(sam), lookupDomain(domain)]);
    return rows.map(toAccount);
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.#all<AccountRow>(this.#pool, `SELECT * FROM ${this.#s}.accounts ORDER BY id`)).map(toAccount);
  }

  // ---- delegation ----------------------------------------------------------------------------

  async addGrant(grant: Grant): Promise<void> {
    checkId(grant.accountId, 'The account id');
    checkId(grant.granteeId, 'The grantee id');
    if (grant.access !== 'full') throw new StoreError('INVALID', `Unknown access right "${String(grant.access)}".`);
    if (grant.accountId === grant.granteeId) {
      throw new StoreError('INVALID', 'An account cannot be granted access to itself.');
    }
    await this.#run(this.#pool,
      `INSERT INTO ${this.#s}.grants (account_id, grantee_id, access) VALUES ($1, $2, $3)
       ON CONFLICT (account_id, grantee_id) DO UPDATE SET access = EXCLUDED.access`,
      [grant.accountId, grant.granteeId, grant.access]);
  }

  async removeGrant(accountId: AccountId, granteeId: AccountId): Promise<void> {
    checkId(accountId, 'The account id');
    checkId(granteeId, 'The grantee id');
    const n = await this.#run(this.#pool,
      `DELETE FROM ${this.#s}.grants WHERE account_id = $1 AND grantee_id = $2`, [accountId, granteeId]);
    if (n === 0) throw new StoreError('NOT_FOUND', 'There is no such grant.');
  }

  async listGrantsTo(granteeId: AccountId): Promise<Grant[]> {
    checkId(granteeId, 'The grantee id');
    return (await this.#all<GrantRow>(this.#pool,
      `SELECT * FROM ${this.#s}.grants WHERE grantee_id = $1 ORDER BY account_id`, [granteeId])).map(toGrant);
  }

  async listGrantsOn(accountId: AccountId): Promise<Grant[]> {
    checkId(accountId, 'The account id');
    return (await this.#all<GrantRow>(this.#pool,
      `SELECT * FROM ${this.#s}.grants WHERE account_id = $1 ORDER BY grantee_id`, [accountId])).map(toGrant);
  }

  async hasGrant(accountId: AccountId, granteeId: AccountId, access: AccessRight): Promise<boolean> {
    checkId(accountId, 'The account id');
    checkId(granteeId, 'The grantee id');
    const row = await this.#one(this.#pool,
      `SELECT 1 FROM ${this.#s}.grants WHERE account_id = $1 AND grantee_id = $2 AND access = $3`,
      [accountId, granteeId, access]);
    return row !== null;
  }

  // ---- mailboxes -----------------------------------------------------------------------------

  async createMailbox(accountId: AccountId, name: string, specialUse?: SpecialUse | null): Promise<Mailbox> {
    checkId(accountId, 'The account id');
    const n = normalizeMailboxName(name);
    const use = checkSpecialUse(specialUse);
    const row = await this.#tx(async (db) => {
      const account = await this.#one(db, `SELECT id FROM ${this.#s}.accounts WHERE id = $1 FOR KEY SHARE`, [accountId]);
      if (!account) throw new StoreError('NOT_FOUND', `There is no account ${accountId}.`);
      const exists = await this.#one(db, `SELECT id FROM ${this.#s}.mailboxes WHERE account_id = $1 AND name = $2`, [accountId, n]);
      if (exists) throw new StoreError('ALREADY_EXISTS', `The mailbox "${n}" already exists.`);
      const { value } = (await this.#one<{ value: number }>(db,
        `UPDATE ${this.#s}.meta SET value = GREATEST(value + 1, $1) WHERE key = 'uidvalidity' RETURNING value`,
        [nowSeconds()]))!;
      const created = await this.#one<MailboxRow>(db,
        `INSERT INTO ${this.#s}.mailboxes (account_id, name, special_use, uidvalidity)
         VALUES ($1, $2, $3, $4) RETURNING *`, [accountId, n, use, checkUidValidity(value)]);
      return [created!, []] as const;
    }, (e) => (pgCode(e) === '23505' ? new StoreError('ALREADY_EXISTS', `The mailbox "${n}" already exists.`) : null));
    return toMailbox(row);
  }

  async getMailbox(accountId: AccountId, name: string): Promise<Mailbox | null> {
    const n = normalizeMailboxName(name);
    if (!Number.isSafeInteger(accountId)) return null;
    const row = await this.#one<MailboxRow>(this.#pool,
      `SELECT * FROM ${this.#s}.mailboxes WHERE account_id = $1 AND name = $2`, [accountId, n]);
    return row ? toMailbox(row) : null;
  }

  async getMailboxById(id: MailboxId): Promise<Mailbox | null> {
    if (!Number.isSafeInteger(id)) return null;
    const row = await this.#one<MailboxRow>(this.#pool, `SELECT * FROM ${this.#s}.mailboxes WHERE id = $1`, [id]);
    return row ? toMailbox(row) : null;
  }

  async listMailboxes(accountId: AccountId): Promise<Mailbox[]> {
    checkId(accountId, 'The account id');
    // COLLATE "C": byte order, the same order SQLite gives, whatever the database's locale.
    return (await this.#all<MailboxRow>(this.#pool,
      `SELECT * FROM ${this.#s}.mailboxes WHERE account_id = $1 ORDER BY name COLLATE "C"`, [accountId])).map(toMailbox);
  }

  async renameMailbox(id: MailboxId, newName: string): Promise<void> {
    checkId(id, 'The mailbox id');
    const to = normalizeMailboxName(newName);
    await this.#tx(async (db) => {
      const box = await this.#one<MailboxRow>(db, `SELECT * FROM ${this.#s}.mailboxes WHERE id = $1`, [id]);
      if (!box) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
      // RFC 9051 §6.3.6: renaming INBOX has its own meaning, done by the session with move().
      if (isInbox(box.name)) throw new StoreError('INVALID', 'INBOX cannot be renamed.');
      const all = await this.#all<{ id: number; name: string }>(db,
        `SELECT id, name FROM ${this.#s}.mailboxes WHERE account_id = $1 ORDER BY id FOR UPDATE`, [box.account_id]);
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
      // Two steps, so a new name equal to another moving row's old name never trips UNIQUE.
      const ids = moving.map((m) => m.id);
      await db.query(`UPDATE ${this.#s}.mailboxes SET name = E'\\n' || id::text WHERE id = ANY($1::bigint[])`, [ids]);
      await db.query(
        `UPDATE ${this.#s}.mailboxes m SET name = v.name
         FROM unnest($1::bigint[], $2::text[]) AS v(id, name) WHERE m.id = v.id`,
        [ids, moving.map((m) => m.name)]);
      return [undefined, []] as const;
    }, (e) => (pgCode(e) === '23505' ? new StoreError('ALREADY_EXISTS', `The mailbox "${to}" already exists.`) : null));
  }

  async deleteMailbox(id: MailboxId): Promise<void> {
    checkId(id, 'The mailbox id');
    await this.#tx(async (db) => {
      const box = await this.#one<MailboxRow>(db, `SELECT * FROM ${this.#s}.mailboxes WHERE id = $1 FOR UPDATE`, [id]);
      if (!box) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
      // RFC 9051 §6.3.5: it is an error to delete INBOX.
      if (isInbox(box.name)) throw new StoreError('INVALID', 'INBOX cannot be deleted.');
      const blobs = await this.#all<{ blob_id: string; n: number }>(db,
        `SELECT blob_id, count(*)::bigint AS n FROM ${this.#s}.messages WHERE mailbox_id = $1 GROUP BY blob_id`, [id]);
      await db.query(`DELETE FROM ${this.#s}.messages WHERE mailbox_id = $1`, [id]);
      await this.#releaseBlobs(db, blobs);
      // Children stay (RFC 9051 §6.3.5); the change log goes by ON DELETE CASCADE.
      await db.query(`DELETE FROM ${this.#s}.mailboxes WHERE id = $1`, [id]);
      return [undefined, []] as const;
    });
  }

  async setSubscribed(id: MailboxId, subscribed: boolean): Promise<void> {
    checkId(id, 'The mailbox id');
    if (typeof subscribed !== 'boolean') throw new StoreError('INVALID', 'subscribed must be true or false.');
    const n = await this.#run(this.#pool, `UPDATE ${this.#s}.mailboxes SET subscribed = $2 WHERE id = $1`, [id, subscribed]);
    if (n === 0) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
  }

  // ---- messages ------------------------------------------------------------------------------

  async append(mailboxId: MailboxId, input: AppendInput): Promise<AppendResult> {
    return (await this.appendMany([mailboxId], input))[0]!;
  }

  async appendMany(targets: MailboxId[], input: AppendInput): Promise<AppendResult[]> {
    if (!Array.isArray(targets)) throw new StoreError('INVALID', 'Targets must be a list of mailbox ids.');
    for (const id of targets) checkId(id, 'A mailbox id');
    checkRaw(input.raw);
    const flags = normalizeFlags(input.flags);
    const internalDate = checkInternalDate(input.internalDate);
    if (targets.length === 0) return [];
    const blobId = blobIdOf(input.raw);
    const size = input.raw.length;
    // Parse once, at delivery, before the transaction (a copy of known bytes skips it).
    const known = await this.#one(this.#pool, `SELECT 1 FROM ${this.#s}.message_meta WHERE blob_id = $1`, [blobId]);
    const entry = known ? null : indexMessage(input.raw);
    const dotTransparent = entry ? isDotTransparent(input.raw) : null;
    return this.#tx(async (db) => {
      const cursors = await this.#cursors(db, targets);
      await db.query(
        `INSERT INTO ${this.#s}.blobs (id, size, refcount, data, dot_transparent) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (id) DO UPDATE SET refcount = ${this.#s}.blobs.refcount + EXCLUDED.refcount`,
        [blobId, size, targets.length, input.raw, dotTransparent]);
      if (entry) await this.#insertMeta(db, blobId, entry);
      const out: AppendResult[] = [];
      const rows = { mailboxIds: [] as number[], uids: [] as number[], modseqs: [] as number[] };
      const log = emptyBatch();
      for (const id of targets) {
        const c = cursors.get(id)!;
        const uid = c.uidNext++;
        const modseq = nextModseq(c);
        c.count += 1;
        c.size += size;
        rows.mailboxIds.push(id);
        rows.uids.push(uid);
        rows.modseqs.push(modseq);
        addChange(log, id, modseq, 'append', uid, null);
        out.push({ uid, uidValidity: c.uidValidity, modseq });
      }
      await db.query(
        `INSERT INTO ${this.#s}.messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id)
         SELECT v.mailbox_id, v.uid, v.modseq, $4::text[], $5, $6, $7
         FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(mailbox_id, uid, modseq)`,
        [rows.mailboxIds, rows.uids, rows.modseqs, flags, internalDate, size, blobId]);
      await this.#logChanges(db, log);
      await this.#flush(db, cursors.values());
      return [out, [...cursors.values()]] as const;
    });
  }

  async appendBatch(mailboxId: MailboxId, inputs: AppendInput[]): Promise<AppendResult[]> {
    checkId(mailboxId, 'The mailbox id');
    const items = checkBatch(inputs);
    if (items.length === 0) return [];
    const known = new Set((await this.#all<{ blob_id: string }>(this.#pool,
      `SELECT blob_id FROM ${this.#s}.message_meta WHERE blob_id = ANY($1::text[])`, [items.map((i) => i.blobId)])).map((r) => r.blob_id));
    indexNew(items, (blobId) => known.has(blobId));
    return this.#tx(async (db) => {
      const cursors = await this.#cursors(db, [mailboxId]);
      const c = cursors.get(mailboxId)!;
      const out: AppendResult[] = [];
      const log = emptyBatch();
      for (const item of items) {
        await db.query(
          `INSERT INTO ${this.#s}.blobs (id, size, refcount, data, dot_transparent) VALUES ($1, $2, 1, $3, $4)
           ON CONFLICT (id) DO UPDATE SET refcount = ${this.#s}.blobs.refcount + 1`,
          [item.blobId, item.raw.length, item.raw, item.dotTransparent]);
        if (item.entry) await this.#insertMeta(db, item.blobId, item.entry);
        const uid = c.uidNext++;
        const modseq = nextModseq(c);
        c.count += 1;
        c.size += item.raw.length;
        await db.query(
          `INSERT INTO ${this.#s}.messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id)
           VALUES ($1, $2, $3, $4::text[], $5, $6, $7)`,
          [mailboxId, uid, modseq, item.flags, item.internalDate, item.raw.length, item.blobId]);
        addChange(log, mailboxId, modseq, 'append', uid, null);
        out.push({ uid, uidValidity: c.uidValidity, modseq });
      }
      await this.#logChanges(db, log);
      await this.#flush(db, cursors.values());
      return [out, [...cursors.values()]] as const;
    });
  }

  async listMessages(mailboxId: MailboxId): Promise<MessageRecord[]> {
    checkId(mailboxId, 'The mailbox id');
    const rows = await this.#all<MessageRow>(this.#pool,
      `SELECT * FROM ${this.#s}.messages WHERE mailbox_id = $1 ORDER BY uid`, [mailboxId]);
    if (rows.length === 0 && !(await this.getMailboxById(mailboxId))) {
      throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    }
    return rows.map(toMessage);
  }

  async getMessage(mailboxId: MailboxId, uid: number): Promise<MessageRecord | null> {
    if (!Number.isSafeInteger(mailboxId) || !Number.isSafeInteger(uid)) return null;
    const row = await this.#one<MessageRow>(this.#pool,
      `SELECT * FROM ${this.#s}.messages WHERE mailbox_id = $1 AND uid = $2`, [mailboxId, uid]);
    return row ? toMessage(row) : null;
  }

  async readBlob(blobId: string): Promise<Buffer> {
    checkBlobId(blobId);
    const row = await this.#one<{ data: Buffer }>(this.#pool, `SELECT data FROM ${this.#s}.blobs WHERE id = $1`, [blobId]);
    if (!row) throw new StoreError('NOT_FOUND', `There is no message with content ${blobId}.`);
    return row.data;
  }

  async readContent(blobId: string): Promise<StoredContent> {
    checkBlobId(blobId);
    const row = await this.#one<{ data: Buffer; dot_transparent: boolean | null }>(this.#pool,
      `SELECT data, dot_transparent FROM ${this.#s}.blobs WHERE id = $1`, [blobId]);
    if (!row) throw new StoreError('NOT_FOUND', `There is no message with content ${blobId}.`);
    return { raw: row.data, dotTransparent: row.dot_transparent ?? isDotTransparent(row.data) };
  }

  async ticketKey(maxAgeMs: number): Promise<Buffer> {
    checkMaxAge(maxAgeMs);
    // The database's clock decides the age, so nodes with skewed clocks agree. When two nodes
    // race, the loser's upsert waits on the winner's row and then finds it fresh.
    const made = await this.#one<{ key: Buffer }>(this.#pool,
      `INSERT INTO ${this.#s}.tls_ticket_key AS t (id, key, created_at) VALUES (1, $1, now())
       ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, created_at = EXCLUDED.created_at
         WHERE t.created_at <= now() - $2 * interval '1 millisecond'
       RETURNING key`, [randomBytes(TICKET_KEY_BYTES), maxAgeMs]);
    if (made) return made.key;
    const row = await this.#one<{ key: Buffer }>(this.#pool, `SELECT key FROM ${this.#s}.tls_ticket_key WHERE id = 1`, []);
    return row!.key;
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
    return this.#tx(async (db) => {
      const cursors = await this.#cursors(db, [mailboxId]);
      const c = cursors.get(mailboxId)!;
      const rows = await this.#all<MessageRow>(db,
        `SELECT * FROM ${this.#s}.messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) ORDER BY uid`,
        [mailboxId, wanted]);
      const out: FlagUpdate = { changed: [], modified: [] };
      const log = emptyBatch();
      for (const row of rows) {
        // RFC 7162 §3.1.3: a message modified after UNCHANGEDSINCE is left alone.
        if (unchangedSince !== undefined && row.modseq > unchangedSince) {
          out.modified.push(row.uid);
          continue;
        }
        const after = applyFlagOperation(row.flags, op, given);
        if (sameFlags(row.flags, after)) continue; // no change, no new modseq
        const modseq = nextModseq(c);
        addChange(log, mailboxId, modseq, 'flags', row.uid, after.join(' '));
        out.changed.push(toMessage({ ...row, flags: after, modseq }));
      }
      if (out.changed.length > 0) {
        await db.query(
          `UPDATE ${this.#s}.messages m SET modseq = v.modseq, flags = string_to_array(v.flags, ' ')
           FROM unnest($2::bigint[], $3::bigint[], $4::text[]) AS v(uid, modseq, flags)
           WHERE m.mailbox_id = $1 AND m.uid = v.uid`,
          [mailboxId, log.uids, log.modseqs, log.flags]);
        await this.#logChanges(db, log);
        await this.#flush(db, [c]);
      }
      return [out, [c]] as const;
    });
  }

  async expunge(mailboxId: MailboxId, uids: number[]): Promise<number[]> {
    checkId(mailboxId, 'The mailbox id');
    const wanted = normalizeUids(uids);
    return this.#tx(async (db) => {
      const cursors = await this.#cursors(db, [mailboxId]);
      const c = cursors.get(mailboxId)!;
      const gone = await this.#all<{ uid: number; size: number; blob_id: string }>(db,
        `DELETE FROM ${this.#s}.messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[])
         RETURNING uid, size, blob_id`, [mailboxId, wanted]);
      gone.sort((a, b) => a.uid - b.uid);
      const log = emptyBatch();
      const blobs = new Map<string, number>();
      for (const row of gone) {
        addChange(log, mailboxId, nextModseq(c), 'expunge', row.uid, null);
        c.count -= 1;
        c.size -= row.size;
        blobs.set(row.blob_id, (blobs.get(row.blob_id) ?? 0) + 1);
      }
      if (gone.length > 0) {
        await this.#logChanges(db, log);
        await this.#flush(db, [c]);
        await this.#releaseBlobs(db, [...blobs].map(([blob_id, n]) => ({ blob_id, n })));
      }
      return [gone.map((r) => r.uid), [c]] as const;
    });
  }

  async copy(fromMailboxId: MailboxId, uids: number[], toMailboxId: MailboxId): Promise<Array<[number, number]>> {
    return this.#transfer(fromMailboxId, uids, toMailboxId, false);
  }

  async move(fromMailboxId: MailboxId, uids: number[], toMailboxId: MailboxId): Promise<Array<[number, number]>> {
    return this.#transfer(fromMailboxId, uids, toMailboxId, true);
  }

  async changesSince(mailboxId: MailboxId, since: number): Promise<MailboxChange[]> {
    checkId(mailboxId, 'The mailbox id');
    checkModseq(since, 'The modseq');
    const changes = await this.#changes(this.#pool, mailboxId, since);
    if (changes.length === 0 && !(await this.getMailboxById(mailboxId))) {
      throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    }
    return changes;
  }

  // ---- for IMAP ------------------------------------------------------------------------------

  async getMessages(mailboxId: MailboxId, uids: number[]): Promise<MessageRecord[]> {
    checkId(mailboxId, 'The mailbox id');
    const wanted = normalizeUids(uids);
    if (wanted.length === 0) return [];
    return (await this.#all<MessageRow>(this.#pool,
      `SELECT * FROM ${this.#s}.messages WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) ORDER BY uid`,
      [mailboxId, wanted])).map(toMessage);
  }

  async getMimeTrees(blobIds: string[]): Promise<Map<string, MimePart>> {
    if (!Array.isArray(blobIds)) throw new StoreError('INVALID', 'Blob ids must be a list.');
    for (const id of blobIds) checkBlobId(id);
    const out = new Map<string, MimePart>();
    if (blobIds.length === 0) return out;
    const rows = await this.#all<{ blob_id: string; tree: string }>(this.#pool,
      `SELECT blob_id, tree FROM ${this.#s}.message_meta WHERE blob_id = ANY($1::text[])`, [blobIds]);
    for (const r of rows) out.set(r.blob_id, JSON.parse(r.tree) as MimePart);
    for (const id of blobIds) {
      if (out.has(id)) continue;
      const entry = await this.#indexStoredBlob(id);
      if (entry) out.set(id, JSON.parse(entry.tree) as MimePart);
    }
    return out;
  }

  async searchText(mailboxId: MailboxId, field: TextField, value: string): Promise<number[]> {
    checkId(mailboxId, 'The mailbox id');
    checkTextField(field);
    if (typeof value !== 'string') throw new StoreError('INVALID', 'The search text must be a string.');
    if (!(await this.getMailboxById(mailboxId))) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    // Messages stored before the index existed are indexed now (as Dovecot's fts does lazily).
    const missing = await this.#all<{ blob_id: string }>(this.#pool,
      `SELECT DISTINCT m.blob_id FROM ${this.#s}.messages m WHERE m.mailbox_id = $1
       AND NOT EXISTS (SELECT 1 FROM ${this.#s}.message_meta mm WHERE mm.blob_id = m.blob_id)`, [mailboxId]);
    for (const { blob_id } of missing) await this.#indexStoredBlob(blob_id);
    const pattern = '%' + value.replace(/[\\%_]/g, '\\$&').replace(/\0/g, ' ') + '%';
    const where = PG_COLUMNS[field].map((c) => `mm.${c} ILIKE $2`).join(' OR ');
    const rows = await this.#all<{ uid: number }>(this.#pool,
      `SELECT m.uid FROM ${this.#s}.messages m JOIN ${this.#s}.message_meta mm ON mm.blob_id = m.blob_id
       WHERE m.mailbox_id = $1 AND (${where})`, [mailboxId, pattern]);
    const found = new Set(rows.map((r) => r.uid));
    // Text cut from the index is searched in the message itself.
    const partial = await this.#all<{ uid: number; blob_id: string }>(this.#pool,
      `SELECT m.uid, m.blob_id FROM ${this.#s}.messages m JOIN ${this.#s}.message_meta mm ON mm.blob_id = m.blob_id
       WHERE m.mailbox_id = $1 AND NOT mm.complete`, [mailboxId]);
    for (const r of partial) {
      if (found.has(r.uid)) continue;
      const raw = await this.readBlob(r.blob_id).catch(() => null);
      if (raw && textContains(raw, field, value)) found.add(r.uid);
    }
    return [...found].sort((a, b) => a - b);
  }

  async uidsWithFlag(mailboxId: MailboxId, flag: Flag): Promise<number[]> {
    checkId(mailboxId, 'The mailbox id');
    if (typeof flag !== 'string' || flag.length === 0) throw new StoreError('INVALID', 'A flag must be a non-empty string.');
    if (!(await this.getMailboxById(mailboxId))) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    const rows = await this.#all<{ uid: number }>(this.#pool,
      `SELECT uid FROM ${this.#s}.messages WHERE mailbox_id = $1
       AND EXISTS (SELECT 1 FROM unnest(flags) f WHERE lower(f) = lower($2)) ORDER BY uid`, [mailboxId, flag]);
    return rows.map((r) => Number(r.uid));
  }

  async mailboxSummary(mailboxId: MailboxId): Promise<MailboxSummary> {
    checkId(mailboxId, 'The mailbox id');
    const rows = await this.#all<{ uids: number[] | null; first_unseen: number | null; keywords: string[] | null; highest: number | null }>(this.#pool,
      `SELECT
         (SELECT array_agg(uid ORDER BY uid) FROM ${this.#s}.messages WHERE mailbox_id = $1) AS uids,
         (SELECT min(uid) FROM ${this.#s}.messages WHERE mailbox_id = $1 AND NOT ('\\Seen' = ANY(flags))) AS first_unseen,
         (SELECT array_agg(DISTINCT f ORDER BY f) FROM ${this.#s}.messages, unnest(flags) AS f
            WHERE mailbox_id = $1 AND left(f, 1) <> '\\') AS keywords,
         (SELECT max(modseq) FROM ${this.#s}.messages WHERE mailbox_id = $1) AS highest,
         EXISTS (SELECT 1 FROM ${this.#s}.mailboxes WHERE id = $1) AS found`, [mailboxId]);
    const r = rows[0] as { uids: Array<number | string> | null; first_unseen: number | null; keywords: string[] | null; highest: number | null; found: boolean };
    if (!r.found) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
    return {
      uids: (r.uids ?? []).map(Number),
      firstUnseenUid: r.first_unseen === null ? null : Number(r.first_unseen),
      keywords: r.keywords ?? [],
      highestMessageModseq: r.highest === null ? 0 : Number(r.highest),
    };
  }

  async claimRecent(mailboxId: MailboxId): Promise<number> {
    checkId(mailboxId, 'The mailbox id');
    const seen = await this.#one<{ recent_uid: number; uidnext: number }>(this.#pool,
      `SELECT recent_uid, uidnext FROM ${this.#s}.mailboxes WHERE id = $1`, [mailboxId]);
    if (seen && Number(seen.recent_uid) === Number(seen.uidnext)) return Number(seen.recent_uid);
    return this.#tx(async (db) => {
      const row = await this.#one<{ recent_uid: number; uidnext: number }>(db,
        `SELECT recent_uid, uidnext FROM ${this.#s}.mailboxes WHERE id = $1 FOR UPDATE`, [mailboxId]);
      if (!row) throw new StoreError('NOT_FOUND', `There is no mailbox ${mailboxId}.`);
      if (Number(row.recent_uid) !== Number(row.uidnext)) {
        await db.query(`UPDATE ${this.#s}.mailboxes SET recent_uid = uidnext WHERE id = $1`, [mailboxId]);
      }
      return [Number(row.recent_uid), []] as const;
    });
  }

  // ---- coordination --------------------------------------------------------------------------

  async tryLock(key: string): Promise<HeldLock | null> {
    checkLockKey(key);
    if (this.#closed) throw new StoreError('INVALID', 'The store is closed.');
    // Advisory locks are re-entrant within a session, so two sessions of this process are
    // kept apart here before PostgreSQL keeps the nodes apart.
    const lock = this.#locks.tryTake(key, async () => {
      if (this.#held.get(key) !== lock) return;
      this.#held.delete(key);
      await this.#advisory.unlock(key).catch(() => {});
    });
    if (!lock) return null;
    let ok = false;
    try {
      ok = await this.#advisory.tryLock(key);
    } finally {
      if (!ok) this.#locks.drop(key);
    }
    if (!ok) return null;
    this.#held.set(key, lock);
    return lock;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.close();
    await this.#listener.close();
    // Closing the lock connection releases every advisory lock it held.
    await this.#advisory.close();
    this.#held.clear();
    await this.#pool.end();
  }

  // ---- internals -----------------------------------------------------------------------------

  /**
   * Runs `fn` in one transaction; `fn` returns its result and the mailbox cursors it advanced,
   * which are announced to the feed after COMMIT. Deadlocks and serialization failures are
   * retried; `mapError` may turn a database error into a StoreError.
   */
  async #tx<T>(fn: (db: Db) => Promise<readonly [T, readonly MailboxCursor[]]>,
               mapError?: (e: unknown) => StoreError | null): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const db = await this.#pool.connect();
      let broken = false;
      try {
        await db.query('BEGIN');
        const [result, cursors] = await fn(db);
        for (const c of cursors) {
          if (c.firstModseq !== null) {
            await db.query('SELECT pg_notify($1, $2)', [this.#channel, `${c.id}:${c.modseq}`]);
          }
        }
        await db.query('COMMIT');
        for (const c of cursors) {
          if (c.firstModseq !== null) this.#hub.committed(c.id, c.firstModseq);
        }
        return result;
      } catch (error) {
        await db.query('ROLLBACK').catch(() => (broken = true));
        const code = pgCode(error);
        if ((code === '40P01' || code === '40001') && attempt < RETRIES) continue;
        throw mapError?.(error) ?? mapPgError(error);
      } finally {
        db.release(broken);
      }
    }
  }

  async #one<R>(db: pg.Pool | Db, sql: string, values: unknown[] = []): Promise<R | null> {
    return ((await this.#query<R>(db, sql, values)).rows[0] as R | undefined) ?? null;
  }

  async #all<R>(db: pg.Pool | Db, sql: string, values: unknown[] = []): Promise<R[]> {
    return (await this.#query<R>(db, sql, values)).rows;
  }

  async #run(db: pg.Pool | Db, sql: string, values: unknown[] = []): Promise<number> {
    return (await this.#query(db, sql, values)).rowCount ?? 0;
  }

  async #query<R>(db: pg.Pool | Db, sql: string, values: unknown[]): Promise<pg.QueryResult<R & pg.QueryResultRow>> {
    try {
      return await db.query<R & pg.QueryResultRow>(sql, values);
    } catch (error) {
      // Inside #tx the error passes through unchanged and is mapped there.
      if (db === this.#pool) throw mapPgError(error);
      throw error;
    }
  }

  async #accountWhere(where: string, value: unknown): Promise<Account | null> {
    const row = await this.#one<AccountRow>(this.#pool, `SELECT * FROM ${this.#s}.accounts WHERE ${where}`, [value]);
    return row ? toAccount(row) : null;
  }

  /** Inside a transaction: the cache row with its text (nothing if present). */
  async #insertMeta(db: Db, blobId: string, e: MessageIndexEntry): Promise<void> {
    await db.query(
      `INSERT INTO ${this.#s}.message_meta (blob_id, tree, complete, subject, addr_from, addr_to, addr_cc, addr_bcc, headers, body)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (blob_id) DO NOTHING`,
      [blobId, e.tree, e.complete, e.subject, e.from, e.to, e.cc, e.bcc, e.headers, e.body]);
  }

  /** Parses and indexes a stored message that has no cache row yet; null if the blob is gone. */
  async #indexStoredBlob(blobId: string): Promise<MessageIndexEntry | null> {
    const raw = await this.readBlob(blobId).catch(() => null);
    if (!raw) return null;
    const entry = indexMessage(raw);
    await this.#tx(async (db) => {
      const blob = await this.#one(db, `SELECT 1 FROM ${this.#s}.blobs WHERE id = $1 FOR SHARE`, [blobId]);
      if (blob) await this.#insertMeta(db, blobId, entry);
      return [undefined, []] as const;
    });
    return entry;
  }

  async #highestModseq(id: MailboxId): Promise<number | null> {
    const row = await this.#one<{ highest_modseq: number }>(this.#pool,
      `SELECT highest_modseq FROM ${this.#s}.mailboxes WHERE id = $1`, [id]);
    return row ? row.highest_modseq : null;
  }

  async #changes(db: pg.Pool | Db, mailboxId: MailboxId, since: number): Promise<MailboxChange[]> {
    return (await this.#all<ChangeRow>(db,
      `SELECT * FROM ${this.#s}.changes WHERE mailbox_id = $1 AND modseq > $2 ORDER BY modseq`,
      [mailboxId, since])).map(toChange);
  }

  /** Locks the mailboxes (in id order, so concurrent writers cannot deadlock) and reads them. */
  async #cursors(db: Db, ids: readonly MailboxId[]): Promise<Map<MailboxId, MailboxCursor>> {
    const unique = [...new Set(ids)];
    const rows = await this.#all<MailboxRow>(db,
      `SELECT * FROM ${this.#s}.mailboxes WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [unique]);
    const out = new Map<MailboxId, MailboxCursor>();
    for (const row of rows) {
      out.set(row.id, {
        id: row.id, uidValidity: row.uidvalidity, uidNext: row.uidnext, modseq: row.highest_modseq,
        count: row.message_count, size: row.total_size, firstModseq: null,
      });
    }
    for (const id of unique) {
      if (!out.has(id)) throw new StoreError('NOT_FOUND', `There is no mailbox ${id}.`);
    }
    return out;
  }

  async #flush(db: Db, cursors: Iterable<MailboxCursor>): Promise<void> {
    for (const c of cursors) {
      await db.query(
        `UPDATE ${this.#s}.mailboxes SET uidnext = $2, highest_modseq = $3, message_count = $4, total_size = $5
         WHERE id = $1`, [c.id, c.uidNext, c.modseq, c.count, c.size]);
    }
  }

  async #logChanges(db: Db, log: ChangeBatch): Promise<void> {
    if (log.modseqs.length === 0) return;
    await db.query(
      `INSERT INTO ${this.#s}.changes (mailbox_id, modseq, kind, uid, flags)
       SELECT v.mailbox_id, v.modseq, v.kind, v.uid, string_to_array(v.flags, ' ')
       FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::bigint[], $5::text[]) AS v(mailbox_id, modseq, kind, uid, flags)`,
      [log.mailboxIds, log.modseqs, log.kinds, log.uids, log.flags]);
  }

  /** Drops `n` references from each blob and deletes those nobody references any more. */
  async #releaseBlobs(db: Db, blobs: Array<{ blob_id: string; n: number }>): Promise<void> {
    if (blobs.length === 0) return;
    const sorted = [...blobs].sort((a, b) => (a.blob_id < b.blob_id ? -1 : 1));
    const ids = sorted.map((b) => b.blob_id);
    await db.query(`SELECT 1 FROM ${this.#s}.blobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
    await db.query(
      `UPDATE ${this.#s}.blobs b SET refcount = b.refcount - v.n
       FROM unnest($1::text[], $2::bigint[]) AS v(id, n) WHERE b.id = v.id`, [ids, sorted.map((b) => b.n)]);
    await db.query(`DELETE FROM ${this.#s}.blobs WHERE id = ANY($1::text[]) AND refcount <= 0`, [ids]);
  }

  /** COPY (RFC 9051 §6.4.7) and MOVE (RFC 6851 §3.3): flags and internal date are kept. */
  async #transfer(fromId: MailboxId, uids: number[], toId: MailboxId, move: boolean): Promise<Array<[number, number]>> {
    checkId(fromId, 'The source mailbox id');
    checkId(toId, 'The destination mailbox id');
    const wanted = normalizeUids(uids);
    return this.#tx(async (db) => {
      const cursors = await this.#cursors(db, [fromId, toId]);
      const src = cursors.get(fromId)!;
      const dst = cursors.get(toId)!;
      const rows = await this.#all<{ uid: number; size: number; blob_id: string }>(db,
        `SELECT uid, size, blob_id FROM ${this.#s}.messages
         WHERE mailbox_id = $1 AND uid = ANY($2::bigint[]) ORDER BY uid`, [fromId, wanted]);
      if (rows.length === 0) return [[], []] as const;
      const pairs: Array<[number, number]> = [];
      const plan = { oldUids: [] as number[], newUids: [] as number[], modseqs: [] as number[] };
      const log = emptyBatch();
      const blobs = new Map<string, number>();
      for (const row of rows) {
        const uid = dst.uidNext++;
        const modseq = nextModseq(dst);
        dst.count += 1;
        dst.size += row.size;
        plan.oldUids.push(row.uid);
        plan.newUids.push(uid);
        plan.modseqs.push(modseq);
        addChange(log, toId, modseq, 'append', uid, null);
        pairs.push([row.uid, uid]);
        if (move) {
          addChange(log, fromId, nextModseq(src), 'expunge', row.uid, null);
          src.count -= 1;
          src.size -= row.size;
        } else {
          blobs.set(row.blob_id, (blobs.get(row.blob_id) ?? 0) + 1);
        }
      }
      if (move) {
        // The rows themselves move: same blob reference, new place, UID and modseq.
        await db.query(
          `UPDATE ${this.#s}.messages m SET mailbox_id = $2, uid = v.new_uid, modseq = v.modseq
           FROM unnest($3::bigint[], $4::bigint[], $5::bigint[]) AS v(old_uid, new_uid, modseq)
           WHERE m.mailbox_id = $1 AND m.uid = v.old_uid`,
          [fromId, toId, plan.oldUids, plan.newUids, plan.modseqs]);
      } else {
        await db.query(
          `INSERT INTO ${this.#s}.messages (mailbox_id, uid, modseq, flags, internal_date, size, blob_id)
           SELECT $2, v.new_uid, v.modseq, m.flags, m.internal_date, m.size, m.blob_id
           FROM unnest($3::bigint[], $4::bigint[], $5::bigint[]) AS v(old_uid, new_uid, modseq)
           JOIN ${this.#s}.messages m ON m.mailbox_id = $1 AND m.uid = v.old_uid`,
          [fromId, toId, plan.oldUids, plan.newUids, plan.modseqs]);
        const sorted = [...blobs].sort(([a], [b]) => (a < b ? -1 : 1));
        await db.query(`SELECT 1 FROM ${this.#s}.blobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
          [sorted.map(([id]) => id)]);
        await db.query(
          `UPDATE ${this.#s}.blobs b SET refcount = b.refcount + v.n
           FROM unnest($1::text[], $2::bigint[]) AS v(id, n) WHERE b.id = v.id`,
          [sorted.map(([id]) => id), sorted.map(([, n]) => n)]);
      }
      await this.#logChanges(db, log);
      await this.#flush(db, cursors.values());
      return [pairs, [...cursors.values()]] as const;
    });
  }
}

/** Cache columns per search field. */
const PG_COLUMNS: Record<TextField, string[]> = {
  subject: ['subject'],
  from: ['addr_from'],
  to: ['addr_to'],
  cc: ['addr_cc'],
  bcc: ['addr_bcc'],
  headers: ['headers'],
  body: ['body'],
  text: ['headers', 'body'],
};

function nextModseq(c: MailboxCursor): number {
  c.modseq += 1;
  c.firstModseq ??= c.modseq;
  return c.modseq;
}

function emptyBatch(): ChangeBatch {
  return { mailboxIds: [], modseqs: [], kinds: [], uids: [], flags: [] };
}

function addChange(b: ChangeBatch, mailboxId: number, modseq: number, kind: MailboxChange['kind'],
                   uid: number, flags: string | null): void {
  b.mailboxIds.push(mailboxId);
  b.modseqs.push(modseq);
  b.kinds.push(kind);
  b.uids.push(uid);
  b.flags.push(flags);
}

function pgCode(error: unknown): string | undefined {
  return (error as { code?: unknown })?.code as string | undefined;
}

const ACCOUNT_CONSTRAINTS: Record<string, string> = {
  accounts_address_key: 'address',
  accounts_upn_key: 'upn',
  accounts_alias_key: 'alias',
  accounts_sam_key: 'sam',
};

/** Constraint failures become StoreErrors; anything else is passed on. */
function mapPgError(error: unknown): unknown {
  if (error instanceof StoreError) return error;
  const e = error as { code?: string; constraint?: string };
  if (e.code === '23505') {
    const field = ACCOUNT_CONSTRAINTS[e.constraint ?? ''];
    return new StoreError('ALREADY_EXISTS', field ? duplicateMessage(field) : 'It already exists.');
  }
  if (e.code === '23503') {
    return new StoreError('NOT_FOUND', 'A referenced account or mailbox does not exist.');
  }
  return error;
}
