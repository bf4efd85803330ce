// IMAP responses (RFC 9051 §7): status lines with response codes, and the data formats —
// atoms, quoted strings, literals, NIL, lists — chosen so any value is sent safely: text that
// cannot be quoted (CR, LF, NUL, 8-bit before UTF-8 is enabled, or long) goes as a literal.
// A response is built as chunks (text and raw Buffers) so message bytes are never copied
// into strings.

export type Chunk = string | Buffer;

export type ResponseCode =
  | 'ALERT' | 'ALREADYEXISTS' | 'APPENDUID' | 'AUTHENTICATIONFAILED' | 'AUTHORIZATIONFAILED'
  | 'BADCHARSET' | 'CANNOT' | 'CAPABILITY' | 'CLIENTBUG' | 'CLOSED' | 'COMPRESSIONACTIVE'
  | 'CONTACTADMIN' | 'COPYUID' | 'CORRUPTION' | 'EXPIRED' | 'EXPUNGEISSUED' | 'HIGHESTMODSEQ'
  | 'INUSE' | 'LIMIT' | 'MODIFIED' | 'NOMODSEQ' | 'NONEXISTENT' | 'NOPERM' | 'OVERQUOTA'
  | 'PARSE' | 'PERMANENTFLAGS' | 'PRIVACYREQUIRED' | 'READ-ONLY' | 'READ-WRITE' | 'SERVERBUG'
  | 'TOOBIG' | 'TRYCREATE' | 'UIDNEXT' | 'UIDNOTSTICKY' | 'UIDVALIDITY' | 'UNAVAILABLE'
  | 'UNKNOWN-CTE' | 'UNSEEN' | 'USEATTR' | 'MAILBOXID';

/** "[CODE args]" or "" — args already formatted. */
export function codeText(code: ResponseCode | null | undefined, args?: string): string {
  if (!code) return '';
  return args ? `[${code} ${args}] ` : `[${code}] `;
}

/** A status response line: "tag OK [CODE] text\r\n" ("*" for untagged). */
export function statusLine(tag: string, status: 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH', text: string, code?: ResponseCode | null, codeArgs?: string): string {
  return `${tag} ${status} ${codeText(code, codeArgs)}${oneLine(text)}\r\n`;
}

/** resp-text may not contain CR or LF. */
export function oneLine(text: string): string {
  return /[\r\n]/.test(text) ? text.replace(/[\r\n]+/g, ' ') : text;
}

/** "+ text" continuation request (RFC 9051 §7.6). */
export function continuation(text = 'go ahead'): string {
  return `+ ${text}\r\n`;
}

const QUOTABLE_MAX = 1024;

function needsLiteral(s: string, utf8: boolean): boolean {
  if (s.length > QUOTABLE_MAX) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x0d || c === 0x0a || c === 0) return true;
    if (c >= 0x80 && !utf8) return true;
  }
  return false;
}

export function quote(s: string): string {
  return '"' + (/["\\]/.test(s) ? s.replace(/["\\]/g, '\\$&') : s) + '"';
}

/** A literal: "{n}\r\n" then the bytes; literal8 "~{n}" when the bytes hold NUL (RFC 3516). */
export function literal(bytes: Buffer, allowBinary = false): Chunk[] {
  const binary = allowBinary && bytes.includes(0);
  return [`${binary ? '~' : ''}{${bytes.length}}\r\n`, bytes];
}

/**
 * string: quoted when it can be, else a literal. `utf8`: UTF-8 may appear in quoted strings
 * (IMAP4rev2 or UTF8=ACCEPT enabled); before that 8-bit text goes as a literal of UTF-8 bytes.
 */
export function string(value: string | Buffer, utf8: boolean): Chunk[] {
  if (Buffer.isBuffer(value)) {
    let plain = value.length <= QUOTABLE_MAX;
    for (let i = 0; plain && i < value.length; i++) {
      const c = value[i]!;
      if (c === 0x0d || c === 0x0a || c === 0 || (c >= 0x80 && !utf8)) plain = false;
    }
    return plain ? [quote(value.toString(utf8 ? 'utf8' : 'latin1'))] : literal(value);
  }
  return needsLiteral(value, utf8) ? literal(Buffer.from(value, 'utf8')) : [quote(value)];
}

/** nstring: NIL for null. */
export function nstring(value: string | Buffer | null | undefined, utf8: boolean): Chunk[] {
  return value === null || value === undefined ? ['NIL'] : string(value, utf8);
}

const ATOM_SAFE = /^[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;

/** astring: a bare atom when it is one (and not "NIL"), else a string. */
export function astring(value: string, utf8: boolean): Chunk[] {
  return ATOM_SAFE.test(value) && value.toUpperCase() !== 'NIL' ? [value] : string(value, utf8);
}

/** Joins chunks into bytes (text as UTF-8). */
export function toBytes(chunks: readonly Chunk[]): Buffer {
  if (chunks.length === 1) {
    const c = chunks[0]!;
    return typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
  }
  const bufs: Buffer[] = [];
  let text = '';
  for (const c of chunks) {
    if (typeof c === 'string') text += c;
    else {
      if (text) bufs.push(Buffer.from(text, 'utf8'));
      text = '';
      bufs.push(c);
    }
  }
  if (text) bufs.push(Buffer.from(text, 'utf8'));
  return bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs);
}

/** Byte length of chunks as toBytes would produce them. */
export function chunksLength(chunks: readonly Chunk[]): number {
  let n = 0;
  for (const c of chunks) n += typeof c === 'string' ? Buffer.byteLength(c, 'utf8') : c.length;
  return n;
}

/** A flag list "(\Seen $Label)". */
export function flagList(flags: readonly string[]): string {
  return `(${flags.join(' ')})`;
}
