// The end of a transaction: the message is in hand (DATA or the last BDAT). Trace fields are
// added, local recipients get it through the one local-delivery path, the rest goes into the
// durable queue, and only then is 250 written (RFC 5321 §4.1.1.4, §6.1). LMTP answers once per
// recipient (RFC 2033 §4.2); SMTP once for the message.
import { randomBytes } from 'node:crypto';
import { scanHeaderBlock, findField } from '../../wire/mime/header-block.js';
import { flattenAddresses, parseAddressList } from '../../wire/mime/address.js';
import { formatMailDate } from '../../wire/mime/date.js';
import type { ReplySpec } from '../../wire/smtp/command.js';
import { receivedHeader, returnPathHeader, withProtocol } from '../../wire/smtp/trace.js';
import { buildDsn } from '../../wire/smtp/dsn.js';
import type { Account } from '../../store/types.js';
import { deliverLocalMany, findRecipient } from '../delivery/local.js';
import { errorReply, SenderNotAllowed, SmtpError } from './errors.js';
import { maySendAs } from './policy.js';
import type { AcceptedRecipient, SmtpSession, Transaction } from './session.js';

/** Header names present in the message's header block (lower-case). */
function headerFields(raw: Buffer) {
  return scanHeaderBlock(raw, 0, raw.length).fields;
}

/**
 * Submission only (RFC 6409 §8): From: must name addresses the user may send as, and a
 * missing Date or Message-ID is added.
 */
async function prepareSubmission(s: SmtpSession, tx: Transaction, raw: Buffer): Promise<Buffer> {
  const access = s.greeted?.access;
  if (!access) throw new SmtpError(530, '5.7.0', 'Authentication required.');
  const fields = headerFields(raw);
  const policy = s.settings().sendAs;
  const from = findField(fields, 'from');
  if (from && policy !== 'any') {
    for (const m of flattenAddresses(parseAddressList(from.value))) {
      if (m.address && !(await maySendAs(access, m.address, policy))) throw new SenderNotAllowed(m.address, 'header');
    }
  }
  let extra = '';
  if (!findField(fields, 'date')) extra += `Date: ${formatMailDate(new Date())}\r\n`;
  if (!findField(fields, 'message-id')) extra += `Message-ID: <${tx.id}.${Date.now().toString(36)}@${s.ctx.hostname}>\r\n`;
  return extra ? Buffer.concat([Buffer.from(extra), raw]) : raw;
}

function received(s: SmtpSession, tx: Transaction, recipient: string | null): string {
  const g = s.greeted;
  const tls = s.conn.tlsInfo;
  return receivedHeader({
    helo: g?.greeting.domain ?? null,
    remoteIp: s.conn.remoteAddress,
    by: s.ctx.hostname,
    protocol: withProtocol({
      lmtp: s.lmtp,
      extended: s.extended,
      tls: s.conn.isTls,
      authenticated: g?.access !== null && g?.access !== undefined,
      utf8: tx.params.smtputf8,
    }),
    id: tx.id,
    tls: tls ? { version: tls.protocol, cipher: tls.cipher } : null,
    recipient,
    date: new Date(),
  });
}

/** Distinct accounts of the local recipients, in first-seen order. */
function localAccounts(recipients: AcceptedRecipient[]): Account[] {
  const seen = new Map<number, Account>();
  for (const r of recipients) if (r.account && !seen.has(r.account.id)) seen.set(r.account.id, r.account);
  return [...seen.values()];
}

