// Reports to the sender when the queue is done with a message (RFC 3464 DSN): "failed" for
// recipients that bounced (unless NOTIFY said otherwise), "relayed" for those that asked for
// SUCCESS when the smarthost would not report it. A bounce is never bounced: it goes out from
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
  const dsn = buildDsn({
    reportingMta: t.hostname,
    to: entry.sender,
    recipients: recipients.map((r) => dsnRecipient(r, now)),
    arrivalDate: entry.createdAt,
    envid: entry.envid,
    ret: entry.ret ?? 'HDRS',
    original: original ?? Buffer.alloc(0),
    date: now,
    messageId: `<${randomBytes(8).toString('hex')}.dsn@${t.hostname}>`,
    boundary: `dsn-${randomBytes(9).toString('base64url')}`,
  });
  const account = entry.sender.includes('@') ? await findRecipient(t.store, entry.sender) : null;
  if (account) {
    await deliverLocalMany(t.store, [account], dsn, { trace: returnPathHeader(null) });
    return 'local';
  }
  if (!t.canRelay) return null;
  await t.outbound.enqueue({
    sender: null,
    recipients: [{ address: entry.sender, notify: 'NEVER', orcpt: null }],
    message: dsn,
    body: dsn.some((b) => b >= 0x80) ? '8BITMIME' : null,
    smtputf8: false,
    ret: null,
    envid: null,
    submittedBy: null,
  });
  return 'queued';
}
