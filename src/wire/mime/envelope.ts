// IMAP's ENVELOPE (RFC 3501 §7.4.2 / RFC 9051 §7.5.2) from a header, in the raw form the
// protocol sends and in decoded form.
import { parseAddressList, type Address } from './address.js';
import { parseMailDate } from './date.js';
import { decodeWords } from './encoded-words.js';
import type { HeaderField, MimePart } from './types.js';

/**
 * One element of an IMAP address list. Groups (RFC 5322 §3.4) become a start marker
 * (IMAP: NIL NIL "group name" NIL) and an end marker (NIL NIL NIL NIL) around their members.
 */
export type EnvelopeAddress =
  | {
      kind: 'mailbox';
      /** Display name as sent (encoded words kept, quotes removed), or null. */
      name: string | null;
      /** Source route (obsolete), or null. */
      adl: string | null;
      /** Local part; Dovecot's "MISSING_MAILBOX" when there is none. */
      mailbox: string;
      /** Domain; Dovecot's "MISSING_DOMAIN" when there is none (a NIL host would mean a group). */
      host: string;
    }
  | { kind: 'group-start'; name: string }
  | { kind: 'group-end' };

export interface Envelope {
  /** Raw (unfolded) header values; null = NIL. */
  date: string | null;
  subject: string | null;
  from: EnvelopeAddress[] | null;
  sender: EnvelopeAddress[] | null;
  replyTo: EnvelopeAddress[] | null;
  to: EnvelopeAddress[] | null;
  cc: EnvelopeAddress[] | null;
  bcc: EnvelopeAddress[] | null;
  inReplyTo: string | null;
  messageId: string | null;
  /** The same fields decoded: RFC 2047 words, parsed date, address objects. */
  decoded: {
    date: Date | null;
    subject: string | null;
    from: Address[];
    sender: Address[];
    replyTo: Address[];
    to: Address[];
    cc: Address[];
    bcc: Address[];
    inReplyTo: string | null;
    messageId: string | null;
  };
}

export const MISSING_MAILBOX = 'MISSING_MAILBOX';
export const MISSING_DOMAIN = 'MISSING_DOMAIN';

/** Envelope address list of parsed addresses; null (NIL) when empty. */
export function toEnvelopeAddresses(list: readonly Address[]): EnvelopeAddress[] | null {
  const out: EnvelopeAddress[] = [];
  for (const a of list) {
    if (a.kind === 'group') {
      out.push({ kind: 'group-start', name: a.rawName });
      for (const m of a.members) out.push(mailboxItem(m));
      out.push({ kind: 'group-end' });
    } else out.push(mailboxItem(a));
  }
  return out.length > 0 ? out : null;
}

function mailboxItem(m: Extract<Address, { kind: 'mailbox' }>): EnvelopeAddress {
  return { kind: 'mailbox', name: m.raw.name, adl: m.raw.route, mailbox: m.raw.local || MISSING_MAILBOX, host: m.raw.domain || MISSING_DOMAIN };
}

/** The IMAP 4-tuple (name, adl, mailbox, host) of an envelope address; null stands for NIL. */
export function envelopeAddressTuple(a: EnvelopeAddress): [string | null, string | null, string | null, string | null] {
  if (a.kind === 'mailbox') return [a.name, a.adl, a.mailbox, a.host];
  if (a.kind === 'group-start') return [null, null, a.name, null];
  return [null, null, null, null];
}

function first(fields: readonly HeaderField[], key: string): string | null {
  for (const f of fields) if (f.key === key) return f.value;
  return null;
}

/** Builds the envelope from a message's header fields (or its top-level part). */
export function parseEnvelope(headers: readonly HeaderField[] | MimePart): Envelope {
  const fields = Array.isArray(headers) ? (headers as readonly HeaderField[]) : (headers as MimePart).headers;
  const addrs = (key: string): Address[] => {
    const v = first(fields, key);
    return v ? parseAddressList(v) : [];
  };
  const from = addrs('from');
  let sender = addrs('sender');
  let replyTo = addrs('reply-to');
  // RFC 3501 §7.4.2: absent or empty Sender / Reply-To take the value of From.
  if (sender.length === 0) sender = from;
  if (replyTo.length === 0) replyTo = from;
  const to = addrs('to');
  const cc = addrs('cc');
  const bcc = addrs('bcc');
  const date = first(fields, 'date');
  const subject = first(fields, 'subject');
  const inReplyTo = first(fields, 'in-reply-to');
  const messageId = first(fields, 'message-id');
  return {
    date: date || null,
    subject,
    from: toEnvelopeAddresses(from),
    sender: toEnvelopeAddresses(sender),
    replyTo: toEnvelopeAddresses(replyTo),
    to: toEnvelopeAddresses(to),
    cc: toEnvelopeAddresses(cc),
    bcc: toEnvelopeAddresses(bcc),
    inReplyTo: inReplyTo || null,
    messageId: messageId || null,
    decoded: {
      date: parseMailDate(date),
      subject: subject === null ? null : decodeWords(subject),
      from,
      sender,
      replyTo,
      to,
      cc,
      bcc,
      inReplyTo: inReplyTo || null,
      messageId: messageId || null,
    },
  };
}
