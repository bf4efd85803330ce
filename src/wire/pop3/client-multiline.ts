// POP3 client-side response reader that streams multi-line bodies (RETR, TOP of a large
// message) instead of collecting them: status lines come out whole, the body comes out as
// un-stuffed chunks as the bytes arrive, then a body-end step.
//
// RFC 1939 §3: after "+OK" to a multi-line command, lines follow until one holding only ".";
// a line that starts with "." has one more "." in front, which the reader removes. Only line
// starts matter, so the reader passes everything between "\n." occurrences through untouched:
// one indexOf per line, no per-line buffers. Pure and resumable; bytes may be split anywhere.
import { Pop3ResponseError, type Pop3Status } from './response.js';

export type Pop3ClientStep =
  | { kind: 'status'; status: Pop3Status; code?: string[]; text: string }
  | { kind: 'continuation'; text: string }
  /** Un-stuffed body bytes, line ends as sent. */
  | { kind: 'body'; data: Buffer }
  | { kind: 'body-end' }
  | { kind: 'need-more' }
  | { kind: 'error'; error: Pop3ResponseError };

const LF = 0x0a;
const CR = 0x0d;
const DOT = 0x2e;

export class Pop3ClientReader {
  private buf: Buffer = Buffer.alloc(0);
  private scanned = 0;
  private multiline = false;
  private inBody = false;
  private lineStart = true;
  private pendingEnd = false;
  private failed: Pop3ResponseError | null = null;
  private readonly maxLineLength: number;

  constructor(options: { maxLineLength?: number } = {}) {
    this.maxLineLength = options.maxLineLength ?? 4096;
  }

  /** Whether the next +OK starts a multi-line body (the protocol has no marker for it). */
  expectMultiline(multiline: boolean): void {
    this.multiline = multiline;
  }

  get inMultilineBody(): boolean {
    return this.inBody;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([this.buf, chunk]);
  }

  next(): Pop3ClientStep {
    if (this.failed) return { kind: 'error', error: this.failed };
    if (this.pendingEnd) {
      this.pendingEnd = false;
      return { kind: 'body-end' };
    }
    return this.inBody ? this.body() : this.statusLine();
  }

  /** Drops everything buffered (before the STLS handshake, RFC 2595 §4); returns the count. */
  reset(): number {
    const n = this.buf.length;
    this.buf = Buffer.alloc(0);
    this.scanned = 0;
    this.multiline = false;
    this.inBody = false;
    this.lineStart = true;
    this.pendingEnd = false;
    this.failed = null;
    return n;
  }

  private statusLine(): Pop3ClientStep {
    const lf = this.buf.indexOf(LF, this.scanned);
    if (lf < 0) {
      this.scanned = this.buf.length;
      if (this.buf.length > this.maxLineLength + 1) return this.fail('line-too-long', `response line longer than ${this.maxLineLength} bytes`, this.buf);
      return { kind: 'need-more' };
    }
    const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
    const line = this.buf.subarray(0, end).toString('utf8');
    this.buf = this.buf.subarray(lf + 1);
    this.scanned = 0;
    if (line.length > this.maxLineLength) return this.fail('line-too-long', `response line longer than ${this.maxLineLength} bytes`, line);
    // RFC 5034 §4: "+ " (or a bare "+") is a SASL challenge.
    if (line === '+' || line.startsWith('+ ')) return { kind: 'continuation', text: line.slice(2) };
    const m = /^(\+OK|-ERR)(?: (.*))?$/i.exec(line);
    if (!m) return this.fail('bad-status', 'response does not start with +OK or -ERR', line);
    const status = m[1]!.toUpperCase() as Pop3Status;
    let text = m[2] ?? '';
    let code: string[] | undefined;
    const c = /^\[([^\]]*)\]\s?/.exec(text); // RFC 2449 §8 extended response codes
    if (c) {
      code = c[1]!.split('/');
      text = text.slice(c[0].length);
    }
    if (status === '+OK' && this.multiline) {
      this.inBody = true;
      this.lineStart = true;
    }
    this.multiline = false;
    return code ? { kind: 'status', status, code, text } : { kind: 'status', status, text };
  }

  private body(): Pop3ClientStep {
    const buf = this.buf;
    const out: Buffer[] = [];
    let pos = 0;
    let ended = false;
    for (;;) {
      if (this.lineStart) {
        if (pos >= buf.length) break;
        if (buf[pos] === DOT) {
          if (buf.length - pos < 2) break;
          if (buf[pos + 1] === LF) { pos += 2; ended = true; break; }
          if (buf[pos + 1] === CR) {
            if (buf.length - pos < 3) break;
            if (buf[pos + 2] === LF) { pos += 3; ended = true; break; }
          }
          pos += 1; // a stuffed dot
        }
        this.lineStart = false;
      }
      const lf = buf.indexOf(LF, pos);
      if (lf < 0) {
        if (pos < buf.length) out.push(buf.subarray(pos));
        pos = buf.length;
        break;
      }
      out.push(buf.subarray(pos, lf + 1));
      pos = lf + 1;
      this.lineStart = true;
    }
    // Keep only what could not be decided yet (a "." or ".\r" at a line start).
    this.buf = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    if (ended) {
      this.inBody = false;
      this.lineStart = true;
    }
    if (out.length > 0) {
      // Body bytes first; when the terminator came with them, body-end is the next step.
      if (ended) this.pendingEnd = true;
      return { kind: 'body', data: out.length === 1 ? Buffer.from(out[0]!) : Buffer.concat(out) };
    }
    return ended ? { kind: 'body-end' } : { kind: 'need-more' };
  }

  private fail(code: 'line-too-long' | 'bad-status', message: string, excerpt: Buffer | string): Pop3ClientStep {
    const text = typeof excerpt === 'string' ? excerpt : excerpt.subarray(0, 200).toString('utf8');
    this.failed = new Pop3ResponseError(code, message, text);
    this.buf = Buffer.alloc(0);
    return { kind: 'error', error: this.failed };
  }
}
