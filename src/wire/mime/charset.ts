// Bytes → text in a declared charset. Mail lies about charsets all the time, so this never
// throws: an unknown, missing or unusable charset is read as UTF-8 when the bytes are valid
// UTF-8, else as windows-1252 (the WHATWG reading of latin1, which real "iso-8859-1" mail
// usually is).
import { Buffer, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import libcharset from 'libmime/lib/charset.js';

// Charsets read as "UTF-8 if it is UTF-8": what a missing or ASCII label usually hides.
const UTF8_FAMILY = new Set(['', 'utf-8', 'utf8', 'us-ascii', 'ascii', 'ansi_x3.4-1968', 'iso-646-us', 'us', '7bit', '8bit', 'unicode-1-1-utf-8', 'x-unknown', 'unknown', 'default']);
// RFC 1345 latin1 labels: decoded as windows-1252, a superset over the printable range.
const LATIN1_FAMILY = new Set(['iso-8859-1', 'iso8859-1', 'iso_8859-1', 'latin1', 'latin-1', 'l1', 'cp819', 'ibm819', 'iso-ir-100', 'windows-1252', 'cp1252', 'x-cp1252']);
// iconv-lite codecs that are not charsets a message is written in (UTF-7 smuggles markup past filters).
const REFUSED = new Set(['utf7', 'utf-7', 'utf7imap', 'unicode-1-1-utf-7', 'base64', 'hex', 'binary']);
const JAPANESE = /^(?:jis|iso-?2022-?jp|eucjp|euc-jp)/i;

const resolved = new Map<string, string | null>();

/**
 * The iconv-lite name for a charset label, or null when it is unknown or refused (so the
 * caller applies the UTF-8/windows-1252 heuristic). 'utf-8' and 'windows-1252' come back for
 * the two families above.
 */
export function resolveCharset(label: string | null | undefined): string | null {
  const key = (label ?? '').trim().replace(/^["']|["']$/g, '').toLowerCase();
  const hit = resolved.get(key);
  if (hit !== undefined) return hit;
  let out: string | null;
  if (UTF8_FAMILY.has(key)) out = 'utf-8';
  else if (LATIN1_FAMILY.has(key)) out = 'windows-1252';
  else if (REFUSED.has(key)) out = null;
  else if (JAPANESE.test(key)) out = key;
  else {
    const norm = libmime.normalizeCharset(key).toLowerCase();
    if (REFUSED.has(norm)) out = null;
    else if (LATIN1_FAMILY.has(norm)) out = 'windows-1252';
    else if (iconv.encodingExists(norm)) out = norm;
    else if (iconv.encodingExists(key)) out = key;
    else out = null;
  }
  if (resolved.size < 1000) resolved.set(key, out);
  return out;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! > 0x7f) return false;
  return true;
}

/** UTF-8 when the bytes are valid UTF-8, else windows-1252. */
export function decodeUtf8OrLatin(bytes: Uint8Array): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (isUtf8(buf)) return buf.toString('utf8');
  return iconv.decode(buf, 'windows-1252');
}

/**
 * Decodes bytes written in `charset`. A declared UTF-8 is honoured (invalid sequences become
 * U+FFFD); US-ASCII, a missing label and unknown labels get the UTF-8/windows-1252 heuristic.
 */
export function decodeBytes(bytes: Uint8Array, charset?: string | null): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const label = (charset ?? '').trim().toLowerCase();
  const name = resolveCharset(label);
  if (name === 'utf-8') {
    if (label === 'utf-8' || label === 'utf8') return buf.toString('utf8');
    return decodeUtf8OrLatin(buf);
  }
  if (name === null) return decodeUtf8OrLatin(buf);
  if (name === 'windows-1252' && isAscii(buf)) return buf.toString('latin1');
  try {
    if (JAPANESE.test(name)) return libcharset.decode(buf, name);
    return iconv.decode(buf, name);
  } catch {
    return decodeUtf8OrLatin(buf);
  }
}

/** Encodes text into `charset` for the builder (UTF-8 when the charset is unknown). */
export function encodeText(text: string, charset: string): Buffer {
  const name = resolveCharset(charset);
  if (name === null || name === 'utf-8') return Buffer.from(text, 'utf8');
  try {
    return iconv.encode(text, name);
  } catch {
    return Buffer.from(text, 'utf8');
  }
}
