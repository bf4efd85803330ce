// RFC 2047 encoded words: =?charset[*lang]?B|Q?text?=
import { Buffer } from 'node:buffer';
import { decodeBytes } from './charset.js';

// [^?]* cannot run past the closing "?=", so matching stays linear. The charset may carry an
// RFC 2231 language suffix (RFC 2231 §5), which is dropped.
const ENCODED_WORD = /=\?([^?\s]{1,100})\?([bBqQ])\?([^?]*)\?=/g;
const ONLY_BLANKS = /^[ \t\r\n]*$/;

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Q encoding (RFC 2047 §4.2): "_" is a space, =XX a byte, anything else itself. */
function decodeQ(text: string): Buffer {
  const out = Buffer.allocUnsafe(text.length * 3);
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5f) out[j++] = 0x20;
    else if (c === 0x3d && i + 2 < text.length && hexValue(text.charCodeAt(i + 1)) >= 0 && hexValue(text.charCodeAt(i + 2)) >= 0) {
      out[j++] = hexValue(text.charCodeAt(i + 1)) * 16 + hexValue(text.charCodeAt(i + 2));
      i += 2;
    } else if (c < 0x80) out[j++] = c;
    else j += out.write(text[i]!, j, 'utf8'); // 8-bit inside a word (broken, but seen): keep its UTF-8 bytes
  }
  return out.subarray(0, j);
}

/** A run of adjacent encoded words in one charset, decoded together so that a character split across words survives. */
class Run {
  chunks: Buffer[] = [];
  b64 = '';
  constructor(readonly charset: string) {}
  addB(text: string): void {
    const s = this.b64 + text.replace(/[^A-Za-z0-9+/=]/g, '');
    // Words ought to be whole base64 quanta; some encoders split mid-quantum, so carry the rest.
    if (s.endsWith('=') || s.length % 4 === 0) {
      this.chunks.push(Buffer.from(s, 'base64'));
      this.b64 = '';
    } else {
      const cut = s.length - (s.length % 4);
      this.chunks.push(Buffer.from(s.slice(0, cut), 'base64'));
      this.b64 = s.slice(cut);
    }
  }
  addQ(text: string): void {
    this.flushB64();
    this.chunks.push(decodeQ(text));
  }
  flushB64(): void {
    if (this.b64) this.chunks.push(Buffer.from(this.b64, 'base64'));
    this.b64 = '';
  }
  text(): string {
    this.flushB64();
    return decodeBytes(this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks), this.charset);
  }
}

/**
 * Decodes every RFC 2047 encoded word in a header value. Blanks between adjacent encoded
 * words are dropped (RFC 2047 §6.2); adjacent words in the same charset are decoded as one
 * byte string, so multi-byte characters split across words come out whole. Malformed words
 * are left as they are; unknown charsets fall back to the UTF-8/windows-1252 heuristic.
 */
export function decodeWords(value: string): string {
  if (value.indexOf('=?') === -1) return value;
  let out = '';
  let last = 0;
  let run: Run | null = null;
  ENCODED_WORD.lastIndex = 0;
  for (let m = ENCODED_WORD.exec(value); m !== null; m = ENCODED_WORD.exec(value)) {
    const between = value.slice(last, m.index);
    const charset = m[1]!.split('*')[0]!.toLowerCase();
    if (run !== null && ONLY_BLANKS.test(between)) {
      if (run.charset !== charset) {
        out += run.text();
        run = new Run(charset);
      }
    } else {
      if (run !== null) out += run.text();
      out += between;
      run = new Run(charset);
    }
    if (m[2] === 'b' || m[2] === 'B') run.addB(m[3]!);
    else run.addQ(m[3]!);
    last = m.index + m[0].length;
  }
  if (run !== null) out += run.text();
  return out + value.slice(last);
}
