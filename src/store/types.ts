// The MailStore contract. The store speaks mail, not protocols: it returns accounts,
// mailboxes, messages, flags, UIDs and change records, never protocol bytes, and never
// touches a socket. Every method that changes state resolves only once the change is durable
// (SQLite: committed with synchronous=FULL under WAL; PostgreSQL: committed), so a caller
// may acknowledge to a client as soon as the promise resolves.

import type { MimePart } from '../wire/mime/types.js';
import type { TextField } from './message-index.js';

export type AccountId = number;
export type MailboxId = number;

/** One login identity and the mail account ("Exchange mailbox") it owns. */
export interface Account {
  id: AccountId;
  /** Primary SMTP address, lower-case. Unique. */
  address: string;
  /** User principal name, lower-case. Unique. Default: the address. */
  upn: string;
  /** NetBIOS-style domain, upper-case. Default: the first label of the address's domain. */
  domain: string;
  /** SAM account name, lower-case. Unique within its domain. Default: the local part. */
  sam: string;
  /** Mail nickname used in `domain\user\alias` logins, lower-case. Unique. Default: local part. */
  alias: string;
  /** Encoded password hash (auth/passwords.ts format), or null when no password is set. */
  passwordHash: string | null;
  /** SCRAM-SHA-256 credentials (RFC 5802 §3), or null. */
  scram: ScramCredentials | null;
  imapEnabled: boolean;
  popEnabled: boolean;
  smtpEnabled: boolean;
  admin: boolean;
  disabled: boolean;
  /** A shared mailbox: it holds mail but can never log in itself. */
  shared: boolean;
  createdAt: Date;
}

export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

export type NewAccount = Omit<Account, 'id' | 'createdAt'>;
export type AccountPatch = Partial<Omit<Account, 'id' | 'createdAt' | 'address'>>;

export type AccessRight = 'full';

export interface Grant {
  /** The account whose mail is shared. */
  accountId: AccountId;
  /** The account that receives access. */
  granteeId: AccountId;
  access: AccessRight;
}

export type SpecialUse = '\\Drafts' | '\\Sent' | '\\Trash' | '\\Junk' | '\\Archive' | '\\All' | '\\Flagged';

export interface Mailbox {
  id: MailboxId;
  accountId: AccountId;
  /** Full hierarchical name with "/" as the delimiter; "INBOX" is always spelled so. */
  name: string;
  specialUse: SpecialUse | null;
  subscribed: boolean;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Number of messages currently in the mailbox. */
  messageCount: number;
  /** Sum of message sizes in octets. */
  totalSize: number;
}

/** System flags (RFC 3501 §2.3.2) are kept with their backslash; keywords without. */
export type Flag = string;

export interface MessageRecord {
  mailboxId: MailboxId;
  uid: number;
  modseq: number;
  /** Flags and keywords, sorted, unique. */
  flags: Flag[];
  internalDate: Date;
  /** Size in octets of the raw RFC 5322 message. */
  size: number;
  /** Content address of the raw message: lower-case hex SHA-256 of its bytes. */
  blobId: string;
}

export interface AppendInput {
  raw: Buffer;
  flags?: Flag[];
  internalDate?: Date;
}

export interface AppendResult {
  uid: number;
  uidValidity: number;
  modseq: number;
}

export type FlagOperation = 'set' | 'add' | 'remove';

export interface MailboxSummary {
  uids: number[];
  /** Lowest UID of a message without \Seen, or null when all are seen. */
  firstUnseenUid: number | null;
  /** Keywords (flags without a backslash) set on any message, sorted. */
  keywords: string[];
  /** Highest modseq of any message (≤ the mailbox's HIGHESTMODSEQ). */
  highestMessageModseq: number;
}

/** What a flag change did (CONDSTORE, RFC 7162 §3.1.3). */
export interface FlagUpdate {
  /** Records whose flags changed, with their new modseq, in UID order. */
  changed: MessageRecord[];
  /** UIDs left alone because they were modified after UNCHANGEDSINCE (the [MODIFIED] set). */
  modified: number[];
}

/** Searchable text fields of the full-text index; `text` is the header and body together. */
export type { TextField } from './message-index.js';

