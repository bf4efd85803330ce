// Just enough IMAP response reading for a client that needs the greeting, CAPABILITY, STARTTLS,
// AUTHENTICATE/LOGIN and the tagged completion of a command (RFC 9051 §7, grammar §9; RFC 3501
// for IMAP4rev1 servers). Untagged data other than CAPABILITY is returned as its name and raw
// text. Literals ({n} at the end of a line, RFC 9051 §4.3) are read and kept apart so the line
// stays in step; a literal larger than maxLiteralBytes or a line longer than maxLineLength is an
// error as soon as the limit is crossed. Pure and resumable.
import { BoundedLines } from '../bounded-lines.js';

export type ImapStatus = 'OK' | 'NO' | 'BAD' | 'PREAUTH' | 'BYE';

export interface ImapResponseCode {
  /** Upper-cased atom, e.g. "CAPABILITY", "ALERT", "AUTHENTICATIONFAILED". */
  name: string;
  /** Text after the atom inside the brackets, if any. */
  text?: string;
}

export type ImapResponse =
  | {
      kind: 'status';
      /** "*" for untagged status responses (greeting, BYE, untagged OK). */
      tag: string;
      status: ImapStatus;
      code?: ImapResponseCode;
      text: string;
    }
  | {
      kind: 'data';
      /** Upper-cased data name: "CAPABILITY", "EXISTS", "FETCH", "LIST", ... */
      name: string;
      /** The message number or count before the name ("* 23 EXISTS"), if any. */
      number?: number;
      /** The text after the name, literals replaced by their "{n}" markers. */
      rest: string;
      literals: Buffer[];
    }
  | { kind: 'continuation'; text: string };

export type ImapResponseErrorCode = 'line-too-long' | 'literal-too-large' | 'bad-response';

export class ImapResponseError extends Error {
  readonly code: ImapResponseErrorCode;
  readonly excerpt: string;
  constructor(code: ImapResponseErrorCode, message: string, excerpt: string) {
    super(message);
    this.name = 'ImapResponseError';
    this.code = code;
    this.excerpt = excerpt.slice(0, 200);
  }
}

export type ImapResponseStep =
  | { kind: 'response'; response: ImapResponse }
  | { kind: 'need-more' }
  | { kind: 'error'; error: ImapResponseError };

export interface ImapResponseDecoderOptions {
  maxLineLength?: number;
  maxLiteralBytes?: number;
}

const STATUS = new Set(['OK', 'NO', 'BAD', 'PREAUTH', 'BYE']);

export class ImapResponseDecoder {
  private readonly lines: BoundedLines;
  /** The response so far when a literal interrupted it; `bytes` is the length of its line text
   * (literals excluded), which counts against maxLineLength. */
  private partial: { text: string; bytes: number; literals: Buffer[]; literalLeft: number } | null = null;
  private failed: ImapResponseError | null = null;
  private readonly maxLiteralBytes: number;

  constructor(options: ImapResponseDecoderOptions = {}) {
    this.lines = new BoundedLines({ maxLineLength: options.maxLineLength ?? 16384 });
    this.maxLiteralBytes = options.maxLiteralBytes ?? 1024 * 1024;
  }

