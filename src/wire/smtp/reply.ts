// SMTP / LMTP reply decoder (client side): bytes in, complete replies out.
//
// RFC 5321 §4.2: a reply is one or more lines "CODE-text" ending with one line "CODE text"
// (or just "CODE"), every line carrying the same three-digit code. RFC 2033 §4.2 gives LMTP the
// same syntax. The decoder is resumable (push bytes, then next()), holds no I/O and no clock, and
// bounds what it keeps: a line longer than maxLineLength or a reply with more than maxLines lines
// is an error raised as soon as the limit is crossed, so a peer streaming an endless banner
// cannot grow memory.
import { BoundedLines } from '../bounded-lines.js';

export interface SmtpReply {
  /** The three-digit reply code (RFC 5321 §4.2.1). */
  code: number;
  /** RFC 3463 enhanced status code ("2.1.0") when the first line starts with one. */
  enhanced?: string;
  /** Text of each line without the code and separator (and without the enhanced code). */
  lines: string[];
}

export type SmtpReplyErrorCode = 'line-too-long' | 'too-many-lines' | 'bad-reply-code' | 'code-mismatch';

export class SmtpReplyError extends Error {
  readonly code: SmtpReplyErrorCode;
  /** The offending line, cut to 200 characters, for evidence in diagnostics. */
  readonly excerpt: string;
  constructor(code: SmtpReplyErrorCode, message: string, excerpt: string) {
    super(message);
    this.name = 'SmtpReplyError';
    this.code = code;
    this.excerpt = excerpt.slice(0, 200);
  }
}

export type SmtpReplyStep =
  | { kind: 'reply'; reply: SmtpReply }
  | { kind: 'need-more' }
  | { kind: 'error'; error: SmtpReplyError };

export interface SmtpReplyDecoderOptions {
  /** Longest accepted line in bytes, CRLF excluded. RFC 5321 §4.5.3.1.5 says 512 with CRLF;
   * real servers exceed it (long EHLO keywords, banners), so the default is looser. */
  maxLineLength?: number;
  /** Most lines in one reply. */
  maxLines?: number;
}

const ENHANCED = /^([245])\.(\d{1,3})\.(\d{1,3})(?: |$)/;

export class SmtpReplyDecoder {
  private readonly lines: BoundedLines;
  private pending: { code: number; lines: string[] } | null = null;
  private failed: SmtpReplyError | null = null;
  private readonly maxLines: number;

  constructor(options: SmtpReplyDecoderOptions = {}) {
    this.lines = new BoundedLines({ maxLineLength: options.maxLineLength ?? 4096 });
    this.maxLines = options.maxLines ?? 512;
  }

  push(chunk: Uint8Array): void {
    this.lines.push(chunk);
  }

  next(): SmtpReplyStep {
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

  /** Bytes received but not yet part of a returned reply. */
  bufferedBytes(): number {
    return this.lines.bufferedBytes();
  }

  /** Drops everything buffered (used before a STARTTLS handshake, RFC 3207 §4.2) and returns how
   * many bytes were dropped. */
  reset(): number {
    this.pending = null;
    this.failed = null;
    return this.lines.reset();
  }

  private takeLine(line: string): SmtpReplyStep | null {
    // RFC 5321 §4.2: Reply-code = %x32-35 %x30-35 %x30-39
    const m = /^([2-5][0-5][0-9])([ -]|$)/.exec(line);
    if (!m) return this.fail('bad-reply-code', 'reply line does not start with a three-digit code', line);
    const code = Number(m[1]);
    const more = m[2] === '-';
    const text = line.slice(4);
    if (this.pending && this.pending.code !== code) {
      return this.fail('code-mismatch', `reply line code ${code} differs from ${this.pending.code}`, line);
    }
    const pending = this.pending ?? { code, lines: [] };
    pending.lines.push(text);
    if (pending.lines.length > this.maxLines) {
      return this.fail('too-many-lines', `reply has more than ${this.maxLines} lines`, line);
    }
    if (more) {
      this.pending = pending;
      return null;
    }
    this.pending = null;
    return { kind: 'reply', reply: finishReply(pending.code, pending.lines) };
  }

  private fail(code: SmtpReplyErrorCode, message: string, excerpt: Buffer | string): SmtpReplyStep {
    const text = typeof excerpt === 'string' ? excerpt : excerpt.subarray(0, 200).toString('utf8');
    this.failed = new SmtpReplyError(code, message, text);
    this.lines.stop();
    this.pending = null;
    return { kind: 'error', error: this.failed };
  }
}

function finishReply(code: number, lines: string[]): SmtpReply {
  const m = ENHANCED.exec(lines[0] ?? '');
  // RFC 3463 §2: the enhanced code's class must agree with the reply code's first digit.
  if (m && m[1] === String(code)[0]) {
    const enhanced = `${m[1]}.${m[2]}.${m[3]}`;
    return { code, enhanced, lines: lines.map((l) => stripEnhanced(l, enhanced)) };
  }
  return { code, lines };
}

function stripEnhanced(line: string, enhanced: string): string {
  if (line === enhanced) return '';
  return line.startsWith(enhanced + ' ') ? line.slice(enhanced.length + 1) : line;
}

/** The EHLO keywords of a 250 reply to EHLO (RFC 5321 §4.1.1.1): every line after the first,
 * upper-cased keyword first, parameters after. */
export function ehloKeywords(reply: SmtpReply): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of reply.lines.slice(1)) {
    const [kw, ...params] = line.trim().split(/\s+/);
    if (kw) out.set(kw.toUpperCase(), params);
  }
  return out;
}

/** The whole text of a reply, lines joined with a space, for messages and evidence. */
export function replyText(reply: SmtpReply): string {
  return reply.lines.join(' ').trim();
}
