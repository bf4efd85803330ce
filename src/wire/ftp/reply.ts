// FTP reply decoder (client side): bytes in, complete replies out.
//
// RFC 959 §4.2: a single-line reply is "CODE text"; a multi-line reply starts with "CODE-text"
// and ends with the first line that starts with the same code followed by a space. Lines in
// between are free text (they may even start with digits); RFC 2389 §3.2 FEAT lines start with
// a space. Resumable (push, then next()), pure, and bounded: a line longer than maxLineLength or
// a reply longer than maxLines lines is an error as soon as the limit is crossed.
import { BoundedLines } from '../bounded-lines.js';

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

export class FtpReplyDecoder {
  private readonly lines: BoundedLines;
  private pending: { code: number; lines: string[] } | null = null;
  private failed: FtpReplyError | null = null;
  private readonly maxLines: number;

  constructor(options: FtpReplyDecoderOptions = {}) {
    this.lines = new BoundedLines({ maxLineLength: options.maxLineLength ?? 4096 });
    this.maxLines = options.maxLines ?? 1024;
  }

  push(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  next(): FtpReplyStep {
    if (this.failed) return { kind: 'error', error: this.failed };
    for (;;) {
      const s = this.lines.nextLine();
      if (s.kind === 'need-more') return s;
      if (s.kind === 'too-long') {
        return this.fail('line-too-long', `reply line longer than ${this.lines.maxLineLength} bytes`, s.excerpt);
      }
      const step = this.takeLine(s.line.toString('utf8'));
      if (step) return step;
    }
  }

  bufferedBytes(): number {
    return this.lines.bufferedBytes();
  }

  /** Drops everything buffered (before the AUTH TLS handshake, RFC 4217 §4) and returns the count. */
  reset(): number {
    this.pending = null;
    this.failed = null;
    return this.lines.reset();
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
    this.lines.stop();
    this.pending = null;
    return { kind: 'error', error: this.failed };
  }
}

export function ftpReplyText(reply: FtpReply): string {
  return reply.lines.join(' ').trim();
}
