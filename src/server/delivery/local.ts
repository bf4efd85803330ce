// Local delivery: the one path by which mail enters a mailbox from outside (`postern deliver`,
// LMTP, SMTP for local recipients). Resolves the recipient, normalises line endings to CRLF
// (RFC 5322 §2.3; IMAP and POP3 sizes must match what they send), and appends durably.
import type { Account, MailStore, Mailbox, AppendResult } from '../../store/types.js';
import { StoreError } from '../../store/types.js';

export class DeliveryError extends Error {
  constructor(readonly code: 'unknown-recipient' | 'no-such-mailbox' | 'too-large' | 'temporary', message: string) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** An address, UPN or alias → the account that receives its mail. */
export async function findRecipient(store: MailStore, recipient: string): Promise<Account | null> {
  const r = recipient.trim().replace(/^<|>$/g, '').toLowerCase();
  if (!r) return null;
  if (r.includes('@')) return (await store.findAccountByAddress(r)) ?? (await store.findAccountByUpn(r));
  return store.findAccountByAlias(r);
}

export function toCrlf(raw: Buffer): Buffer {
  // Fast path: already CRLF everywhere (no LF without CR before it).
  let bare = false;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d) { bare = true; break; }
  }
  if (!bare) return raw;
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = raw.indexOf(0x0a); i >= 0; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d) {
      parts.push(raw.subarray(start, i), CRLF);
      start = i + 1;
    }
  }
  parts.push(raw.subarray(start));
  return Buffer.concat(parts);
}

async function targetMailbox(store: MailStore, account: Account, name: string): Promise<Mailbox> {
  const isInbox = name.toUpperCase() === 'INBOX';
  const found = await store.getMailbox(account.id, isInbox ? 'INBOX' : name);
  if (found) return found;
  if (!isInbox) throw new DeliveryError('no-such-mailbox', `${account.address} has no mailbox "${name}".`);
  try {
    return await store.createMailbox(account.id, 'INBOX', null);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'ALREADY_EXISTS') {
      const again = await store.getMailbox(account.id, 'INBOX');
      if (again) return again;
    }
    throw err;
  }
}

export interface DeliveryOptions {
  mailbox?: string;
  maxMessageSize?: number;
  flags?: string[];
  internalDate?: Date;
  /** Trace fields (Return-Path, Received; RFC 5321 §4.4) put before the message, CRLF-ended. */
  trace?: string;
}

function withTrace(message: Buffer, trace: string | undefined): Buffer {
  return trace ? Buffer.concat([Buffer.from(trace, 'utf8'), message]) : message;
}

/** Resolves once the message is durable in the recipient's mailbox. */
export async function deliverLocal(store: MailStore, recipient: string, raw: Buffer, options: DeliveryOptions = {}): Promise<{ account: Account; mailbox: Mailbox; result: AppendResult }> {
  const account = await findRecipient(store, recipient);
  if (!account) throw new DeliveryError('unknown-recipient', `No mailbox for ${recipient}.`);
  const message = withTrace(toCrlf(raw), options.trace);
  if (options.maxMessageSize !== undefined && message.length > options.maxMessageSize) {
    throw new DeliveryError('too-large', `The message (${message.length} octets) is larger than the limit of ${options.maxMessageSize} octets.`);
  }
  const mailbox = await targetMailbox(store, account, options.mailbox ?? 'INBOX');
  const result = await store.append(mailbox.id, {
    raw: message,
    ...(options.flags ? { flags: options.flags } : {}),
    ...(options.internalDate ? { internalDate: options.internalDate } : {}),
  });
  return { account, mailbox, result };
}

/**
 * One message into the INBOX of several accounts in a single transaction (SMTP/LMTP with more
 * than one local recipient): all get it or none does. Accounts are given already resolved
 * (findRecipient) and distinct; results come back in the same order.
 */
export async function deliverLocalMany(store: MailStore, accounts: Account[], raw: Buffer, options: Omit<DeliveryOptions, 'mailbox'> = {}): Promise<AppendResult[]> {
  const message = withTrace(toCrlf(raw), options.trace);
  if (options.maxMessageSize !== undefined && message.length > options.maxMessageSize) {
    throw new DeliveryError('too-large', `The message (${message.length} octets) is larger than the limit of ${options.maxMessageSize} octets.`);
  }
  const mailboxes = await Promise.all(accounts.map((a) => targetMailbox(store, a, 'INBOX')));
  const input = {
    raw: message,
    ...(options.flags ? { flags: options.flags } : {}),
    ...(options.internalDate ? { internalDate: options.internalDate } : {}),
  };
  if (mailboxes.length === 1) return [await store.append(mailboxes[0]!.id, input)];
  return store.appendMany(mailboxes.map((m) => m.id), input);
}

const CRLF = Buffer.from('\r\n');
