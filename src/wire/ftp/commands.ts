// FTP command formatting and the reply payloads a client has to read (pure).
import type { FtpReply } from './reply.js';

export class FtpSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FtpSyntaxError';
  }
}

/** One command line, CRLF-terminated (RFC 959 §5.3). CR or LF inside an argument would let a
 * caller smuggle a second command onto the control connection, so it is refused. */
export function formatFtpCommand(verb: string, arg?: string): string {
  if (!/^[A-Za-z]{3,4}$/.test(verb)) throw new FtpSyntaxError(`not an FTP command verb: ${verb}`);
  if (arg !== undefined && /[\r\n\0]/.test(arg)) throw new FtpSyntaxError('FTP command argument contains CR, LF or NUL');
  return arg === undefined || arg === '' ? `${verb.toUpperCase()}\r\n` : `${verb.toUpperCase()} ${arg}\r\n`;
}

export interface PassiveAddress {
  host: string;
  port: number;
}

/** The address in a 227 reply. RFC 959 §4.1.2 shows "(h1,h2,h3,h4,p1,p2)"; RFC 1123 §4.1.2.6
 * says to scan the text for the six numbers because servers vary the wrapping. */
export function parsePasvReply(reply: FtpReply): PassiveAddress {
  if (reply.code !== 227) throw new FtpSyntaxError(`PASV answered ${reply.code}, not 227`);
  const text = reply.lines.join(' ');
  const m = /(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3}),\s*(\d{1,3})/.exec(text);
  if (!m) throw new FtpSyntaxError('227 reply carries no h1,h2,h3,h4,p1,p2 address');
  const n = m.slice(1, 7).map(Number);
  if (n.some((x) => x > 255)) throw new FtpSyntaxError('227 reply has a number above 255');
  return { host: n.slice(0, 4).join('.'), port: n[4]! * 256 + n[5]! };
}

/** The port in a 229 reply: "(<d><d><d>port<d>)" with any printable delimiter (RFC 2428 §3). */
export function parseEpsvReply(reply: FtpReply): number {
  if (reply.code !== 229) throw new FtpSyntaxError(`EPSV answered ${reply.code}, not 229`);
  const text = reply.lines.join(' ');
  const m = /\(([\x21-\x7e])\1\1(\d{1,5})\1\)/.exec(text);
  if (!m) throw new FtpSyntaxError('229 reply carries no (|||port|) part');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new FtpSyntaxError('229 reply names a port outside 1-65535');
  return port;
}

/** FEAT features (RFC 2389 §3.2): each middle line of the 211 reply is " FEATURE [params]".
 * Keys are upper-cased feature names; values the parameter text ("" when none). */
export function parseFeatReply(reply: FtpReply): Map<string, string> {
  const out = new Map<string, string>();
  if (reply.code !== 211) return out;
  for (const line of reply.lines.slice(1, -1)) {
    const t = line.trim();
    if (!t) continue;
    const sp = t.indexOf(' ');
    const name = (sp < 0 ? t : t.slice(0, sp)).toUpperCase();
    out.set(name, sp < 0 ? '' : t.slice(sp + 1).trim());
  }
  return out;
}

/** The path in a 257 reply, with "" unescaped (RFC 959 Appendix II). */
export function parsePwdReply(reply: FtpReply): string {
  if (reply.code !== 257) throw new FtpSyntaxError(`PWD answered ${reply.code}, not 257`);
  const text = reply.lines[0] ?? '';
  const m = /^"((?:[^"]|"")*)"/.exec(text.trimStart());
  if (!m) throw new FtpSyntaxError('257 reply carries no quoted path');
  return m[1]!.replace(/""/g, '"');
}

/** Whether the reply class is a positive completion (2yz) or preliminary (1yz), RFC 959 §4.2.1. */
export const isPositive = (reply: FtpReply): boolean => reply.code >= 100 && reply.code < 400;
