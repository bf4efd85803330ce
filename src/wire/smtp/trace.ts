// Trace fields (RFC 5321 §4.4): the Received line every hop prepends, and the Return-Path the
// final delivery adds. Pure: the caller passes the clock value and the session's facts.
import { formatMailDate } from '../mime/date.js';

export interface ReceivedInfo {
  /** The name the client gave in EHLO/HELO/LHLO (null if it never said). */
  helo: string | null;
  remoteIp: string;
  /** This server's host name. */
  by: string;
  /** RFC 3848 / RFC 6531 §3.7.3 "with" keyword (see withProtocol). */
  protocol: string;
  /** Our queue or session id for the message. */
  id: string;
  tls: { version: string | null; cipher: string | null } | null;
  /** "for <…>" is written only for a single recipient (RFC 5321 §4.4: it would leak Bcc otherwise). */
  recipient: string | null;
  date: Date;
}

/** RFC 3848 "with" values (ESMTPA/S/SA, LMTP…), UTF8SMTP… when SMTPUTF8 was used (RFC 6531). */
export function withProtocol(o: { lmtp: boolean; extended: boolean; tls: boolean; authenticated: boolean; utf8: boolean }): string {
  const suffix = `${o.tls ? 'S' : ''}${o.authenticated ? 'A' : ''}`;
  if (o.lmtp) return `${o.utf8 ? 'UTF8' : ''}LMTP${suffix}`;
  if (o.utf8) return `UTF8SMTP${suffix}`;
  if (!o.extended) return 'SMTP';
  return `ESMTP${suffix}`;
}

/** Keeps header text to printable characters (a client's HELO name is untrusted). */
function safe(s: string): string {
  return s.replace(/[^\x21-\x7e\u0080-\uffff]/g, '?').slice(0, 255);
}

/** The Received field, folded, ending with CRLF. */
export function receivedHeader(r: ReceivedInfo): string {
  const from = r.helo ? `${safe(r.helo)} ([${r.remoteIp}])` : `[${r.remoteIp}]`;
  const tls = r.tls ? `\r\n\t(using ${safe(r.tls.version ?? 'TLS')} with cipher ${safe(r.tls.cipher ?? 'unknown')})` : '';
  const forClause = r.recipient ? `\r\n\tfor <${safe(r.recipient)}>` : '';
  return `Received: from ${from}\r\n\tby ${safe(r.by)} (postern) with ${r.protocol} id ${safe(r.id)}${tls}${forClause};\r\n\t${formatMailDate(r.date)}\r\n`;
}

/** RFC 5321 §4.4: added by the final delivery; "<>" for the null reverse-path. */
export function returnPathHeader(sender: string | null): string {
  return `Return-Path: <${sender ? safe(sender) : ''}>\r\n`;
}
