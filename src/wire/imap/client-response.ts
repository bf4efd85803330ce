// IMAP response reader and parser, client side (RFC 9051 §7 and §9 grammar; RFC 3501 for
// IMAP4rev1 servers). Bytes in, typed responses out; pure and resumable.
//
// Reading: a response is a line, unless the line ends in a literal marker "{n}" (or "~{n}",
// literal8, RFC 3516) — then n octets follow and the response goes on after them. Input chunks
// are queued, not concatenated, so a 50 MB literal costs one copy, not one per chunk; and a
// literal the caller asks to stream (BODY[] of a big message) comes out as data steps while it
// arrives, with a placeholder left in the parsed response.
//
// Parsing: the response text is tokenised into values — atoms (strings), quoted strings and
// literals (Buffers, bytes exactly as sent), NIL (null) and parenthesised lists (arrays) — and
// status responses get their [CODE args] split off. What a FETCH, LIST or ESEARCH means is
// read from those values by client-fetch.ts and the client.

/** An atom (flags, numbers, keywords) is a string; a string or literal is a Buffer. */
export type ImapValue = string | Buffer | null | StreamedLiteral | ImapValue[];

/** Where a literal was handed out as a stream: its size, and the bytes are not here. */
export class StreamedLiteral {
  constructor(readonly size: number) {}
}

export type ImapStatus = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

export interface ResponseCode {
  /** Upper-cased: "UIDVALIDITY", "APPENDUID", "CAPABILITY", "ALERT" … */
  name: string;
  /** The arguments as values ("[COPYUID 38505 304,319 3956:3957]" → ["38505", "304,319", …]). */
  values: ImapValue[];
  /** The arguments as text, for codes we do not interpret. */
  text: string;
}

export type ImapResponse =
  | { kind: 'continuation'; text: string }
  | { kind: 'status'; tag: string; status: ImapStatus; code?: ResponseCode; text: string }
  | {
      kind: 'data';
      /** Upper-cased name: FETCH, EXISTS, LIST, ESEARCH … */
      name: string;
      /** The number before the name ("* 12 FETCH"), if any. */
      number?: number;
      values: ImapValue[];
    };

export type ImapReadErrorCode = 'line-too-long' | 'literal-too-large' | 'bad-response';

export class ImapReadError extends Error {
  readonly code: ImapReadErrorCode;
  readonly excerpt: string;
  constructor(code: ImapReadErrorCode, message: string, excerpt: string) {
    super(message);
    this.name = 'ImapReadError';
    this.code = code;
    this.excerpt = excerpt.slice(0, 200);
  }
}

export type ImapReadStep =
  | { kind: 'response'; response: ImapResponse; /** the text of the response, literals as {n} */ text: string }
  /** A literal the caller chose to stream starts; `prefix` is the response text before it. */
  | { kind: 'literal-start'; prefix: string; parts: string[]; literals: ReadonlyArray<Buffer | StreamedLiteral>; size: number }
  | { kind: 'literal-data'; data: Buffer }
  | { kind: 'literal-end' }
  | { kind: 'need-more' }
  | { kind: 'error'; error: ImapReadError };

export interface ImapReaderOptions {
  maxLineLength?: number;
  /** Largest literal kept in memory (a streamed literal has no limit). */
  maxLiteralBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const LITERAL_AT_END = /(~?)\{(\d{1,12})(\+?)\}$/;

export class ImapResponseReader {
  /** Unread input: `head` is being scanned, `queue` waits behind it. */
  private head: Buffer = Buffer.alloc(0);
  private queue: Buffer[] = [];
  private scanned = 0;
  private parts: string[] = [];
  private literals: Array<Buffer | StreamedLiteral> = [];
  private literal: { left: number; chunks: Buffer[]; size: number; streamed: boolean } | null = null;
  private literalEnded = false;
  private failed: ImapReadError | null = null;
  private readonly maxLineLength: number;
  private readonly maxLiteralBytes: number;
  /**
   * Decides whether a literal is streamed: gets the response text before it (ending with the
   * item name, e.g. "* 3 FETCH (UID 9 BODY[] ") and its size.
   */
  streamLiteral: ((prefix: string, size: number) => boolean) | null = null;

