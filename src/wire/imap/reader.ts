// Reads the arguments of one assembled command (RFC 9051 §4 data formats, §9 grammar): atoms,
// numbers, quoted strings, literals, lists. Text between literals is walked in place; a literal
// is taken where its marker ends a segment. Every violation throws ImapSyntaxError, which the
// parser turns into a tagged BAD.
import type { RawCommand } from './command-decoder.js';

export class ImapSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImapSyntaxError';
  }
}

const SP = 0x20;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const TILDE = 0x7e;

/** atom-specials (RFC 9051 §9): ( ) { SP CTL % * " \ ] and 8-bit. */
const ATOM_SPECIAL = new Uint8Array(256);
for (let c = 0; c < 0x20; c++) ATOM_SPECIAL[c] = 1;
for (let c = 0x7f; c < 256; c++) ATOM_SPECIAL[c] = 1;
for (const ch of '(){ %*"\\]') ATOM_SPECIAL[ch.charCodeAt(0)] = 1;

export function isAtomChar(c: number): boolean {
  return c >= 0 && ATOM_SPECIAL[c] === 0;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 when valid (RFC 9051 and RFC 6855 allow it in quoted strings), else one char per byte. */
export function decodeText(bytes: Buffer): string {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) {
      try {
        return utf8.decode(bytes);
      } catch {
        return bytes.toString('latin1');
      }
    }
  }
  return bytes.toString('latin1');
}

export class ArgReader {
  private seg = 0;
  private pos: number;
  private readonly segments: Buffer[];
  private readonly literals: Buffer[];

  constructor(command: RawCommand) {
    this.segments = command.segments;
    this.literals = command.literals;
    this.pos = command.argsStart;
  }

  private get cur(): Buffer {
    return this.segments[this.seg]!;
  }

  /** The next byte, or -1 at the end of the command (or just before a literal's bytes). */
  peek(): number {
    const s = this.cur;
    return this.pos < s.length ? s[this.pos]! : -1;
  }

  atEnd(): boolean {
    return this.seg === this.segments.length - 1 && this.pos >= this.cur.length;
  }

  /** Fails unless the whole command has been read. */
  end(): void {
    if (!this.atEnd()) throw new ImapSyntaxError('Unexpected extra arguments.');
  }

  /** Exactly one SP. */
  sp(): void {
    if (this.peek() !== SP) throw new ImapSyntaxError(this.atEnd() ? 'Missing arguments.' : 'Expected a space.');
    this.pos++;
  }

  /** Consumes one SP if there is one. */
  trySp(): boolean {
    if (this.peek() !== SP) return false;
    this.pos++;
    return true;
  }

  expect(ch: string): void {
    if (this.peek() !== ch.charCodeAt(0)) throw new ImapSyntaxError(`Expected "${ch}".`);
    this.pos++;
  }

  tryChar(ch: string): boolean {
    if (this.peek() !== ch.charCodeAt(0)) return false;
    this.pos++;
    return true;
  }

  /** Reads bytes while `ok` holds; at least one. */
  private run(ok: (c: number) => boolean, what: string): string {
    const s = this.cur;
    const start = this.pos;
    while (this.pos < s.length && ok(s[this.pos]!)) this.pos++;
    if (this.pos === start) {
      const c = this.peek();
      throw new ImapSyntaxError(c >= 0x80 ? `8-bit characters are not allowed in ${what}.` : `Expected ${what}.`);
    }
    return s.toString('latin1', start, this.pos);
  }

  atom(): string {
    return this.no8bit(this.run(isAtomChar, 'an atom'));
  }

  /**
   * An atom that may contain "]" (ASTRING-CHAR), as astring allows — and "\", which the grammar
   * forbids but real clients send unquoted in `LOGIN DOMAIN\user …` (Python's imaplib quotes only
   * the password); Dovecot takes it too.
   */
  private astringAtom(): string {
    return this.no8bit(this.run((c) => isAtomChar(c) || c === 0x5d || c === 0x5c, 'a string'));
  }

  /** An atom that stopped at an 8-bit byte is not "an atom followed by junk" but 8-bit in an atom. */
  private no8bit(atom: string): string {
    if (this.peek() >= 0x80) throw new ImapSyntaxError('8-bit characters are not allowed in atoms; use a quoted string or a literal.');
    return atom;
  }

  /** Atom, upper-cased (keywords such as FLAGS, UNCHANGEDSINCE). */
  keyword(): string {
    return this.atom().toUpperCase();
  }

  /** Characters of a fetch/search keyword up to "[", "(", SP, ")" or the end. */
  word(): string {
    return this.run((c) => isAtomChar(c) && c !== 0x5b && c !== 0x3c, 'a keyword').toUpperCase();
  }

  number(): number {
    const text = this.run((c) => c >= 0x30 && c <= 0x39, 'a number');
    if (text.length > 10 || Number(text) > 4294967295) throw new ImapSyntaxError('Number out of range.');
    return Number(text);
  }

  nzNumber(): number {
    const n = this.number();
    if (n === 0) throw new ImapSyntaxError('Zero is not allowed here.');
    return n;
  }

