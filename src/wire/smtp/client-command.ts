// SMTP commands as a client writes them (RFC 5321 §4.1), with the ESMTP parameters of the
// extensions the relay passes on: SIZE (RFC 1870), BODY (RFC 6152, RFC 3030), SMTPUTF8
// (RFC 6531), RET/ENVID/NOTIFY/ORCPT (RFC 3461). Only parameters the server advertised are
// written, so the caller gives the EHLO keywords.
import { encodeXtext } from './xtext.js';
import type { BodyType, NotifyOn } from './command.js';

export interface MailOptions {
  size?: number;
  body?: BodyType | null;
  smtputf8?: boolean;
  ret?: 'FULL' | 'HDRS' | null;
  envid?: string | null;
}

export interface RcptOptions {
  notify?: 'NEVER' | NotifyOn[] | null;
  orcpt?: { type: string; address: string } | null;
}

/** Fails on CR/LF in anything spliced into a command (injection). */
function checkClean(s: string): string {
  if (/[\r\n\0]/.test(s)) throw new Error('CR, LF or NUL in an SMTP command argument');
  return s;
}

export function mailCommand(from: string | null, o: MailOptions, ehlo: ReadonlyMap<string, string[]>): string {
  let cmd = `MAIL FROM:<${checkClean(from ?? '')}>`;
  if (o.size !== undefined && ehlo.has('SIZE')) cmd += ` SIZE=${o.size}`;
  if (o.body && o.body !== '7BIT') {
    if (o.body === '8BITMIME' && ehlo.has('8BITMIME')) cmd += ' BODY=8BITMIME';
    if (o.body === 'BINARYMIME' && ehlo.has('BINARYMIME')) cmd += ' BODY=BINARYMIME';
  }
  if (o.smtputf8 && ehlo.has('SMTPUTF8')) cmd += ' SMTPUTF8';
  if (ehlo.has('DSN')) {
    if (o.ret) cmd += ` RET=${o.ret}`;
    if (o.envid) cmd += ` ENVID=${encodeXtext(o.envid)}`;
  }
  return cmd + '\r\n';
}

export function rcptCommand(to: string, o: RcptOptions, ehlo: ReadonlyMap<string, string[]>): string {
  let cmd = `RCPT TO:<${checkClean(to)}>`;
  if (ehlo.has('DSN')) {
    if (o.notify) cmd += ` NOTIFY=${o.notify === 'NEVER' ? 'NEVER' : o.notify.join(',')}`;
    if (o.orcpt) cmd += ` ORCPT=${checkClean(o.orcpt.type)};${encodeXtext(o.orcpt.address)}`;
  }
  return cmd + '\r\n';
}
