// Content-Transfer-Encoding (RFC 2045 §6): decoding that tolerates what real mail does, and
// the encoders the builder uses.
import { Buffer } from 'node:buffer';

const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) {
  HEX[65 + i] = 10 + i;
  HEX[97 + i] = 10 + i;
}

/**
 * Base64 (RFC 2045 §6.8) that skips line breaks and junk, accepts missing padding, and keeps
 * going after padding in the middle (some mailers pad every line, which a plain decoder stops at).
 */
export function decodeBase64(bytes: Uint8Array): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = buf.toString('latin1');
  const eq = s.indexOf('=');
  if (eq === -1 || !/[A-Za-z0-9+/]/.test(s.slice(eq))) return Buffer.from(s, 'base64');
  const units = s.split(/=+/);
  return Buffer.concat(units.map((u) => Buffer.from(u, 'base64')));
}

/**
 * Quoted-printable (RFC 2045 §6.7): =XX octets, soft line breaks "=" CRLF (or LF, or with
 * blanks before the break), blanks before a line break removed (rule 3: transports may add
 * them), malformed "=" sequences kept as they are. Works line by line with native searches
 * and copies, so plain runs cost next to nothing.
 */
export function decodeQuotedPrintable(bytes: Uint8Array): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = buf.length;
  const out = Buffer.allocUnsafe(len);
  let j = 0;
  let pos = 0;
  while (pos < len) {
    const nl = buf.indexOf(0x0a, pos);
    let e = nl === -1 ? len : nl;
    const cr = e > pos && buf[e - 1] === 0x0d;
    if (cr) e--;
    while (e > pos && (buf[e - 1] === 0x20 || buf[e - 1] === 0x09)) e--;
    let soft = false;
    for (let i = pos; i < e; i++) {
      const c = buf[i]!;
      if (c !== 0x3d) {
        out[j++] = c;
        continue;
      }
      if (i === e - 1) {
        soft = true; // "=" ending the line: a soft line break
        break;
      }
      if (i + 2 < e) {
        const h = HEX[buf[i + 1]!]!;
        const l = HEX[buf[i + 2]!]!;
        if (h >= 0 && l >= 0) {
          out[j++] = (h << 4) | l;
          i += 2;
          continue;
        }
      }
      out[j++] = 0x3d; // malformed: kept
    }
    if (nl === -1) break;
    if (!soft) {
      if (cr) out[j++] = 0x0d;
      out[j++] = 0x0a;
    }
    pos = nl + 1;
  }
  return out.subarray(0, j);
}

/** Decodes a body by its Content-Transfer-Encoding; unknown encodings and 7bit/8bit/binary come back unchanged (a view, not a copy). */
export function decodeTransferEncoding(bytes: Uint8Array, encoding: string): Buffer {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (encoding) {
    case 'base64':
      return decodeBase64(buf);
    case 'quoted-printable':
      return decodeQuotedPrintable(buf);
    default:
      return buf;
  }
}

/** Base64 in lines of 76 characters, each ending in CRLF (RFC 2045 §6.8). */
export function encodeBase64Lines(data: Uint8Array): Buffer {
  const b64 = Buffer.from(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), 'latin1');
  const lines = Math.ceil(b64.length / 76);
  const out = Buffer.allocUnsafe(b64.length + lines * 2);
  let j = 0;
  for (let i = 0; i < b64.length; i += 76) {
    j += b64.copy(out, j, i, Math.min(i + 76, b64.length));
    out[j++] = 0x0d;
    out[j++] = 0x0a;
  }
  return out.subarray(0, j);
}

const HEXCHARS = Buffer.from('0123456789ABCDEF', 'latin1');

/**
 * Quoted-printable for text whose line breaks are CRLF: printable ASCII stays, "=" and 8-bit
 * octets become =XX, a blank before a line break is encoded, lines are soft-wrapped at 76
 * characters (RFC 2045 §6.7 rule 5). A "." or "From " at the start of a line is encoded too,
 * so no transport can mangle it.
 */
export function encodeQuotedPrintable(data: Uint8Array): Buffer {
  const len = data.length;
  const out = Buffer.allocUnsafe(len * 3 + Math.ceil((len * 3) / 73) * 3 + 3);
  let j = 0;
  let col = 0;
  for (let i = 0; i < len; i++) {
    const c = data[i]!;
    if (c === 0x0d && data[i + 1] === 0x0a) {
      out[j++] = 0x0d;
      out[j++] = 0x0a;
      i++;
      col = 0;
      continue;
    }
    const atLineEnd = i + 1 >= len || (data[i + 1] === 0x0d && data[i + 2] === 0x0a);
    let literal = (c >= 33 && c <= 126 && c !== 0x3d) || ((c === 0x20 || c === 0x09) && !atLineEnd);
    if (col === 0 && (c === 0x2e || (c === 0x46 && data[i + 1] === 0x72 && data[i + 2] === 0x6f && data[i + 3] === 0x6d && data[i + 4] === 0x20))) literal = false;
    const width = literal ? 1 : 3;
    // Keep room for a soft break "=" unless this is the last token of the line.
    if (col + width > (atLineEnd ? 76 : 75)) {
      out[j++] = 0x3d;
      out[j++] = 0x0d;
      out[j++] = 0x0a;
      col = 0;
    }
    if (literal) out[j++] = c;
    else {
      out[j++] = 0x3d;
      out[j++] = HEXCHARS[c >> 4]!;
      out[j++] = HEXCHARS[c & 15]!;
    }
    col += width;
  }
  return out.subarray(0, j);
}
