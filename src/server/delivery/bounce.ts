// Reports to the sender when the queue is done with a message (RFC 3464 DSN): "failed" for
// recipients that bounced (unless NOTIFY said otherwise), "relayed" for those that asked for
// SUCCESS when the smarthost would not report it; and once, while it is still being retried,
// "delayed" (relay.delayNotification). A bounce is never bounced: it goes out from
// "<>" and messages from "<>" get none (RFC 5321 §4.5.5).
import { randomBytes } from 'node:crypto';
import type { MailStore } from '../../store/types.js';
import type { QueueEntry, QueueRecipient } from '../../store/queue-types.js';
import { buildDsn, type DsnRecipient } from '../../wire/smtp/dsn.js';
import { returnPathHeader } from '../../wire/smtp/trace.js';
import { deliverLocalMany, findRecipient } from './local.js';
import type { Outbound } from './outbound.js';

function wantsFailure(r: QueueRecipient): boolean {
  return r.notify === null || (Array.isArray(r.notify) && r.notify.includes('FAILURE'));
}

/** RFC 3461 §4.1: absent NOTIFY leaves delay notices to us; we send them, as Exchange does. */
function wantsDelay(r: QueueRecipient): boolean {
  return r.notify === null || (Array.isArray(r.notify) && r.notify.includes('DELAY'));
}

function wantsSuccess(r: QueueRecipient): boolean {
  return Array.isArray(r.notify) && r.notify.includes('SUCCESS');
}

/** The recipients a final report covers (empty: no report). */
export function reportable(entry: QueueEntry): QueueRecipient[] {
  if (entry.sender === null) return [];
  return entry.recipients.filter((r) => (r.state === 'failed' && wantsFailure(r)) || (r.state === 'delivered' && r.relayed && wantsSuccess(r)));
}

function dsnRecipient(r: QueueRecipient, now: Date): DsnRecipient {
  return {
    finalRecipient: r.address,
    originalRecipient: r.orcpt,
    action: r.state === 'failed' ? 'failed' : 'relayed',
    status: r.status ?? (r.state === 'failed' ? '5.0.0' : '2.0.0'),
    remoteMta: r.remoteMta,
    diagnostic: r.lastResult,
    lastAttempt: now,
  };
}

export interface BounceTarget {
  store: MailStore;
  outbound: Outbound;
  hostname: string;
  /** A smarthost is configured (a remote sender can only be reached through it). */
  canRelay: boolean;
}

/**
 * Sends the report for a finished queue entry, if one is due. Returns where it went
 * ('local', 'queued') or null when none was needed or it could not be routed.
 */
export async function sendFinalReport(t: BounceTarget, entry: QueueEntry, original: Buffer | null, now = new Date()): Promise<'local' | 'queued' | null> {
  const recipients = reportable(entry);
  if (recipients.length === 0 || entry.sender === null) return null;
  return sendReport(t, entry, recipients.map((r) => dsnRecipient(r, now)), original, now);
}

/** The recipients still pending that a delay notice should name (not yet told, NOTIFY allows). */
export function delayReportable(entry: QueueEntry): QueueRecipient[] {
  if (entry.sender === null) return [];
  return entry.recipients.filter((r) => r.state === 'pending' && !r.delayNotified && wantsDelay(r));
}

/**
 * Tells the sender that delivery to these recipients is delayed and still being retried until
 * `giveUp` (RFC 3464 Action: delayed). Headers only are returned, whatever RET said: the
 * message is not lost, so there is nothing to give back yet.
 */
export async function sendDelayReport(t: BounceTarget, entry: QueueEntry, recipients: QueueRecipient[], original: Buffer | null, giveUp: Date, now = new Date()): Promise<'local' | 'queued' | null> {
  if (recipients.length === 0 || entry.sender === null) return null;
  const rows = recipients.map((r): DsnRecipient => ({
    ...dsnRecipient(r, now),
    action: 'delayed',
    status: r.status && r.status.startsWith('4.') ? r.status : '4.4.7',
    willRetryUntil: giveUp,
  }));
  return sendReport(t, { ...entry, ret: 'HDRS' }, rows, original, now);
}

async function sendReport(t: BounceTarget, entry: QueueEntry, recipients: DsnRecipient[], original: Buffer | null, now: Date): Promise<'local' | 'queued' | null> {
  const sender = entry.sender!;
  const dsn = buildDsn({
    reportingMta: t.hostname,
    to: sender,
    recipients,
    arrivalDate: entry.createdAt,
    envid: entry.envid,
    ret: entry.ret ?? 'HDRS',
    original: original ?? Buffer.alloc(0),
    date: now,
    messageId: `<${randomBytes(8).toString('hex')}.dsn@${t.hostname}>`,
    boundary: `dsn-${randomBytes(9).toString('base64url')}`,
  });
  const account = sender.includes('@') ? await findRecipient(t.store, sender) : null;
  if (account) {
    await deliverLocalMany(t.store, [account], dsn, { trace: returnPathHeader(null) });
    return 'local';
  }
  if (!t.canRelay) return null;
  await t.outbound.enqueue({
    sender: null,
    recipients: [{ address: sender, notify: 'NEVER', orcpt: null }],
    message: dsn,
    body: dsn.some((b) => b >= 0x80) ? '8BITMIME' : null,
    smtputf8: false,
    ret: null,
    envid: null,
    submittedBy: null,
  });
  return 'queued';
}