  /**
   * mod-sequence-value (RFC 7162 §7): 1..2^63-1. Kept as a number, exact up to 2^53; a larger
   * value (never one this server hands out) only compares as "larger than any of ours".
   */
  modseq(allowZero = false): number {
    const text = this.run((c) => c >= 0x30 && c <= 0x39, 'a mod-sequence value');
    const v = Number(text);
    if (text.length > 19 || BigInt(text) > 9223372036854775807n) throw new ImapSyntaxError('Mod-sequence value out of range.');
    if (v === 0 && !allowZero) throw new ImapSyntaxError('Zero is not allowed here.');
    return v;
  }

  /** Text up to the next SP, ")" or the end, unvalidated (sequence sets, dates). */
  token(): string {
    return this.run((c) => c > SP && c < 0x7f && c !== 0x29 && c !== 0x28, 'an argument');
  }

  isStringStart(): boolean {
    const c = this.peek();
    if (c === TILDE) return this.cur[this.pos + 1] === LBRACE; // literal8 "~{n}", not an atom "~/Mail"
    return c === DQUOTE || c === LBRACE;
  }

  /** string = quoted / literal, as bytes. */
  stringBytes(): Buffer {
    const c = this.peek();
    if (c === DQUOTE) return this.quotedBytes();
    if (this.isStringStart()) return this.literal().data;
    throw new ImapSyntaxError('Expected a string.');
  }

  string(): string {
    return decodeText(this.stringBytes());
  }

  astring(): string {
    return this.isStringStart() ? this.string() : this.astringAtom();
  }

  /** nstring: NIL or a string; null for NIL. */
  nstring(): string | null {
    if (this.isStringStart()) return this.string();
    const a = this.atom();
    if (a.toUpperCase() !== 'NIL') throw new ImapSyntaxError('Expected a string or NIL.');
    return null;
  }

  /** list-mailbox (RFC 9051 §9): list-chars (including % * ]) or a string. */
  listMailbox(): string {
    if (this.isStringStart()) return this.string();
    return this.run((c) => isAtomChar(c) || c === 0x25 || c === 0x2a || c === 0x5d, 'a mailbox pattern');
  }

  /** A literal ("{n}", "{n+}" or literal8 "~{n}") at this position. */
  literal(): { data: Buffer; binary: boolean } {
    const s = this.cur;
    let p = this.pos;
    const binary = s[p] === TILDE;
    if (binary) p++;
    if (s[p] !== LBRACE) throw new ImapSyntaxError('Expected a literal.');
    const close = s.indexOf(0x7d, p);
    if (close !== s.length - 1 || this.seg >= this.literals.length) throw new ImapSyntaxError('A literal must end the line.');
    const data = this.literals[this.seg]!;
    this.seg++;
    this.pos = 0;
    return { data, binary };
  }

  private quotedBytes(): Buffer {
    const s = this.cur;
    let p = this.pos + 1;
    const out: number[] = [];
    let simple = true;
    const start = p;
    for (;;) {
      if (p >= s.length) throw new ImapSyntaxError('Unterminated quoted string.');
      const c = s[p]!;
      if (c === DQUOTE) break;
      if (c === 0x0d || c === 0x0a || c === 0) throw new ImapSyntaxError('CR, LF and NUL are not allowed in a quoted string.');
      if (c === BACKSLASH) {
        const n = s[p + 1];
        if (n !== DQUOTE && n !== BACKSLASH) throw new ImapSyntaxError('Only \\" and \\\\ may be escaped in a quoted string.');
        if (simple) {
          for (let k = start; k < p; k++) out.push(s[k]!);
          simple = false;
        }
        out.push(n);
        p += 2;
        continue;
      }
      if (!simple) out.push(c);
      p++;
    }
    const bytes = simple ? s.subarray(start, p) : Buffer.from(out);
    this.pos = p + 1;
    return bytes;
  }

  /** "(" item *(SP item) ")" — or "()" when `allowEmpty`. */
  list<T>(item: () => T, allowEmpty = true): T[] {
    this.expect('(');
    const out: T[] = [];
    if (this.tryChar(')')) {
      if (!allowEmpty) throw new ImapSyntaxError('The list may not be empty.');
      return out;
    }
    for (;;) {
      out.push(item());
      if (this.tryChar(')')) return out;
      this.sp();
    }
  }

  /** A parenthesized list or a single item. */
  listOrOne<T>(item: () => T): T[] {
    return this.peek() === 0x28 ? this.list(item, false) : [item()];
  }

  /** flag (RFC 9051 §9): "\" atom or atom (keywords); "\*" only where `allowWildcard`. */
  flag(allowWildcard = false): string {
    if (this.tryChar('\\')) {
      if (allowWildcard && this.tryChar('*')) return '\\*';
      return '\\' + this.atom();
    }
    return this.atom();
  }

  /** Everything left on the current segment (for diagnostics). */
  rest(): string {
    return this.cur.toString('latin1', this.pos);
  }
}
