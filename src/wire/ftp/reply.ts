// FTP reply decoder (client side): bytes in, complete replies out.
//
// RFC 959 §4.2: a single-line reply is "CODE text"; a multi-line reply starts with "CODE-text"
// and ends with the first line that starts with the same code followed by a space. Lines in
// between are free text (they may even start with digits); RFC 2389 §3.2 FEAT lines start with
// a space. Resumable (push, then next()), pure, and bounded: a line longer than maxLineLength or
// a reply longer than maxLines lines is an error as soon as the limit is crossed.

export interface FtpReply {
  /** Three-digit code (RFC 959 §4.2). */
  code: number;
  /** Text lines: the first after "CODE-"/"CODE ", the middle ones as sent (minus a repeated
   * "CODE-" some servers add), the last after "CODE ". */
  lines: string[];
}

export type FtpReplyErrorCode = 'line-too-long' | 'too-many-lines' | 'bad-reply-code';

export class FtpReplyError extends Error {
  readonly code: FtpReplyErrorCode;
  readonly excerpt: string;
  constructor(code: FtpReplyErrorCode, message: string, excerpt: string) {
    super(message);
    this.name = 'FtpReplyError';
    this.code = code;
    this.excerpt = excerpt.slice(0, 200);
  }
}

export type FtpReplyStep =
  | { kind: 'reply'; reply: FtpReply }
  | { kind: 'need-more' }
  | { kind: 'error'; error: FtpReplyError };

export interface FtpReplyDecoderOptions {
  maxLineLength?: number;
  maxLines?: number;
}

const LF = 0x0a;
const CR = 0x0d;

export class FtpReplyDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private scanned = 0;
  private pending: { code: number; lines: string[] } | null = null;
  private failed: FtpReplyError | null = null;
  private readonly maxLineLength: number;
  private readonly maxLines: number;

  constructor(options: FtpReplyDecoderOptions = {}) {
    this.maxLineLength = options.maxLineLength ?? 4096;
    this.maxLines = options.maxLines ?? 1024;
  }

  push(chunk: Uint8Array): void {
    if (this.failed) return;
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
  }

  next(): FtpReplyStep {
    if (this.failed) return { kind: 'error', error: this.failed };
    for (;;) {
      const lf = this.buf.indexOf(LF, this.scanned);
      if (lf < 0) {
        this.scanned = this.buf.length;
        if (this.buf.length > this.maxLineLength + 1) {
          return this.fail('line-too-long', `reply line longer than ${this.maxLineLength} bytes`, this.buf);
        }
        return { kind: 'need-more' };
      }
      const end = lf > 0 && this.buf[lf - 1] === CR ? lf - 1 : lf;
      const lineBytes = this.buf.subarray(0, end);
      this.buf = this.buf.subarray(lf + 1);
      this.scanned = 0;
      if (lineBytes.length > this.maxLineLength) {
        return this.fail('line-too-long', `reply line longer than ${this.maxLineLength} bytes`, lineBytes);
      }
      const step = this.takeLine(lineBytes.toString('utf8'));
      if (step) return step;
    }
  }

  bufferedBytes(): number {
    return this.buf.length;
  }

  /** Drops everything buffered (before the AUTH TLS handshake, RFC 4217 §4) and returns the count. */
  reset(): number {
    const n = this.buf.length;
    this.buf = Buffer.alloc(0);
    this.scanned = 0;
    this.pending = null;
    this.failed = null;
    return n;
  }

  private takeLine(line: string): FtpReplyStep | null {
    if (this.pending) {
      const prefix = String(this.pending.code);
      if (line.startsWith(prefix + ' ') || line === prefix) {
        this.pending.lines.push(line.slice(4));
        const reply = this.pending;
        this.pending = null;
        return { kind: 'reply', reply };
      }
      this.pending.lines.push(line.startsWith(prefix + '-') ? line.slice(4) : line);
      if (this.pending.lines.length > this.maxLines) {
        return this.fail('too-many-lines', `reply has more than ${this.maxLines} lines`, line);
      }
      return null;
    }
    // RFC 959 §4.2: the first digit is 1-5.
    const m = /^([1-5]\d\d)([ -]|$)/.exec(line);
    if (!m) return this.fail('bad-reply-code', 'reply line does not start with a three-digit code', line);
    const code = Number(m[1]);
    if (m[2] === '-') {
      this.pending = { code, lines: [line.slice(4)] };
      return null;
    }
    return { kind: 'reply', reply: { code, lines: [line.slice(4)] } };
  }

  private fail(code: FtpReplyErrorCode, message: string, excerpt: Buffer | string): FtpReplyStep {
    const text = typeof excerpt === 'string' ? excerpt : excerpt.subarray(0, 200).toString('utf8');
    this.failed = new FtpReplyError(code, message, text);
    this.buf = Buffer.alloc(0);
    this.scanned = 0;
    this.pending = null;
    return { kind: 'error', error: this.failed };
  }
}

export function ftpReplyText(reply: FtpReply): string {
  return reply.lines.join(' ').trim();
}
