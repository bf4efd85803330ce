// The DATA phase (RFC 5321 §4.1.1.4, §4.5.2): message lines with dot-stuffing, ended by a line
// holding only "." — and only when that line is <CRLF>.<CRLF>.
//
// SMTP smuggling (Longin, SEC Consult, December 2023; CVE-2023-51764/51765/51766): if the
// receiver accepts <LF>.<LF>, <LF>.<CRLF> or <CR>.<CR> as end-of-data while the sender's MTA
// does not, a second message hidden in the first one's body is executed as commands. Here the
// end is recognised only when the "." line itself ends with CRLF *and* the line before it
// ended with CRLF (the DATA command line counts as the first one). A bare LF still ends a
// content line (it is stored as CRLF, RFC 5322 §2.3), but never takes part in ending the data
// or in dot-stuffing.
//
// The reader is fed lines as the connection's framer splits them (at every LF, with a flag for
// "LF without CR"), so it is incremental by construction.

const CRLF = Buffer.from('\r\n');
const DOT = 0x2e;

export type DotReaderState = 'reading' | 'done';

export class DotReader {
  private readonly parts: Buffer[] = [];
  private bytes = 0;
  /** The previous line ended with CRLF (true at the start: the DATA line did). */
  private prevCrlf = true;
  private over = false;
  private longLine = false;
  private bareLfSeen = false;

  /** `maxSize`: octets kept; past it the reader only looks for the end (the session replies 552). */
  constructor(private readonly maxSize: number) {}

  /** One framed line (without its line ending). Returns true when it was the end-of-data line. */
  line(line: Buffer, bareLf: boolean): boolean {
    if (!bareLf && this.prevCrlf && line.length === 1 && line[0] === DOT) return true;
    // RFC 5321 §4.5.2: a leading "." is removed from every line that has one — a line being
    // what follows a CRLF, as for the end-of-data line. After a bare LF the sender did not see
    // a line start (curl, for one, stuffs only after CRLF), so nothing is removed there.
    const body = this.prevCrlf && line.length > 0 && line[0] === DOT ? line.subarray(1) : line;
    this.append(body);
    this.append(CRLF);
    if (bareLf) this.bareLfSeen = true;
    this.prevCrlf = !bareLf;
    return false;
  }

  /**
   * A line longer than the framer's limit was dropped. The message is refused, and since we
   * cannot tell whether that line ended with CRLF, it does not count as one: a "." right after
   * it does not end the data (erring towards never ending early, the smuggling-safe side).
   */
  lineTooLong(): void {
    this.longLine = true;
    this.prevCrlf = false;
    this.over = true;
    this.parts.length = 0;
  }

  get size(): number {
    return this.bytes;
  }

  get tooLarge(): boolean {
    return this.over;
  }

  get hadLongLine(): boolean {
    return this.longLine;
  }

  /** Some line ended with a bare LF (stored as CRLF). */
  get hadBareLf(): boolean {
    return this.bareLfSeen;
  }

  /** The message with CRLF line endings and dot-stuffing removed. */
  message(): Buffer {
    return Buffer.concat(this.parts, Math.min(this.bytes, this.maxSize));
  }

  private append(b: Buffer): void {
    if (this.over) {
      this.bytes += b.length;
      return;
    }
    if (this.bytes + b.length > this.maxSize) {
      this.over = true;
      this.parts.length = 0;
      this.bytes += b.length;
      return;
    }
    this.parts.push(b);
    this.bytes += b.length;
  }
}

/**
 * Every line ending as CRLF: a bare LF becomes CRLF (RFC 5322 §2.3) and — when `loneCr` — so
 * does a CR not followed by LF. Returns the input itself when nothing needs changing.
 */
export function normalizeLineEndings(raw: Buffer, loneCr = false): Buffer {
  let needs = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === 0x0a && (i === 0 || raw[i - 1] !== 0x0d)) { needs = true; break; }
    if (loneCr && c === 0x0d && raw[i + 1] !== 0x0a) { needs = true; break; }
  }
  if (!needs) return raw;
  const out = Buffer.allocUnsafe(raw.length * 2);
  let o = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === 0x0a) {
      if (i === 0 || raw[i - 1] !== 0x0d) out[o++] = 0x0d;
      out[o++] = 0x0a;
    } else if (c === 0x0d && loneCr && raw[i + 1] !== 0x0a) {
      out[o++] = 0x0d;
      out[o++] = 0x0a;
    } else {
      out[o++] = c;
    }
  }
  return out.subarray(0, o);
}

/**
 * The DATA payload for a client (relay): line endings made CRLF — bare CR and LF included, so
 * nothing we send can be taken by a lax receiver as a line end we did not mean — every line
 * starting with "." doubled, and the terminating <CRLF>.<CRLF> appended.
 */
export function dotStuff(message: Buffer): Buffer {
  const msg = normalizeLineEndings(message, true);
  const parts: Buffer[] = [];
  let start = 0;
  if (msg.length > 0 && msg[0] === DOT) parts.push(Buffer.from('.'));
  for (let i = msg.indexOf(0x0a); i >= 0; i = msg.indexOf(0x0a, i + 1)) {
    if (msg[i + 1] === DOT) {
      parts.push(msg.subarray(start, i + 1), Buffer.from('.'));
      start = i + 1;
    }
  }
  parts.push(msg.subarray(start));
  const endsWithCrlf = msg.length >= 2 && msg[msg.length - 2] === 0x0d && msg[msg.length - 1] === 0x0a;
  parts.push(Buffer.from(endsWithCrlf || msg.length === 0 ? '.\r\n' : '\r\n.\r\n'));
  return Buffer.concat(parts);
}
