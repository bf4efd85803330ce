// IMAP command building, client side (RFC 9051 §4, §6; grammar §9). A command is a list of
// parts — text, and literals that the connection sends either synchronising ({n}, wait for
// "+") or non-synchronising ({n+}, RFC 7888 LITERAL+/LITERAL-) — so the builder never decides
// how the bytes go out. Strings become quoted strings when they can (printable, no CR/LF, not
// too long) and literals otherwise. Parts marked sensitive appear in the log as "***".
import { encodeMailboxName } from './mutf7.js';
import { formatNumberSet, parseSequenceSet } from './sequence-set.js';
import { formatDateTime } from './date.js';

export type CommandPart =
  | { kind: 'text'; text: string; sensitive?: boolean }
  | { kind: 'literal'; data: Buffer; binary?: boolean; sensitive?: boolean };

export interface StringOptions {
  /** UTF-8 may travel in quoted strings (UTF8=ACCEPT or IMAP4rev2, RFC 6855 §3). */
  utf8?: boolean;
  /** Shown as *** in the protocol log (passwords). */
  sensitive?: boolean;
}

/** Longest string sent quoted; longer ones go as literals (servers limit line length). */
const MAX_QUOTED = 1000;

export class CommandBuilder {
  readonly parts: CommandPart[] = [];

  constructor(readonly name: string) {
    this.text(name);
  }

  text(s: string, sensitive = false): this {
    const last = this.parts[this.parts.length - 1];
    if (last && last.kind === 'text' && !last.sensitive && !sensitive) last.text += s;
    else this.parts.push(sensitive ? { kind: 'text', text: s, sensitive } : { kind: 'text', text: s });
    return this;
  }

  /** A space then the value as an atom (caller guarantees atom syntax). */
  atom(s: string): this {
    return this.text(` ${s}`);
  }

  /** A space then the value as a quoted string or a literal. */
  string(value: string | Buffer, options: StringOptions = {}): this {
    this.text(' ');
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (canQuote(bytes, options.utf8 ?? false)) {
      return this.text(quote(bytes.toString(options.utf8 ? 'utf8' : 'latin1')), options.sensitive ?? false);
    }
    this.parts.push({ kind: 'literal', data: bytes, ...(options.sensitive && { sensitive: true }) });
    return this;
  }

