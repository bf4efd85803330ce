// Splits a byte stream into CRLF-terminated lines with a maximum length, and — for IMAP
// literals — into exact byte counts. Pure: push bytes in, take frames out; no sockets.

export type Frame =
  | { kind: 'line'; line: Buffer; bareLf: boolean }  // without the line ending; bareLf: ended by LF alone
  | { kind: 'bytes'; data: Buffer }                 // an exact-length chunk asked for by expectBytes()
  | { kind: 'too-long'; discarded: number; head?: Buffer }; // a line over the limit was dropped up to its LF; head: its first bytes (IMAP answers with the tag)

/** How much of a dropped line is kept (enough for an IMAP tag). */
const HEAD_BYTES = 64;

export class LineFramer {
  private buf: Buffer = Buffer.alloc(0);
  private wantBytes = 0;
  /** True while skipping the rest of an overlong line. */
  private skipping = false;
  private skipped = 0;
  /** The first bytes of the line being skipped. */
  private skippedHead: Buffer | null = null;

  constructor(public maxLineLength: number) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next `n` bytes are taken verbatim (an IMAP literal), not split into lines. */
  expectBytes(n: number): void {
    this.wantBytes = n;
  }

  /** Bytes received but not yet framed. */
  get buffered(): number {
    return this.buf.length;
  }

  /** Drops everything buffered (STARTTLS: nothing sent before the handshake may be used). */
  discard(): number {
    const n = this.buf.length;
    this.buf = Buffer.alloc(0);
    this.skipping = false;
    this.skippedHead = null;
    this.wantBytes = 0;
    return n;
  }

  next(): Frame | null {
    if (this.wantBytes > 0) {
      if (this.buf.length < this.wantBytes) return null;
      const data = this.buf.subarray(0, this.wantBytes);
      this.buf = this.buf.subarray(this.wantBytes);
      this.wantBytes = 0;
      return { kind: 'bytes', data };
    }
    const lf = this.buf.indexOf(0x0a);
    if (this.skipping) {
      if (lf < 0) {
        this.skipped += this.buf.length;
        this.buf = Buffer.alloc(0);
        return null;
      }
      const discarded = this.skipped + lf + 1;
      const head = this.skippedHead ?? Buffer.alloc(0);
      this.buf = this.buf.subarray(lf + 1);
      this.skipping = false;
      this.skipped = 0;
      this.skippedHead = null;
      return { kind: 'too-long', discarded, head };
    }
    if (lf < 0) {
      if (this.buf.length > this.maxLineLength) {
        // Start skipping now so an endless line never grows the buffer.
        this.skipping = true;
        this.skipped = this.buf.length;
        this.skippedHead = Buffer.from(this.buf.subarray(0, HEAD_BYTES));
        this.buf = Buffer.alloc(0);
      }
      return null;
    }
    const end = lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf;
    if (end > this.maxLineLength) {
      const head = Buffer.from(this.buf.subarray(0, HEAD_BYTES));
      this.buf = this.buf.subarray(lf + 1);
      return { kind: 'too-long', discarded: lf + 1, head };
    }
    const line = this.buf.subarray(0, end);
    this.buf = this.buf.subarray(lf + 1);
    return { kind: 'line', line, bareLf: end === lf };
  }
}
