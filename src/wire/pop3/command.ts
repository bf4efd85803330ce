// POP3 command codec (RFC 1939, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 AUTH). Pure: one
// command line in (without CRLF), a typed command or a reason out.

export type Pop3Command =
  | { name: 'USER'; user: string }
  | { name: 'PASS'; password: string }
  | { name: 'APOP' }
  | { name: 'AUTH'; mechanism: string | null; initialResponse: string | null }
  | { name: 'STLS' }
  | { name: 'CAPA' }
  | { name: 'STAT' }
  | { name: 'LIST'; msg: number | null }
  | { name: 'UIDL'; msg: number | null }
  | { name: 'RETR'; msg: number }
  | { name: 'TOP'; msg: number; lines: number }
  | { name: 'DELE'; msg: number }
  | { name: 'NOOP' }
  | { name: 'RSET' }
  | { name: 'QUIT' };

export type Pop3CommandName = Pop3Command['name'];

export type Pop3ParseResult =
  | { ok: true; command: Pop3Command }
  | { ok: false; name: string | null; reason: string };

const KNOWN = new Set<string>(['USER', 'PASS', 'APOP', 'AUTH', 'STLS', 'CAPA', 'STAT', 'LIST', 'UIDL', 'RETR', 'TOP', 'DELE', 'NOOP', 'RSET', 'QUIT']);

/** RFC 1939 §3: a keyword of 3-4 characters, arguments separated by single spaces. */
export function parsePop3Command(line: Buffer | string): Pop3ParseResult {
  const text = typeof line === 'string' ? line : line.toString('latin1');
  if (text.includes('\0')) return { ok: false, name: null, reason: 'Command contains a NUL byte.' };
  if (text.length === 0) return { ok: false, name: null, reason: 'Empty command.' };
  const sp = text.indexOf(' ');
  const keyword = (sp < 0 ? text : text.slice(0, sp)).toUpperCase();
  const rest = sp < 0 ? '' : text.slice(sp + 1);
  if (!KNOWN.has(keyword)) {
    return { ok: false, name: null, reason: `Unknown command: ${printable(keyword.slice(0, 20))}` };
  }
  const args = rest === '' ? [] : rest.split(' ');
  const bad = (reason: string): Pop3ParseResult => ({ ok: false, name: keyword, reason });
  const noArgs = (command: Pop3Command): Pop3ParseResult => (args.length ? bad(`${keyword} takes no arguments.`) : { ok: true, command });
  switch (keyword) {
    case 'USER':
      // The whole rest: login names such as "EXAMPLE\alice\sales" contain no spaces, but some
      // clients quote nothing, so take it verbatim.
      return rest.length ? { ok: true, command: { name: 'USER', user: rest } } : bad('USER needs a login name.');
    case 'PASS':
      // RFC 1939 §7: a password may contain spaces; everything after "PASS " is the password.
      return rest.length ? { ok: true, command: { name: 'PASS', password: rest } } : bad('PASS needs a password.');
    case 'APOP':
      return { ok: true, command: { name: 'APOP' } };
    case 'AUTH':
      if (args.length > 2) return bad('AUTH takes a mechanism and an optional initial response.');
      return { ok: true, command: { name: 'AUTH', mechanism: args[0]?.toUpperCase() ?? null, initialResponse: args[1] ?? null } };
    case 'STLS': return noArgs({ name: 'STLS' });
    case 'CAPA': return noArgs({ name: 'CAPA' });
    case 'STAT': return noArgs({ name: 'STAT' });
    case 'NOOP': return noArgs({ name: 'NOOP' });
    case 'RSET': return noArgs({ name: 'RSET' });
    case 'QUIT': return noArgs({ name: 'QUIT' });
    case 'LIST':
    case 'UIDL': {
      if (args.length > 1) return bad(`${keyword} takes at most one message number.`);
      if (args.length === 0) return { ok: true, command: { name: keyword, msg: null } };
      const msg = parseMessageNumber(args[0]!);
      return msg === null ? bad('Invalid message number.') : { ok: true, command: { name: keyword, msg } };
    }
    case 'RETR':
    case 'DELE': {
      if (args.length !== 1) return bad(`${keyword} needs one message number.`);
      const msg = parseMessageNumber(args[0]!);
      return msg === null ? bad('Invalid message number.') : { ok: true, command: { name: keyword, msg } };
    }
    case 'TOP': {
      if (args.length !== 2) return bad('TOP needs a message number and a line count.');
      const msg = parseMessageNumber(args[0]!);
      const lines = /^\d{1,9}$/.test(args[1]!) ? Number(args[1]) : null;
      if (msg === null) return bad('Invalid message number.');
      if (lines === null) return bad('Invalid line count.');
      return { ok: true, command: { name: 'TOP', msg, lines } };
    }
  }
  return bad('Unknown command.');
}

function parseMessageNumber(s: string): number | null {
  if (!/^\d{1,9}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 ? n : null;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}

/** The line as the protocol log may show it: credentials replaced by "***". */
export function redactPop3Line(line: string, inSaslExchange: boolean): string {
  if (inSaslExchange) return '***';
  const m = /^(PASS|AUTH\s+\S+)\s+(.*)$/i.exec(line);
  if (m) return `${m[1]} ***`;
  if (/^APOP\s/i.test(line)) return 'APOP ***';
  return line;
}

// ---- responses ----

export type Pop3ResponseCode = 'AUTH' | 'SYS/TEMP' | 'SYS/PERM' | 'IN-USE' | 'LOGIN-DELAY';

export function okLine(text: string): string {
  return text ? `+OK ${text}\r\n` : '+OK\r\n';
}

export function errLine(text: string, code?: Pop3ResponseCode): string {
  return code ? `-ERR [${code}] ${text}\r\n` : `-ERR ${text}\r\n`;
}

/** RFC 5034 §4: a server challenge, base64. */
export function continuationLine(data: Buffer): string {
  return `+ ${data.toString('base64')}\r\n`;
}

/** A multi-line body of text lines (CAPA, LIST, UIDL): dot-stuffed and terminated. */
export function multiLine(lines: string[]): string {
  return lines.map((l) => (l.startsWith('.') ? '.' + l : l) + '\r\n').join('') + '.\r\n';
}
