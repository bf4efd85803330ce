// Delivery Status Notifications (RFC 3464, in a multipart/report of RFC 6522): the bounce a
// sender gets when a message could not be delivered (or, on request, when it was). Pure: the
// caller passes the clock value, the Message-ID and the boundary.
import { formatMailDate } from '../mime/date.js';

export type DsnAction = 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';

export interface DsnRecipient {
  /** The address we tried (Final-Recipient, RFC 3464 §2.3.2). */
  finalRecipient: string;
  /** RFC 3461 ORCPT as the client gave it. */
  originalRecipient: { type: string; address: string } | null;
  action: DsnAction;
  /** RFC 3463 status, e.g. "5.1.1". */
  status: string;
  /** The host that answered, if any (Remote-MTA). */
  remoteMta: string | null;
  /** The remote reply ("550 5.1.1 No such user") or our own explanation. */
  diagnostic: string | null;
  lastAttempt: Date | null;
  /** For "delayed": when we give up (Will-Retry-Until, RFC 3464 §2.3.7). */
  willRetryUntil?: Date | null;
}

export interface DsnInput {
  /** This server's host name (Reporting-MTA). */
  reportingMta: string;
  /** Where the report goes: the original envelope sender. */
  to: string;
  recipients: DsnRecipient[];
  /** When we accepted the original message. */
  arrivalDate: Date;
  envid: string | null;
  /** RFC 3461 RET: FULL returns the whole message, HDRS (and the default) its header only. */
  ret: 'FULL' | 'HDRS';
  original: Buffer;
  /** Above this size a FULL return is cut back to the headers (RFC 3461 §4.3 allows it). */
  maxReturnSize?: number;
  date: Date;
  messageId: string;
  boundary: string;
}

/** The header block of a message (up to and including the empty line), or all of it. */
export function headerPart(message: Buffer): Buffer {
  const i = message.indexOf('\r\n\r\n');
  if (i >= 0) return message.subarray(0, i + 4);
  const j = message.indexOf('\n\n');
  return j >= 0 ? message.subarray(0, j + 2) : message;
}

function field(name: string, value: string): string {
  return `${name}: ${value.replace(/[\r\n]+/g, ' ')}\r\n`;
}

/** RFC 3464 §2.3.6: a diagnostic of type "smtp" holds the reply as received. */
function diagnosticField(d: string): string {
  const text = d.replace(/[\r\n]+/g, ' ').slice(0, 900);
  return field('Diagnostic-Code', /^\d{3}[ -]/.test(text) ? `smtp; ${text}` : `X-Postern; ${text}`);
}

function summary(recipients: DsnRecipient[]): { subject: string; intro: string } {
  const failed = recipients.some((r) => r.action === 'failed');
  const delayed = recipients.some((r) => r.action === 'delayed');
  if (failed) {
    return {
      subject: 'Undelivered Mail Returned to Sender',
      intro: 'Your message could not be delivered to one or more recipients. It is attached below.\r\n' +
        'The reason for each recipient is given with it; a permanent failure will not be retried.',
    };
  }
  if (delayed) {
    return {
      subject: 'Delayed Mail (still being retried)',
      intro: 'Your message has not been delivered yet to one or more recipients. Nothing needs to be\r\n' +
        'done: delivery will be retried, and you will hear again only if it finally fails.',
    };
  }
  return {
    subject: 'Successful Mail Delivery Report',
    intro: 'Your message was delivered (or handed on to a system that does not report further)\r\n' +
      'to the recipients below, as you asked.',
  };
}

export function buildDsn(input: DsnInput): Buffer {
  const { boundary } = input;
  const { subject, intro } = summary(input.recipients);
  const human = [
    `This is the mail system at ${input.reportingMta}.`,
    '',
    intro,
    '',
    ...input.recipients.map((r) =>
      `<${r.finalRecipient}>: ${r.action}${r.diagnostic ? ` (${r.diagnostic.replace(/[\r\n]+/g, ' ').slice(0, 500)})` : ''}`),
    '',
  ].join('\r\n');

  // RFC 3464 §2.2: per-message fields, a blank line, then one block per recipient.
  let status = field('Reporting-MTA', `dns; ${input.reportingMta}`);
  if (input.envid) status += field('Original-Envelope-Id', input.envid);
  status += field('Arrival-Date', formatMailDate(input.arrivalDate));
  for (const r of input.recipients) {
    status += '\r\n';
    if (r.originalRecipient) status += field('Original-Recipient', `${r.originalRecipient.type};${r.originalRecipient.address}`);
    status += field('Final-Recipient', `rfc822;${r.finalRecipient}`);
    status += field('Action', r.action);
    status += field('Status', r.status);
    if (r.remoteMta) status += field('Remote-MTA', `dns; ${r.remoteMta}`);
    if (r.diagnostic) status += diagnosticField(r.diagnostic);
    if (r.lastAttempt) status += field('Last-Attempt-Date', formatMailDate(r.lastAttempt));
    if (r.willRetryUntil) status += field('Will-Retry-Until', formatMailDate(r.willRetryUntil));
  }

  const full = input.ret === 'FULL' && input.original.length <= (input.maxReturnSize ?? 10 * 1024 * 1024);
  const returned = full ? input.original : headerPart(input.original);
  const eightBit = returned.some((b) => b >= 0x80);
  const returnedHead = full
    ? `Content-Type: message/rfc822\r\nContent-Description: Undelivered Message\r\n${eightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : ''}`
    : `Content-Type: text/rfc822-headers\r\nContent-Description: Undelivered Message Headers\r\n${eightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : ''}`;

  const head =
    field('From', `Mail Delivery System <MAILER-DAEMON@${input.reportingMta}>`) +
    field('To', `<${input.to}>`) +
    field('Subject', subject) +
    field('Date', formatMailDate(input.date)) +
    field('Message-ID', input.messageId) +
    // RFC 3834 §5: an automatic response; replies to it must not be automatic either.
    field('Auto-Submitted', 'auto-replied') +
    field('MIME-Version', '1.0') +
    `Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="${boundary}"\r\n` +
    (eightBit ? 'Content-Transfer-Encoding: 8bit\r\n' : '') +
    '\r\n';
  const parts = [
    Buffer.from(head + 'This is a MIME-encapsulated message.\r\n\r\n'),
    Buffer.from(`--${boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Description: Notification\r\n\r\n${human}\r\n`),
    Buffer.from(`--${boundary}\r\nContent-Type: message/delivery-status\r\nContent-Description: Delivery report\r\n\r\n${status}\r\n`),
    Buffer.from(`--${boundary}\r\n${returnedHead}\r\n`),
    returned,
    Buffer.from(`${returned.length && !returned.subarray(-2).equals(Buffer.from('\r\n')) ? '\r\n' : ''}\r\n--${boundary}--\r\n`),
  ];
  return Buffer.concat(parts);
}