/** A change to one mailbox, as the change feed and changesSince() report it. */
export type MailboxChange =
  | { kind: 'append'; mailboxId: MailboxId; uid: number; modseq: number }
  | { kind: 'flags'; mailboxId: MailboxId; uid: number; modseq: number; flags: Flag[] }
  | { kind: 'expunge'; mailboxId: MailboxId; uid: number; modseq: number };

export type ChangeListener = (change: MailboxChange) => void;

/** In-process bus of mailbox changes (PostgreSQL LISTEN/NOTIFY feeds it across nodes). */
export interface ChangeFeed {
  /**
   * Subscribe to one mailbox's changes; returns the unsubscribe function. Changes arrive
   * asynchronously, in modseq order, each once: those committed after the call, or — when
   * `since` is given (e.g. the HIGHESTMODSEQ a session just read) — every change with
   * modseq > since, so nothing falls between reading a mailbox and subscribing to it.
   */
  subscribe(mailboxId: MailboxId, listener: ChangeListener, since?: number): () => void;
}

/** Held while a session owns a resource exclusively (the POP3 maildrop lock). */
export interface HeldLock {
  release(): Promise<void>;
}

export interface StoredContent {
  raw: Buffer;
  /** CRLF-only, no line starting with ".", final CRLF: goes on a dot-terminated wire as it is. */
  dotTransparent: boolean;
}

export interface MailStore {
  readonly kind: 'sqlite' | 'postgres';

  // ---- accounts ----
  createAccount(input: NewAccount): Promise<Account>;
  updateAccount(id: AccountId, patch: AccountPatch): Promise<Account>;
  deleteAccount(id: AccountId): Promise<void>;
  getAccount(id: AccountId): Promise<Account | null>;
  findAccountByAddress(address: string): Promise<Account | null>;
  findAccountByUpn(upn: string): Promise<Account | null>;
  findAccountByAlias(alias: string): Promise<Account | null>;
  /** Every account with this SAM name, in the given domain or (domain null) in any domain. */
  findAccountsBySam(sam: string, domain: string | null): Promise<Account[]>;
  listAccounts(): Promise<Account[]>;

  // ---- delegation ----
  addGrant(grant: Grant): Promise<void>;
  removeGrant(accountId: AccountId, granteeId: AccountId): Promise<void>;
  listGrantsTo(granteeId: AccountId): Promise<Grant[]>;
  listGrantsOn(accountId: AccountId): Promise<Grant[]>;
  hasGrant(accountId: AccountId, granteeId: AccountId, access: AccessRight): Promise<boolean>;

  // ---- mailboxes (folders) ----
  createMailbox(accountId: AccountId, name: string, specialUse?: SpecialUse | null): Promise<Mailbox>;
  getMailbox(accountId: AccountId, name: string): Promise<Mailbox | null>;
  getMailboxById(id: MailboxId): Promise<Mailbox | null>;
  listMailboxes(accountId: AccountId): Promise<Mailbox[]>;
  /** Renames a mailbox and its children ("a" → "b" also moves "a/x" to "b/x"). */
  renameMailbox(id: MailboxId, newName: string): Promise<void>;
  deleteMailbox(id: MailboxId): Promise<void>;
  setSubscribed(id: MailboxId, subscribed: boolean): Promise<void>;

  // ---- messages ----
  append(mailboxId: MailboxId, input: AppendInput): Promise<AppendResult>;
  /** Delivers one message into several mailboxes in a single transaction. */
  appendMany(targets: MailboxId[], input: AppendInput): Promise<AppendResult[]>;
  /** Appends several messages to one mailbox, all or none, with ascending UIDs (MULTIAPPEND). */
  appendBatch(mailboxId: MailboxId, inputs: AppendInput[]): Promise<AppendResult[]>;
  /** All messages of a mailbox in ascending UID order. */
  listMessages(mailboxId: MailboxId): Promise<MessageRecord[]>;
  getMessage(mailboxId: MailboxId, uid: number): Promise<MessageRecord | null>;
  /** The raw bytes of a stored message. */
  readBlob(blobId: string): Promise<Buffer>;
  /** The raw bytes and what delivery learnt of them, so RETR/TOP need not scan them again. */
  readContent(blobId: string): Promise<StoredContent>;

