import { ftpDriver } from './ftp.js';
import { imapDriver } from './imap.js';
import { pop3Driver } from './pop3.js';
import { smtpDriver } from './smtp.js';
import type { ProtocolDriver, ProtocolId } from './types.js';

export const DRIVERS: Record<ProtocolId, ProtocolDriver> = { smtp: smtpDriver, imap: imapDriver, pop3: pop3Driver, ftp: ftpDriver };
export type { ProtocolDriver, ProtocolId, ProtocolSession, Capabilities, Greeting } from './types.js';

/** Which protocol a first line belongs to, when the port number does not say (SMTP and FTP
 * both greet with 220; the text usually names one of them). */
export function sniffProtocol(firstLine: string): ProtocolId | null {
  if (/^\* (OK|PREAUTH|BYE)\b/i.test(firstLine)) return 'imap';
  if (/^(\+OK|-ERR)\b/i.test(firstLine)) return 'pop3';
  if (/^(220|120|421)[ -]/.test(firstLine)) return /\bftp/i.test(firstLine) && !/smtp/i.test(firstLine) ? 'ftp' : 'smtp';
  return null;
}