  push(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  next(): ImapResponseStep {
    if (this.failed) return { kind: 'error', error: this.failed };
    for (;;) {
      if (this.partial && this.partial.literalLeft > 0) {
        const lit = this.lines.take(this.partial.literalLeft);
        if (!lit) return { kind: 'need-more' };
        this.partial.literals.push(lit);
        this.partial.literalLeft = 0;
      }
      const soFar = this.partial ? this.partial.bytes : 0;
      const s = this.lines.nextLine(soFar);
      if (s.kind === 'need-more') return s;
      if (s.kind === 'too-long') {
        return this.fail('line-too-long', `response line longer than ${this.lines.maxLineLength} bytes`, s.excerpt);
      }
      const piece = s.line.toString('utf8');
      const text = (this.partial?.text ?? '') + piece;
      const bytes = soFar + s.line.length;
      const literals = this.partial?.literals ?? [];
      // RFC 9051 §4.3: a line ending in {n} (or ~{n} for literal8) is followed by n octets.
      const lit = /~?\{(\d{1,10})\}$/.exec(piece);
      if (lit) {
        const n = Number(lit[1]);
        if (n > this.maxLiteralBytes) {
          return this.fail('literal-too-large', `literal of ${n} bytes exceeds ${this.maxLiteralBytes}`, text);
        }
        this.partial = { text, bytes, literals, literalLeft: n };
        continue;
      }
      this.partial = null;
      return this.parse(text, literals);
    }
  }

  bufferedBytes(): number {
    return this.lines.bufferedBytes();
  }

  /** Drops everything buffered (before the STARTTLS handshake, RFC 9051 §6.2.1) and returns the
   * count. */
  reset(): number {
    this.partial = null;
    this.failed = null;
    return this.lines.reset();
  }

  private parse(line: string, literals: Buffer[]): ImapResponseStep {
    if (line === '+' || line.startsWith('+ ')) {
      return { kind: 'response', response: { kind: 'continuation', text: line.slice(2) } };
    }
    const sp = line.indexOf(' ');
    if (sp <= 0) return this.fail('bad-response', 'response has no tag', line);
    const tag = line.slice(0, sp);
    const rest = line.slice(sp + 1);
    const m = /^([A-Za-z]+)(?: (.*))?$/.exec(rest);
    if (m && STATUS.has(m[1]!.toUpperCase())) {
      const status = m[1]!.toUpperCase() as ImapStatus;
      if (tag !== '*' && (status === 'PREAUTH' || status === 'BYE')) {
        return this.fail('bad-response', `tagged response with status ${status}`, line);
      }
      const { code, text } = splitRespText(m[2] ?? '');
      const response: ImapResponse = { kind: 'status', tag, status, text };
      if (code) response.code = code;
      return { kind: 'response', response };
    }
    if (tag !== '*') return this.fail('bad-response', 'tagged response is not OK, NO or BAD', line);
    const num = /^(\d+) ([A-Za-z]+)(?: (.*))?$/.exec(rest);
    if (num) {
      return {
        kind: 'response',
        response: { kind: 'data', name: num[2]!.toUpperCase(), number: Number(num[1]), rest: num[3] ?? '', literals },
      };
    }
    const data = /^([A-Za-z][A-Za-z0-9.-]*)(?: (.*))?$/.exec(rest);
    if (!data) return this.fail('bad-response', 'untagged response has no name', line);
    return { kind: 'response', response: { kind: 'data', name: data[1]!.toUpperCase(), rest: data[2] ?? '', literals } };
  }

  private fail(code: ImapResponseErrorCode, message: string, excerpt: Buffer | string): ImapResponseStep {
    const text = typeof excerpt === 'string' ? excerpt : excerpt.subarray(0, 200).toString('utf8');
    this.failed = new ImapResponseError(code, message, text);
    this.lines.stop();
    this.partial = null;
    return { kind: 'error', error: this.failed };
  }
}

/** RFC 9051 §9 resp-text = ["[" resp-text-code "]" SP] [text]. */
function splitRespText(s: string): { code?: ImapResponseCode; text: string } {
  if (!s.startsWith('[')) return { text: s };
  const close = s.indexOf(']');
  if (close < 0) return { text: s };
  const inner = s.slice(1, close);
  const sp = inner.indexOf(' ');
  const code: ImapResponseCode = { name: (sp < 0 ? inner : inner.slice(0, sp)).toUpperCase() };
  if (sp >= 0) code.text = inner.slice(sp + 1);
  return { code, text: s.slice(close + 1).replace(/^ /, '') };
}

/** Capabilities carried by a response: "* CAPABILITY ..." data or a [CAPABILITY ...] code in a
 * greeting or tagged OK (RFC 9051 §7.2.2, §7.1). Upper-cased; undefined when the response has none. */
export function capabilitiesOf(response: ImapResponse): string[] | undefined {
  if (response.kind === 'data' && response.name === 'CAPABILITY') return splitCaps(response.rest);
  if (response.kind === 'status' && response.code?.name === 'CAPABILITY') return splitCaps(response.code.text ?? '');
  return undefined;
}

function splitCaps(s: string): string[] {
  return s.split(/\s+/).filter(Boolean).map((c) => c.toUpperCase());
}

/** An IMAP quoted string (RFC 9051 §4.3) for LOGIN arguments: backslash and quote escaped; CR,
 * LF and NUL cannot be quoted and are refused. */
export function imapQuote(s: string): string {
  if (/[\r\n\0]/.test(s)) throw new RangeError('an IMAP quoted string cannot hold CR, LF or NUL');
  return `"${s.replace(/[\\"]/g, (c) => '\\' + c)}"`;
}