  constructor(options: ImapReaderOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 1024 * 1024;
    this.maxLiteralBytes = options.maxLiteralBytes ?? 256 * 1024 * 1024;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.head.length === 0) this.head = b;
    else this.queue.push(b);
  }

  /** Bytes received but not yet returned. */
  bufferedBytes(): number {
    return this.head.length + this.queue.reduce((n, b) => n + b.length, 0);
  }

  /** Drops everything buffered (before the STARTTLS handshake, RFC 9051 §6.2.1); returns the count. */
  reset(): number {
    const n = this.bufferedBytes();
    this.head = Buffer.alloc(0);
    this.queue = [];
    this.scanned = 0;
    this.parts = [];
    this.literals = [];
    this.literal = null;
    this.literalEnded = false;
    this.failed = null;
    return n;
  }

  next(): ImapReadStep {
    if (this.failed) return { kind: 'error', error: this.failed };
    if (this.literalEnded) {
      this.literalEnded = false;
      return { kind: 'literal-end' };
    }
    for (;;) {
      if (this.literal) {
        const step = this.readLiteral();
        if (step) return step;
        continue;
      }
      const line = this.takeLine();
      if (line === null) {
        if (this.head.length - 0 > this.maxLineLength + 1 && this.head.indexOf(LF) < 0) {
          return this.fail('line-too-long', `response line longer than ${this.maxLineLength} bytes`, this.head.subarray(0, 200).toString('latin1'));
        }
        return { kind: 'need-more' };
      }
      if (line.length + this.partsLength() > this.maxLineLength) {
        return this.fail('line-too-long', `response longer than ${this.maxLineLength} bytes (literals not counted)`, line);
      }
      const m = LITERAL_AT_END.exec(line);
      if (m) {
        const size = Number(m[2]);
        this.parts.push(line.slice(0, line.length - m[0].length));
        const prefix = this.textSoFar();
        const streamed = this.streamLiteral !== null && this.streamLiteral(prefix, size);
        if (!streamed && size > this.maxLiteralBytes) {
          return this.fail('literal-too-large', `literal of ${size} bytes exceeds ${this.maxLiteralBytes}`, prefix);
        }
        this.literal = { left: size, chunks: [], size, streamed };
        if (streamed) {
          this.literals.push(new StreamedLiteral(size));
          return { kind: 'literal-start', prefix, parts: this.parts.slice(), literals: this.literals.slice(0, -1), size };
        }
        continue;
      }
      this.parts.push(line);
      const parts = this.parts;
      const literals = this.literals;
      this.parts = [];
      this.literals = [];
      const text = joinText(parts, literals);
      try {
        return { kind: 'response', response: parseResponse(parts, literals), text };
      } catch (err) {
        return this.fail('bad-response', (err as Error).message, text);
      }
    }
  }

  private partsLength(): number {
    let n = 0;
    for (const p of this.parts) n += p.length;
    return n;
  }

  private textSoFar(): string {
    return joinText(this.parts, this.literals);
  }

  /** One line (without CRLF) from the input, latin1 so bytes survive; null when incomplete. */
  private takeLine(): string | null {
    for (;;) {
      const lf = this.head.indexOf(LF, this.scanned);
      if (lf >= 0) {
        const end = lf > 0 && this.head[lf - 1] === CR ? lf - 1 : lf;
        const line = this.head.toString('latin1', 0, end);
        this.advance(lf + 1);
        return line;
      }
      this.scanned = this.head.length;
      if (this.queue.length === 0) return null;
      if (this.head.length > this.maxLineLength + 1) return null;
      // A line split across chunks: join just these two.
      this.head = Buffer.concat([this.head, this.queue.shift()!]);
    }
  }

  private advance(n: number): void {
    this.head = this.head.subarray(n);
    this.scanned = 0;
    if (this.head.length === 0 && this.queue.length > 0) this.head = this.queue.shift()!;
  }

  /** Moves literal bytes; returns a step to hand out, or null to go on. */
  private readLiteral(): ImapReadStep | null {
    const lit = this.literal!;
    if (lit.left > 0) {
      if (this.head.length === 0) return { kind: 'need-more' };
      const take = Math.min(lit.left, this.head.length);
      const piece = this.head.subarray(0, take);
      lit.left -= take;
      this.advance(take);
      if (lit.streamed) {
        if (lit.left === 0) {
          this.literal = null;
          this.literalEnded = true;
        }
        return { kind: 'literal-data', data: Buffer.from(piece) };
      }
      lit.chunks.push(piece);
      if (lit.left > 0) return null;
    }
    this.literal = null;
    if (lit.streamed) return { kind: 'literal-end' };
    this.literals.push(lit.chunks.length === 1 ? Buffer.from(lit.chunks[0]!) : Buffer.concat(lit.chunks, lit.size));
    return null;
  }