/** Returns the replies to send: one for SMTP, one per recipient (in RCPT order) for LMTP. */
export async function completeMessage(s: SmtpSession, tx: Transaction, message: Buffer): Promise<ReplySpec[]> {
  const raw = s.mode === 'submission' ? await prepareSubmission(s, tx, message) : message;
  const sender = tx.from?.address ?? null;
  const local = tx.recipients.filter((r) => r.account !== null);
  const remote = tx.recipients.filter((r) => r.account === null);
  const store = s.ctx.store;
  const maxMessageSize = s.ctx.limits().maxMessageSize;

  // Local delivery first; the trace is the final delivery's (RFC 5321 §4.4: Return-Path).
  const failedAccounts = new Map<number, ReplySpec>();
  if (local.length) {
    const accounts = localAccounts(local);
    const trace = returnPathHeader(sender) + received(s, tx, tx.recipients.length === 1 ? tx.recipients[0]!.address : null);
    try {
      await deliverLocalMany(store, accounts, raw, { trace, maxMessageSize: maxMessageSize + trace.length });
    } catch (err) {
      if (!s.lmtp || accounts.length === 1) {
        if (!s.lmtp) throw err;
        failedAccounts.set(accounts[0]!.id, errorReply(err));
      } else {
        // LMTP reports each recipient on its own (RFC 2033 §4.2): retry them one by one.
        for (const a of accounts) {
          try {
            await deliverLocalMany(store, [a], raw, { trace, maxMessageSize: maxMessageSize + trace.length });
          } catch (e) {
            failedAccounts.set(a.id, errorReply(e));
          }
        }
      }
    }
  }

  if (remote.length) {
    if (!s.ctx.outbound) throw new SmtpError(451, '4.3.0', 'Outgoing mail is not available right now; try again later.');
    const trace = received(s, tx, tx.recipients.length === 1 ? remote[0]!.address : null);
    await s.ctx.outbound.enqueue({
      id: tx.id,
      sender,
      recipients: remote.map((r) => ({ address: r.address, notify: r.notify, orcpt: r.orcpt })),
      message: Buffer.concat([Buffer.from(trace, 'utf8'), raw]),
      body: tx.params.body,
      smtputf8: tx.params.smtputf8,
      ret: tx.params.ret,
      envid: tx.params.envid,
      submittedBy: s.greeted?.access?.identity.address ?? null,
    });
  }

  const delivered = local.filter((r) => !failedAccounts.has(r.account!.id));
  await notifySuccess(s, tx, delivered, raw);

  if (!s.lmtp) return [{ code: 250, enhanced: '2.0.0', text: `Ok: queued as ${tx.id}` }];
  return tx.recipients.map((r) => failedAccounts.get(r.account!.id) ?? { code: 250, enhanced: '2.1.5', text: `<${r.address}> Ok: delivered as ${tx.id}` });
}

/**
 * RFC 3461 §4.1 NOTIFY=SUCCESS on a recipient we delivered locally: we are the final hop, so the
 * "delivered" report is ours to send. It goes to the envelope sender (never to "<>").
 */
async function notifySuccess(s: SmtpSession, tx: Transaction, delivered: AcceptedRecipient[], raw: Buffer): Promise<void> {
  const sender = tx.from?.address;
  const asked = delivered.filter((r) => Array.isArray(r.notify) && r.notify.includes('SUCCESS'));
  if (!sender || asked.length === 0) return;
  const now = new Date();
  const dsn = buildDsn({
    reportingMta: s.ctx.hostname,
    to: sender,
    recipients: asked.map((r) => ({
      finalRecipient: r.address, originalRecipient: r.orcpt, action: 'delivered', status: '2.0.0',
      remoteMta: null, diagnostic: null, lastAttempt: now,
    })),
    arrivalDate: now,
    envid: tx.params.envid,
    ret: 'HDRS',
    original: raw,
    date: now,
    messageId: `<${randomBytes(8).toString('hex')}.dsn@${s.ctx.hostname}>`,
    boundary: `dsn-${randomBytes(9).toString('base64url')}`,
  });
  try {
    const account = sender.includes('@') ? await findRecipient(s.ctx.store, sender) : null;
    if (account) {
      await deliverLocalMany(s.ctx.store, [account], dsn, { trace: returnPathHeader(null) });
    } else if (s.ctx.outbound && s.ctx.config().relay) {
      await s.ctx.outbound.enqueue({ sender: null, recipients: [{ address: sender, notify: 'NEVER', orcpt: null }], message: dsn, body: null, smtputf8: false, ret: null, envid: null, submittedBy: null });
    }
  } catch (err) {
    // The message itself is delivered; a lost success report must not turn that into an error.
    s.ctx.logger.warn({ err: (err as Error).message, id: tx.id }, 'success DSN could not be delivered');
  }
}
