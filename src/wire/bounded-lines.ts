// A bounded, resumable line reader: the part every client-side reply decoder (SMTP, FTP, POP3,
// IMAP response-lite) shares. Bytes are pushed as they arrive; nextLine() hands back one line at a
// time without its line end, says it needs more bytes, or says the line is too long.
//
// Lines end in CRLF (RFC 5321 §2.3.8, RFC 959 §4.2, RFC 1939 §3, RFC 9051 §2.2); a bare LF is
// tolerated because real servers send one, and a CR not followed by LF stays part of the line.
// The limit counts bytes, line end excluded, and is enforced as soon as it is crossed, before
// the LF arrives, so a peer streaming an endless line cannot grow memory. The answer does not
// depend on how the bytes were split into chunks. Pure: no I/O, no clock, no text decoding.

export interface BoundedLinesOptions {
  /** Longest accepted line in bytes, CRLF (or LF) excluded. */
  maxLineLength: number;
}

export type LineStep =
  | { kind: 'line'; line: Buffer }
  | { kind: 'need-more' }
  /** The line crossed maxLineLength. excerpt holds its bytes so far (all of them when its end had
   * arrived, line end excluded). The reader has stopped and keeps answering this. */
  | { kind: 'too-long'; excerpt: Buffer };

const LF = 0x0a;
const CR = 0x0d;
const EMPTY = Buffer.alloc(0);

export class BoundedLines {
  readonly maxLineLength: number;
  private buf: Buffer = EMPTY;
  /** No LF in buf[0, scanned): a line arriving in many chunks is searched once, not quadratically. */
  private scanned = 0;
  private stopped: LineStep | null = null;

  constructor(options: BoundedLinesOptions) {
    this.maxLineLength = options.maxLineLength;
  }

  /** Adds received bytes; ignored once the reader has stopped (until reset()). */
  push(chunk: Uint8Array): void {
    if (this.stopped) return;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
  }

  /**
   * The next complete line. `used` is how many bytes of the same logical line the caller has
   * already taken (IMAP: the text before a literal, RFC 9051 §4.3); they count against the limit.
   * The returned Buffer is a view into the reader's buffer: copy it to keep it past the next push.
   */
  nextLine(used = 0): LineStep {
    if (this.stopped) return this.stopped;
    const lf = this.buf.indexOf(LF, this.scanned);
    if (lf < 0) {
      this.scanned = this.buf.length;
      // One byte of slack: the CR of a line exactly maxLineLength long may come before its LF.
      if (used + this.buf.length > this.maxLineLength + 1) return this.halt({ kind: 'too-long', excerpt: this.buf });
      return { kind: 'need-more' };
    }
    const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf; // tolerate a bare LF
    const line = this.buf.subarray(0, end);
    this.buf = this.buf.subarray(lf + 1);
    this.scanned = 0;
    if (used + line.length > this.maxLineLength) return this.halt({ kind: 'too-long', excerpt: line });
    return { kind: 'line', line };
  }

  /** Exactly n raw bytes (an IMAP literal, which may hold CRLF), copied, or null while fewer are
   * buffered. Does not apply the line limit: the caller bounds n. */
  take(n: number): Buffer | null {
    if (this.stopped || this.buf.length < n) return null;
    const out = Buffer.from(this.buf.subarray(0, n));
    this.buf = this.buf.subarray(n);
    this.scanned = Math.max(0, this.scanned - n);
    return out;
  }

  /** Bytes received but not yet returned. */
  bufferedBytes(): number {
    return this.buf.length;
  }

  /** Drops what is buffered and ignores further bytes until reset(), so a decoder that found the
   * stream broken stays failed instead of reading on out of step. nextLine() then needs more. */
  stop(): void {
    this.halt({ kind: 'need-more' });
  }

  /** Drops everything buffered and reads on (before a TLS handshake: RFC 3207 §4.2, RFC 2595 §4,
   * RFC 4217 §4, RFC 9051 §6.2.1); returns how many bytes were dropped. */
  reset(): number {
    const n = this.buf.length;
    this.buf = EMPTY;
    this.scanned = 0;
    this.stopped = null;
    return n;
  }

  private halt(step: LineStep): LineStep {
    this.stopped = step;
    this.buf = EMPTY;
    this.scanned = 0;
    return step;
  }
}
