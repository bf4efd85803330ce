// Public types of ImapClient.
import type { Readable } from 'node:stream';
import type { BodyStructure, MessageEnvelope } from '../wire/imap/client-fetch.js';
import type { ClientOptions } from './options.js';
import type { SequenceInput } from '../wire/imap/client-command.js';

export type { BodyStructure, MessageEnvelope, EnvelopeAddress, ListEntry, MailboxStatus, Namespaces, NamespaceEntry, CopyUid, SpecialUse } from '../wire/imap/client-fetch.js';
export type { SearchCriteria, SequenceInput } from '../wire/imap/client-command.js';

export interface ImapClientOptions extends ClientOptions {
  /** ENABLE UTF8=ACCEPT after login when the server offers it (RFC 6855): mailbox names and
   * strings then travel as UTF-8. Default true. */
  enableUtf8?: boolean;
  /** Largest literal (message body) held in memory; bigger ones must be streamed. Default 256 MiB. */
  maxLiteralBytes?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
}

export interface LoginOptions extends CallOptions {
  /** Force a SASL mechanism, or "LOGIN" for the LOGIN command. */
  mechanism?: string;
  /** SASL authorization identity (log in as one user, act as another). */
  authzid?: string;
}

export interface MailboxInfo {
  /** Name as on the wire. */
  path: string;
  /** Decoded name. */
  name: string;
  readOnly: boolean;
  exists: number;
  recent: number;
  flags: string[];
  permanentFlags: string[];
  uidValidity: number;
  uidNext?: number;
  /** CONDSTORE (RFC 7162). */
  highestModseq?: bigint;
  /** The server keeps no mod-sequences for this mailbox ([NOMODSEQ]). */
  noModseq?: boolean;
  /** First unseen message number, when the server says ([UNSEEN n], IMAP4rev1). */
  unseen?: number;
  /** RFC 8474 MAILBOXID. */
  mailboxId?: string;
  /**
   * With SelectOptions.qresync and a matching UIDVALIDITY (RFC 7162 §3.2.5): what changed since
   * the client's modseq — UIDs expunged since (among knownUids, when given) and the messages
   * whose flags changed, with their new flags and modseq.
   */
  resync?: { vanished: number[]; changed: Array<{ uid: number; flags: string[]; modseq?: bigint }> };
}

export interface SelectOptions extends CallOptions {
  /** EXAMINE instead of SELECT. */
  readOnly?: boolean;
  /** SELECT … (CONDSTORE) when offered, so FETCH returns MODSEQ and HIGHESTMODSEQ is known. */
  condstore?: boolean;
  /**
   * QRESYNC (RFC 7162 §3.2.5): what the client knew at its last visit — the mailbox's
   * UIDVALIDITY and HIGHESTMODSEQ, and optionally the UIDs it holds. The answer is in
   * MailboxInfo.resync (absent when UIDVALIDITY changed: start over). ENABLE QRESYNC is sent
   * first when needed; a server without QRESYNC is an 'extension-unsupported' error.
   */
  qresync?: { uidValidity: number; modseq: bigint; knownUids?: SequenceInput };
}

export interface FetchQuery {
  /** Always fetched; listed for symmetry. */
  uid?: boolean;
  flags?: boolean;
  envelope?: boolean;
  bodyStructure?: boolean;
  internalDate?: boolean;
  /** RFC822.SIZE. */
  size?: boolean;
  /** MODSEQ (CONDSTORE). */
  modseq?: boolean;
  /** EMAILID / THREADID (OBJECTID, RFC 8474). */
  emailId?: boolean;
  threadId?: boolean;
  /**
   * The whole message (BODY.PEEK[]): true → `source` Buffer; 'stream' → `sourceStream`, a
   * Readable fed as the bytes arrive; { start, maxLength } → a partial fetch.
   */
  source?: boolean | 'stream' | { start?: number; maxLength?: number };
  /** BODY.PEEK[HEADER] (true) or BODY.PEEK[HEADER.FIELDS (…)] (names). */
  headers?: boolean | string[];
  /** BODY.PEEK[part] for each part number ("1", "1.2", "TEXT"). */
  bodyParts?: string[];
  /** Fetch with BODY[] instead of BODY.PEEK[]: the server sets \Seen. */
  markSeen?: boolean;
}

export interface FetchOptions extends CallOptions {
  /** `range` holds UIDs (default) or message sequence numbers (uid: false). */
  uid?: boolean;
  /** CONDSTORE: only messages whose mod-sequence is higher (RFC 7162 §3.1.4.1). */
  changedSince?: bigint;
}

export interface FetchedMessage {
  seq: number;
  uid: number;
  flags?: string[];
  modseq?: bigint;
  internalDate?: Date;
  size?: number;
  envelope?: MessageEnvelope;
  bodyStructure?: BodyStructure;
  emailId?: string;
  threadId?: string;
  source?: Buffer;
  /** With source: 'stream'. Read it before the next message to keep memory flat. */
  sourceStream?: Readable;
  headers?: Buffer;
  /** bodyParts by part number. */
  bodyParts?: Map<string, Buffer>;
}

export interface StoreOptions extends CallOptions {
  uid?: boolean;
  /** Do not ask for the new flags (FLAGS.SILENT). Default true. */
  silent?: boolean;
  /** CONDSTORE: change only messages not modified since (RFC 7162 §3.1.3). */
  unchangedSince?: bigint;
}

export interface StoreResult {
  /** New flags per message (when silent is false, or the server sent them anyway). */
  updated: Array<{ seq: number; uid?: number; flags: string[]; modseq?: bigint }>;
  /** UNCHANGEDSINCE: the messages not changed because they were modified since ([MODIFIED]). */
  modified: number[];
}

export interface AppendOptions extends CallOptions {
  flags?: string[];
  internalDate?: Date;
}

export interface AppendResult {
  /** UIDPLUS (RFC 4315): the new message's UID and the mailbox's UIDVALIDITY. */
  uid?: number;
  uidValidity?: number;
}

export type ImapEvent =
  | { type: 'exists'; count: number; previous: number }
  | { type: 'expunge'; seq: number }
  | { type: 'vanished'; uids: number[]; earlier: boolean }
  | { type: 'flags'; seq: number; uid?: number; flags: string[]; modseq?: bigint }
  | { type: 'alert'; text: string }
  /** idle() reconnected after the connection was lost: resynchronise (events may be missed). */
  | { type: 'reconnected'; attempt: number; error: string };

export interface IdleOptions {
  /** Ends the iteration (cleanly: the loop just stops). */
  signal?: AbortSignal;
  /** Reconnect with backoff when the connection drops (default true). */
  reconnect?: boolean;
  /** Give up after this many failed reconnects in a row (default: never). */
  maxReconnectAttempts?: number;
  /** Longest wait between reconnects (default 60 s; starts at 1 s, doubling, with jitter). */
  maxReconnectDelayMs?: number;
  /** Re-issue IDLE this often (RFC 2177: servers may drop idlers after 30 min). Default 25 min. */
  restartAfterMs?: number;
  /** Without IDLE: NOOP this often to poll. Default 60 s. */
  pollIntervalMs?: number;
}
