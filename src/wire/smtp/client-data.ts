// The message body as SMTP DATA carries it (RFC 5321 §4.5.2, §4.1.1.4): lines end in CRLF, a
// line that starts with "." gets one more ".", and ".\r\n" on its own line ends the data.
// DataEncoder does this incrementally over chunks split anywhere (a CR at the end of one chunk
// and its LF at the start of the next), so a large message streams through without a copy of
// the whole. Bare CR and bare LF become CRLF (RFC 5321 §2.3.8 forbids them on the wire).
//
// scanMessage() finds what decides the envelope: the size after CRLF normalisation, 8-bit
// bytes (BODY=8BITMIME, RFC 6152), and the longest line (RFC 5322 §2.1.1: 998).

const CR = 0x0d;
const LF = 0x0a;
const DOT = 0x2e;
const CRLF = Buffer.from('\r\n');
const DOT_BUF = Buffer.from('.');

export class DataEncoder {
  /** At the start of a line (the next byte may need a stuffed dot). */
  private lineStart = true;
  /** The previous chunk ended with a CR whose LF may start the next one. */
  private pendingCr = false;

  /** Encodes one chunk. */
  push(chunk: Uint8Array): Buffer {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (buf.length === 0) return Buffer.alloc(0);
    const out: Buffer[] = [];
    let i = 0;
    if (this.pendingCr) {
      this.pendingCr = false;
      if (buf[0] === LF) i = 1; // the CRLF was already written for the CR
    }
    let runStart = i;
    for (; i < buf.length; i++) {
      const c = buf[i]!;
      if (this.lineStart) {
        this.lineStart = false;
        if (c === DOT) {
          if (i > runStart) out.push(buf.subarray(runStart, i));
          out.push(DOT_BUF);
          runStart = i;
        }
      }
      if (c === LF || c === CR) {
        if (i > runStart) out.push(buf.subarray(runStart, i));
        out.push(CRLF);
        this.lineStart = true;
        if (c === CR) {
          if (i + 1 < buf.length) {
            if (buf[i + 1] === LF) i++;
          } else {
            this.pendingCr = true;
          }
        }
        runStart = i + 1;
      }
    }
    if (runStart < buf.length) out.push(buf.subarray(runStart));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The end: a CRLF if the message did not end a line, then ".\r\n". */
  end(): Buffer {
    return Buffer.from(this.lineStart ? '.\r\n' : '\r\n.\r\n');
  }
}

/** Encodes a whole message for DATA, terminator included. */
export function encodeData(message: Uint8Array): Buffer {
  const e = new DataEncoder();
  return Buffer.concat([e.push(message), e.end()]);
}

export interface MessageScan {
  /** Octets once line ends are CRLF (what SIZE counts, RFC 1870 §3), without stuffing. */
  size: number;
  /** Any byte ≥ 0x80 (needs BODY=8BITMIME). */
  eightBit: boolean;
  /** Longest line in octets, line end excluded (RFC 5321 §4.5.3.1.6 allows 998). */
  longestLine: number;
}

export function scanMessage(message: Uint8Array): MessageScan {
  let size = 0;
  let eightBit = false;
  let longest = 0;
  let line = 0;
  for (let i = 0; i < message.length; i++) {
    const c = message[i]!;
    if (c === CR || c === LF) {
      if (c === CR && message[i + 1] === LF) i++;
      size += line + 2;
      if (line > longest) longest = line;
      line = 0;
      continue;
    }
    if (c >= 0x80) eightBit = true;
    line++;
  }
  size += line;
  if (line > longest) longest = line;
  return { size, eightBit, longestLine: longest };
}

/**
 * RFC 3461 §4 xtext: "+" followed by two upper-case hex digits for "+", "=", and every byte
 * outside "!".."~"; used for ENVID and ORCPT.
 */
export function encodeXtext(value: string): string {
  let out = '';
  for (const b of Buffer.from(value, 'utf8')) {
    out += b < 0x21 || b > 0x7e || b === 0x2b || b === 0x3d ? `+${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
  }
  return out;
}

/** Whether an address needs SMTPUTF8 (RFC 6531 §3.4: non-ASCII in the mailbox). */
export function needsSmtpUtf8(address: string): boolean {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\x7f]/.test(address);
}

/**
 * Checks an envelope address (RFC 5321 §4.1.2 Mailbox, loosely): no angle brackets, spaces or
 * line breaks that would let it escape the command. Returns the reason it is refused, or null.
 */
export function envelopeAddressProblem(address: string): string | null {
  if (/[\r\n\0]/.test(address)) return 'contains a line break or NUL';
  if (/[<>\s]/.test(address)) return 'contains a space or angle bracket';
  if (address.length > 254) return 'is longer than 254 characters';
  return null;
}