  /** astring: an atom when it is one (shorter on the wire), else string(). */
  astring(value: string, options: StringOptions = {}): this {
    if (/^[!#-'*+\-.0-9:-Z^-z|~\]]+$/.test(value) && !options.sensitive) return this.atom(value);
    return this.string(value, options);
  }

  /** A mailbox name: INBOX as is, others in modified UTF-7 unless UTF-8 is on (RFC 9051 §5.1). */
  mailbox(name: string, utf8: boolean): this {
    if (name.toUpperCase() === 'INBOX') return this.atom('INBOX');
    return this.string(utf8 ? name : encodeMailboxName(name), { utf8 });
  }

  /** A literal (binary: literal8 "~{n}", RFC 3516 §4.4). */
  literal(data: Buffer, binary = false): this {
    this.text(' ');
    this.parts.push(binary ? { kind: 'literal', data, binary } : { kind: 'literal', data });
    return this;
  }

  /** The command as the protocol log shows it: literals as {n}, sensitive parts as ***. */
  logText(tag: string): string {
    return `${tag} ${this.parts.map((p) => (p.sensitive ? '***' : p.kind === 'text' ? p.text : `{${p.data.length}}`)).join('')}`;
  }
}

function canQuote(bytes: Buffer, utf8: boolean): boolean {
  if (bytes.length > MAX_QUOTED) return false;
  for (const b of bytes) {
    if (b === 0x0d || b === 0x0a || b === 0x00) return false;
    if (b >= 0x80 && !utf8) return false;
  }
  return true;
}

/** RFC 9051 §4.3 quoted string: backslash and double quote escaped. */
export function quote(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** What a caller may pass as a set of UIDs or message numbers. */
export type SequenceInput = number | string | readonly number[] | { from: number; to?: number | '*' };

/** The wire form of a sequence set; TypeError for something that is not one. */
export function formatSequence(input: SequenceInput): string {
  if (typeof input === 'number') {
    checkNumber(input);
    return String(input);
  }
  if (typeof input === 'string') {
    const t = input.replace(/\s+/g, '');
    if (!parseSequenceSet(t)) throw new TypeError(`"${input}" is not a sequence set (e.g. "1:5,7" or "1:*")`);
    return t;
  }
  if (Array.isArray(input)) {
    if (input.length === 0) throw new TypeError('an empty set of messages');
    input.forEach(checkNumber);
    return formatNumberSet([...new Set(input)].sort((a, b) => a - b));
  }
  const r = input as { from: number; to?: number | '*' };
  checkNumber(r.from);
  if (r.to === undefined || r.to === '*') return `${r.from}:*`;
  checkNumber(r.to);
  return `${r.from}:${r.to}`;
}

function checkNumber(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new TypeError(`${n} is not a message number or UID (1 to 2^32-1)`);
}

/** A flag list "(\Seen $Label)"; flags are atoms (RFC 9051 §9 flag). */
export function flagList(flags: readonly string[]): string {
  for (const f of flags) {
    if (!/^\\?[!#$&'+\-.0-9:<-Z^-z|~]+$/.test(f)) throw new TypeError(`"${f}" is not a valid flag or keyword`);
  }
  return `(${flags.join(' ')})`;
}

// ---- SEARCH ----

export interface SearchCriteria {
  all?: boolean;
  seen?: boolean;
  answered?: boolean;
  flagged?: boolean;
  deleted?: boolean;
  draft?: boolean;
  recent?: boolean;
  new?: boolean;
  old?: boolean;
  keyword?: string;
  unkeyword?: string;
  from?: string;
  to?: string;
  cc?: string;
  bcc?: string;
  subject?: string;
  body?: string;
  text?: string;
  /** Header field contains value ('' = the field exists). */
  header?: Record<string, string>;
  /** Internal date (delivery), day granularity in the server's time zone. */
  since?: Date;
  before?: Date;
  on?: Date;
  /** Date: header, day granularity. */
  sentSince?: Date;
  sentBefore?: Date;
  sentOn?: Date;
  /** RFC822.SIZE bounds in octets. */
  larger?: number;
  smaller?: number;
  uid?: SequenceInput;
  seq?: SequenceInput;
  /** CONDSTORE: changed after this mod-sequence (RFC 7162 §3.1.5). */
  modseq?: bigint | number;
  /** OBJECTID (RFC 8474). */
  emailId?: string;
  threadId?: string;
  not?: SearchCriteria;
  /** Any of these (nested ORs, RFC 9051 §6.4.4). */
  or?: SearchCriteria[];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 9051 §9 date: "1-Feb-1994" (the UTC calendar day of the Date). */
export function searchDate(d: Date): string {
  if (Number.isNaN(d.getTime())) throw new TypeError('invalid Date in search criteria');
  return `${d.getUTCDate()}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

/**
 * Appends the search keys for `c` (ANDed, as IMAP does) to `b`. Returns true when a string
 * needs CHARSET UTF-8 (non-ASCII and UTF-8 not already on).
 */
export function appendSearch(b: CommandBuilder, c: SearchCriteria, utf8: boolean): boolean {
  let needsCharset = false;
  let count = 0;
  const key = (k: string): void => {
    b.atom(k);
    count++;
  };
  const str = (k: string, v: string): void => {
    key(k);
    if (!utf8 && /[^\x00-\x7f]/.test(v)) needsCharset = true;
    b.string(v, { utf8 });
  };
  const flag = (v: boolean | undefined, on: string, off: string): void => {
    if (v === true) key(on);
    else if (v === false) key(off);
  };
  if (c.all) key('ALL');
  flag(c.seen, 'SEEN', 'UNSEEN');
  flag(c.answered, 'ANSWERED', 'UNANSWERED');
  flag(c.flagged, 'FLAGGED', 'UNFLAGGED');
  flag(c.deleted, 'DELETED', 'UNDELETED');
  flag(c.draft, 'DRAFT', 'UNDRAFT');
  if (c.recent === true) key('RECENT');
  if (c.new === true) key('NEW');
  if (c.old === true) key('OLD');
  if (c.keyword !== undefined) { key('KEYWORD'); b.atom(flagList([c.keyword]).slice(1, -1)); }
  if (c.unkeyword !== undefined) { key('UNKEYWORD'); b.atom(flagList([c.unkeyword]).slice(1, -1)); }
  for (const k of ['from', 'to', 'cc', 'bcc', 'subject', 'body', 'text'] as const) {
    const v = c[k];
    if (v !== undefined) str(k.toUpperCase(), v);
  }
  for (const [name, value] of Object.entries(c.header ?? {})) {
    key('HEADER');
    b.string(name, { utf8 });
    if (!utf8 && /[^\x00-\x7f]/.test(value)) needsCharset = true;
    b.string(value, { utf8 });
  }
  const dates: Array<[keyof SearchCriteria, string]> = [['since', 'SINCE'], ['before', 'BEFORE'], ['on', 'ON'], ['sentSince', 'SENTSINCE'], ['sentBefore', 'SENTBEFORE'], ['sentOn', 'SENTON']];
  for (const [k, word] of dates) {
    const v = c[k];
    if (v instanceof Date) { key(word); b.atom(searchDate(v)); }
  }
  if (c.larger !== undefined) { key('LARGER'); b.atom(String(Math.trunc(c.larger))); }
  if (c.smaller !== undefined) { key('SMALLER'); b.atom(String(Math.trunc(c.smaller))); }
  if (c.uid !== undefined) { key('UID'); b.atom(formatSequence(c.uid)); }
  if (c.seq !== undefined) { b.atom(formatSequence(c.seq)); count++; }
  if (c.modseq !== undefined) { key('MODSEQ'); b.atom(String(c.modseq)); }
  if (c.emailId !== undefined) { key('EMAILID'); b.atom(c.emailId); }
  if (c.threadId !== undefined) { key('THREADID'); b.atom(c.threadId); }
  if (c.not) {
    key('NOT');
    b.text(' (');
    needsCharset = appendGroup(b, c.not, utf8) || needsCharset;
    b.text(')');
  }
  if (c.or && c.or.length > 0) {
    // OR takes two keys: a OR b OR c is OR a (OR b c).
    const alts = c.or;
    const emit = (i: number): void => {
      if (i === alts.length - 1) {
        b.text(' (');
        needsCharset = appendGroup(b, alts[i]!, utf8) || needsCharset;
        b.text(')');
        return;
      }
      b.atom('OR');
      b.text(' (');
      needsCharset = appendGroup(b, alts[i]!, utf8) || needsCharset;
      b.text(')');
      emit(i + 1);
    };
    if (alts.length === 1) {
      b.text(' (');
      needsCharset = appendGroup(b, alts[0]!, utf8) || needsCharset;
      b.text(')');
    } else emit(0);
    count++;
  }
  if (count === 0) key('ALL');
  return needsCharset;
}

/** Keys of a nested group, without the leading space of the first. */
function appendGroup(b: CommandBuilder, c: SearchCriteria, utf8: boolean): boolean {
  const inner = new CommandBuilder('');
  const needs = appendSearch(inner, c, utf8);
  // Drop the leading space the first key brought.
  const first = inner.parts[0];
  if (first && first.kind === 'text') first.text = first.text.replace(/^ /, '');
  for (const p of inner.parts) {
    if (p.kind === 'text') b.text(p.text, p.sensitive ?? false);
    else b.parts.push(p);
  }
  return needs;
}

/** INTERNALDATE for APPEND, quoted (RFC 9051 §6.3.12). */
export function appendDate(d: Date): string {
  return quote(formatDateTime(d));
}
