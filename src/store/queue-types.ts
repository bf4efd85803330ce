// The QueueStore contract: the durable outgoing-mail queue (issue #4). Kept apart from the
// MailStore, in the same database (the SQLite file, the PostgreSQL schema) but with its own
// tables and its own version, so its migrations never interleave with the mail store's.
//
// Durability: enqueue() resolves only once the message is committed (SQLite synchronous=FULL;
// PostgreSQL COMMIT), so the SMTP server may answer 250 as soon as it resolves — nothing
// acknowledged is lost to a crash (RFC 5321 §6.1: "the receiver-SMTP MUST NOT lose the
// message"). Leases make claims safe across several nodes (PostgreSQL) and across a restart:
// an entry claimed by a process that died becomes due again when its lease runs out.

/** RFC 6152 / RFC 3030 BODY values (the same strings the SMTP codec uses). */
export type BodyType = '7BIT' | '8BITMIME' | 'BINARYMIME';
/** RFC 3461 NOTIFY conditions. */
export type NotifyOn = 'SUCCESS' | 'FAILURE' | 'DELAY';

export type QueueId = string;

export type RecipientState = 'pending' | 'delivered' | 'failed';

export interface QueueRecipientInput {
  address: string;
  /** RFC 3461 NOTIFY as given (null: the default, FAILURE). */
  notify: 'NEVER' | NotifyOn[] | null;
  orcpt: { type: string; address: string } | null;
}

export interface QueueRecipient extends QueueRecipientInput {
  /** Position in the envelope (stable key within the message). */
  index: number;
  state: RecipientState;
  /** The last reply or error for this recipient ("550 5.1.1 …", "connection refused"). */
  lastResult: string | null;
  /** RFC 3463 status of the last result ("4.4.1", "5.1.1"). */
  status: string | null;
  /** The remote host that gave the last result. */
  remoteMta: string | null;
  /** A success DSN was asked for and the smarthost will not send it (RFC 3461 "relayed"). */
  relayed: boolean;
  /** The sender was told once that delivery to this recipient is delayed (RFC 3464 "delayed"). */
  delayNotified: boolean;
}

export interface NewQueuedMessage {
  /** Envelope sender; null is the null reverse-path "<>" (bounces are never bounced). */
  sender: string | null;
  recipients: QueueRecipientInput[];
  message: Buffer;
  body: BodyType | null;
  smtputf8: boolean;
  ret: 'FULL' | 'HDRS' | null;
  envid: string | null;
  /** Who submitted it (login identity), for `postern queue list`. */
  submittedBy: string | null;
  /** When the first attempt is due; default now. */
  notBefore?: Date;
  /** The id to store it under (the SMTP session's, so logs and Received agree); default: a new one. */
  id?: QueueId;
}

export interface QueueEntry {
  id: QueueId;
  sender: string | null;
  recipients: QueueRecipient[];
  size: number;
  body: BodyType | null;
  smtputf8: boolean;
  ret: 'FULL' | 'HDRS' | null;
  envid: string | null;
  submittedBy: string | null;
  createdAt: Date;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAt: Date;
  /** While claimed: until when the claim holds. */
  leaseUntil: Date | null;
  lastError: string | null;
}

/** The outcome of one delivery attempt for one recipient. */
export interface RecipientOutcome {
  index: number;
  state: RecipientState;
  lastResult: string | null;
  status: string | null;
  remoteMta: string | null;
  relayed?: boolean;
}

export interface QueueStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Stores a message; resolves once it is durable. Returns its id. */
  enqueue(input: NewQueuedMessage): Promise<QueueId>;
  /**
   * Takes up to `limit` entries that are due (next attempt ≤ now, no live lease) and leases
   * them for `leaseMs`; no two callers — processes or nodes — get the same entry.
   */
  claimDue(now: Date, limit: number, leaseMs: number): Promise<QueueEntry[]>;
  /** The stored message bytes. */
  readMessage(id: QueueId): Promise<Buffer | null>;
  /**
   * Records an attempt: per-recipient outcomes, the attempt count +1, the next attempt time,
   * and releases the lease. Recipients not named keep their state.
   */
  recordAttempt(id: QueueId, outcomes: RecipientOutcome[], nextAttemptAt: Date, lastError: string | null): Promise<void>;
  /** Notes that the sender was told of the delay for these recipients (by index). */
  markDelayNotified(id: QueueId, indexes: number[]): Promise<void>;
  /** Gives a claimed entry back without counting an attempt (shutdown). */
  release(id: QueueId): Promise<void>;
  /** Deletes an entry (done, or removed by the admin). Resolves false when there was none. */
  remove(id: QueueId): Promise<boolean>;
  get(id: QueueId): Promise<QueueEntry | null>;
  /** Every entry, oldest first. */
  list(): Promise<QueueEntry[]>;
  /** Makes entries due now (all, or the one named); returns how many. */
  flush(id?: QueueId): Promise<number>;
  /** The earliest next attempt among unleased entries, or null when the queue is empty. */
  nextDue(): Promise<Date | null>;
  /**
   * Clears leases left by a process that died. SQLite: one server owns the data directory, so
   * at its start every lease is stale; PostgreSQL: other nodes may hold live leases, so this
   * does nothing there and stale leases simply expire.
   */
  recoverLeases(): Promise<number>;
  close(): Promise<void>;
}

export class QueueError extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'INVALID', message: string) {
    super(message);
    this.name = 'QueueError';
  }
}

// ---- shared by the implementations ------------------------------------------------------------

/** A new queue id: 16 upper-case hex digits, like the ids MTAs print in their logs. */
export function newQueueId(random: (n: number) => Buffer): QueueId {
  return random(8).toString('hex').toUpperCase();
}

const QUEUE_ID = /^[0-9A-F]{16}$/;

export function checkQueueId(id: string): QueueId {
  if (typeof id !== 'string' || !QUEUE_ID.test(id.toUpperCase())) throw new QueueError('INVALID', `"${String(id)}" is not a queue id (16 hexadecimal digits, as postern queue list shows).`);
  return id.toUpperCase();
}

export function checkNewQueuedMessage(input: NewQueuedMessage): void {
  if (!Buffer.isBuffer(input.message)) throw new QueueError('INVALID', 'The message must be bytes.');
  if (!Array.isArray(input.recipients) || input.recipients.length === 0) throw new QueueError('INVALID', 'A queued message needs at least one recipient.');
  for (const r of input.recipients) {
    if (typeof r.address !== 'string' || r.address.length === 0 || /[\r\n\0<>]/.test(r.address)) throw new QueueError('INVALID', `"${String(r.address)}" is not a recipient address.`);
  }
  if (input.sender !== null && (typeof input.sender !== 'string' || /[\r\n\0<>]/.test(input.sender))) throw new QueueError('INVALID', 'The sender address is malformed.');
}

/** NOTIFY as one text column: null, "NEVER" or "SUCCESS,FAILURE". */
export function encodeNotify(n: QueueRecipientInput['notify']): string | null {
  return n === null ? null : n === 'NEVER' ? 'NEVER' : n.join(',');
}

export function decodeNotify(s: string | null): QueueRecipientInput['notify'] {
  if (s === null) return null;
  if (s === 'NEVER') return 'NEVER';
  return s.split(',').filter((x): x is NotifyOn => x === 'SUCCESS' || x === 'FAILURE' || x === 'DELAY');
}