  // ---- TLS ----
  /**
   * The session-ticket key every node (and the next start of this one) encrypts TLS tickets
   * with (RFC 5077 §5.5): 48 random bytes, replaced by a new one once older than maxAgeMs.
   */
  ticketKey(maxAgeMs: number): Promise<Buffer>;
  /** Changes flags; returns the records that changed (with their new modseq). */
  storeFlags(mailboxId: MailboxId, uids: number[], op: FlagOperation, flags: Flag[],
             unchangedSince?: number): Promise<MessageRecord[]>;
  /** Removes the messages atomically: all of them or none. Returns the UIDs removed. */
  expunge(mailboxId: MailboxId, uids: number[]): Promise<number[]>;
  /** Copies messages; returns [sourceUid, destUid] pairs in source order (UIDPLUS). */
  copy(fromMailboxId: MailboxId, uids: number[], toMailboxId: MailboxId): Promise<Array<[number, number]>>;
  /** Moves messages atomically (RFC 6851): copy + expunge in one transaction. */
  move(fromMailboxId: MailboxId, uids: number[], toMailboxId: MailboxId): Promise<Array<[number, number]>>;
  /** Changes with modseq > since, oldest first (CONDSTORE/QRESYNC, NOOP polling). */
  changesSince(mailboxId: MailboxId, since: number): Promise<MailboxChange[]>;

  // ---- for IMAP (added with the IMAP server; each has a contract test) ----
  /** The messages with these UIDs, in ascending UID order; UIDs that do not exist are left out. */
  getMessages(mailboxId: MailboxId, uids: number[]): Promise<MessageRecord[]>;
  /** As storeFlags, and also says which messages failed the UNCHANGEDSINCE test. */
  updateFlags(mailboxId: MailboxId, uids: number[], op: FlagOperation, flags: Flag[],
              unchangedSince?: number): Promise<FlagUpdate>;
  /**
   * The parsed MIME trees of stored messages by blob id, parsed when the message was stored
   * (messages stored before that existed are parsed and cached on first use). Unknown ids are
   * left out of the map. In cached trees HeaderField.raw is '' (the bytes are at start..end of
   * the message) and values over 64 KiB are cut (message-index.ts slimTree).
   */
  getMimeTrees(blobIds: string[]): Promise<Map<string, MimePart>>;
  /**
   * UIDs (ascending) of the mailbox's messages whose decoded `field` contains `value`, compared
   * case-insensitively (IMAP SEARCH's substring rule), answered from the full-text index.
   */
  searchText(mailboxId: MailboxId, field: TextField, value: string): Promise<number[]>;
  /**
   * UIDs (ascending) of the mailbox's messages that have `flag` (system flags as stored, e.g.
   * "\\Deleted"; keywords compared case-insensitively): IMAP SEARCH DELETED/UNSEEN/KEYWORD
   * without reading every message record.
   */
  uidsWithFlag(mailboxId: MailboxId, flag: Flag): Promise<number[]>;
  /**
   * What opening a mailbox needs, without building a record per message (IMAP SELECT on a large
   * mailbox): every UID ascending, the lowest UID without \Seen, and the keywords in use.
   */
  mailboxSummary(mailboxId: MailboxId): Promise<MailboxSummary>;
  /**
   * IMAP \Recent (RFC 3501 §2.3.2): returns the first UID that is recent for the caller (every
   * message with a UID at or above it), and makes every current message non-recent for the next
   * caller. Atomic, so two sessions never both see a message as recent.
   */
  claimRecent(mailboxId: MailboxId): Promise<number>;

  // ---- coordination ----
  readonly feed: ChangeFeed;
  /**
   * Takes an exclusive, non-blocking lock named `key` (e.g. `pop3:<mailboxId>`); resolves null
   * when someone else holds it. SQLite: one server process owns the data directory, so the
   * lock is in-process; PostgreSQL: advisory locks, so it holds across nodes.
   */
  tryLock(key: string): Promise<HeldLock | null>;

  close(): Promise<void>;
}

/** Raised by the store; protocols map these once to their own replies. */
export class StoreError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'ALREADY_EXISTS' | 'INVALID' | 'CONFLICT' | 'OVER_QUOTA',
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}