  private fail(code: ImapReadErrorCode, message: string, excerpt: string): ImapReadStep {
    this.failed = new ImapReadError(code, message, excerpt);
    this.head = Buffer.alloc(0);
    this.queue = [];
    this.parts = [];
    this.literals = [];
    this.literal = null;
    return { kind: 'error', error: this.failed };
  }
}

function joinText(parts: string[], literals: ReadonlyArray<Buffer | StreamedLiteral>): string {
  let s = '';
  for (let i = 0; i < parts.length; i++) {
    s += parts[i];
    const l = literals[i];
    if (l !== undefined) s += `{${l instanceof StreamedLiteral ? l.size : l.length}}`;
  }
  return s;
}

// ---- parsing ----

const STATUS = new Set(['OK', 'NO', 'BAD', 'PREAUTH', 'BYE']);

/** Parses one complete response: text segments with a literal between each pair. */
export function parseResponse(parts: string[], literals: ReadonlyArray<Buffer | StreamedLiteral>): ImapResponse {
  const first = parts[0] ?? '';
  if (first === '+' || first.startsWith('+ ')) return { kind: 'continuation', text: first.slice(2) };
  const sp = first.indexOf(' ');
  if (sp <= 0) throw new Error('response has no tag');
  const tag = first.slice(0, sp);
  const cur = new Cursor(parts, literals, sp + 1);
  const word = cur.atom().toUpperCase();
  if (STATUS.has(word)) {
    if (tag !== '*' && (word === 'PREAUTH' || word === 'BYE')) throw new Error(`tagged ${word}`);
    // Human-readable text may be UTF-8 (RFC 9051 §9 allows it in resp-text with UTF8=ACCEPT).
    const rt = respText(cur.rest());
    return { kind: 'status', tag, status: word as ImapStatus, ...rt, text: Buffer.from(rt.text, 'latin1').toString('utf8') };
  }
  if (tag !== '*') throw new Error('a tagged response that is not OK, NO or BAD');
  let number: number | undefined;
  let name = word;
  if (/^\d+$/.test(word)) {
    number = Number(word);
    cur.space();
    name = cur.atom().toUpperCase();
  }
  if (!name) throw new Error('untagged response without a name');
  const values: ImapValue[] = [];
  while (!cur.done()) {
    if (!cur.space()) break;
    if (cur.done()) break;
    values.push(cur.value());
  }
  return number !== undefined ? { kind: 'data', name, number, values } : { kind: 'data', name, values };
}

/** resp-text (RFC 9051 §9): an optional "[code args]" then text. */
function respText(s: string): { code?: ResponseCode; text: string } {
  const t = s.startsWith(' ') ? s.slice(1) : s;
  if (!t.startsWith('[')) return { text: t };
  const cur = new Cursor([t], [], 1, true);
  const name = cur.atom().toUpperCase();
  const values: ImapValue[] = [];
  const argStart = cur.position();
  try {
    while (!cur.done() && cur.peek() !== ']') {
      if (!cur.space()) break;
      if (cur.peek() === ']') break;
      values.push(cur.value());
    }
  } catch {
    // An unreadable code argument: keep the text only.
  }
  const close = t.indexOf(']', cur.position());
  if (close < 0) return { text: t };
  const text = t.slice(argStart, close).trim();
  return { code: { name, values, text }, text: t.slice(close + 1).replace(/^ /, '') };
}

/** Walks text segments with a literal between each pair, reading values. */
class Cursor {
  private i = 0;
  constructor(
    private readonly parts: string[],
    private readonly literals: ReadonlyArray<Buffer | StreamedLiteral>,
    private pos: number,
    /** Inside a response code, "]" ends an atom. */
    private readonly inCode = false,
  ) {}

  position(): number {
    return this.pos;
  }

  private get s(): string {
    return this.parts[this.i] ?? '';
  }

  /** At the end of a segment that a literal follows. */
  private atLiteral(): boolean {
    return this.pos >= this.s.length && this.i < this.literals.length;
  }

  done(): boolean {
    return this.pos >= this.s.length && this.i >= this.parts.length - 1 && !this.atLiteral();
  }

  peek(): string {
    return this.s[this.pos] ?? '';
  }

  space(): boolean {
    if (this.s[this.pos] === ' ') {
      this.pos++;
      return true;
    }
    return false;
  }

  rest(): string {
    return this.s.slice(this.pos);
  }

  atom(): string {
    const s = this.s;
    const start = this.pos;
    while (this.pos < s.length) {
      const c = s[this.pos]!;
      if (c === ' ' || c === '(' || c === ')' || c === '"' || (this.inCode && c === ']')) break;
      if (c === '[' && !this.inCode) {
        // BODY[HEADER.FIELDS (A B)]<0>: the section may hold spaces and parentheses.
        const close = s.indexOf(']', this.pos);
        if (close < 0) break;
        this.pos = close + 1;
        continue;
      }
      this.pos++;
    }
    return s.slice(start, this.pos);
  }

  value(): ImapValue {
    if (this.atLiteral()) {
      const lit = this.literals[this.i]!;
      this.i++;
      this.pos = 0;
      return lit;
    }
    const c = this.peek();
    if (c === '(') {
      this.pos++;
      const list: ImapValue[] = [];
      for (;;) {
        if (this.peek() === ')') {
          this.pos++;
          return list;
        }
        if (this.done()) throw new Error('unterminated list');
        if (list.length > 0 || this.peek() === ' ') {
          // Values are separated by one space; tolerate extra ones.
          while (this.peek() === ' ') this.pos++;
          if (this.peek() === ')') continue;
        }
        list.push(this.value());
      }
    }
    if (c === '"') return this.quoted();
    if (c === '') throw new Error('a value was expected');
    const a = this.atom();
    if (a.length === 0) throw new Error(`unexpected "${c}"`);
    return a.toUpperCase() === 'NIL' ? null : a;
  }

  private quoted(): Buffer {
    const s = this.s;
    let out = '';
    let i = this.pos + 1;
    for (;;) {
      if (i >= s.length) throw new Error('unterminated quoted string');
      const c = s[i]!;
      if (c === '"') break;
      if (c === '\\' && i + 1 < s.length) {
        out += s[i + 1];
        i += 2;
        continue;
      }
      out += c;
      i++;
    }
    this.pos = i + 1;
    return Buffer.from(out, 'latin1');
  }
}

// ---- helpers for reading values ----

/** A value as text: strings decoded as UTF-8, atoms as they are; null for NIL. */
export function valueText(v: ImapValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  return null;
}

/** A number value (atoms of digits); NaN when it is not one. */
export function valueNumber(v: ImapValue | undefined): number {
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : Buffer.isBuffer(v) && /^\d+$/.test(v.toString('latin1')) ? Number(v.toString('latin1')) : NaN;
}

export function valueBigInt(v: ImapValue | undefined): bigint | undefined {
  const t = typeof v === 'string' ? v : Buffer.isBuffer(v) ? v.toString('latin1') : '';
  return /^\d+$/.test(t) ? BigInt(t) : undefined;
}

export function isList(v: ImapValue | undefined): v is ImapValue[] {
  return Array.isArray(v);
}

/**
 * A FETCH response cut short at a streamed literal: its message number, the items complete so
 * far, and the name of the item the literal belongs to ("BODY[]", "BINARY[1]").
 */
export function parseFetchPrefix(parts: readonly string[], literals: ReadonlyArray<Buffer | StreamedLiteral>): { seq: number; items: Array<[string, ImapValue]>; item: string } | null {
  const m = /^\* (\d+) FETCH \(/i.exec(parts[0] ?? '');
  if (!m) return null;
  // Parse "name value" pairs up to the literal, which sits at the very end.
  const cur = new Cursor([...parts], literals, m[0].length);
  const items: Array<[string, ImapValue]> = [];
  for (;;) {
    while (cur.peek() === ' ') cur.space();
    const name = cur.atom();
    if (!name) return null;
    if (!cur.space() || cur.done()) return { seq: Number(m[1]), items, item: name.toUpperCase() };
    items.push([name.toUpperCase(), cur.value()]);
  }
}
