// Mailbox names on the wire (RFC 3501 §5.1.3 "Mailbox International Naming Convention"):
// modified UTF-7. Printable US-ASCII except "&" stands for itself, "&" is written "&-", and
// every other run of characters is UTF-16BE in modified base64 ("," instead of "/", no
// padding) between "&" and "-". After ENABLE UTF8=ACCEPT (RFC 6855 §3) or IMAP4rev2 names
// travel as UTF-8 and none of this applies.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

function isDirect(code: number): boolean {
  return code >= 0x20 && code <= 0x7e && code !== 0x26;
}

/** A Unicode mailbox name in modified UTF-7. */
export function encodeMailboxName(name: string): string {
  let out = '';
  let i = 0;
  while (i < name.length) {
    const code = name.charCodeAt(i);
    if (code === 0x26) {
      out += '&-';
      i++;
      continue;
    }
    if (isDirect(code)) {
      out += name[i];
      i++;
      continue;
    }
    // A run of characters that need encoding, as UTF-16 code units.
    let j = i;
    while (j < name.length && !isDirect(name.charCodeAt(j)) && name.charCodeAt(j) !== 0x26) j++;
    const units: number[] = [];
    for (let k = i; k < j; k++) {
      const u = name.charCodeAt(k);
      units.push(u >> 8, u & 0xff);
    }
    out += '&' + base64(units) + '-';
    i = j;
  }
  return out;
}

function base64(bytes: number[]): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += ALPHABET[(acc >> bits) & 0x3f];
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (6 - bits)) & 0x3f];
  return out;
}

/**
 * A modified UTF-7 name as Unicode; null when it is not valid modified UTF-7 (8-bit or control
 * characters, an unterminated or badly padded shift, a shift that encodes printable ASCII, or
 * two shifts in a row — RFC 3501 §5.1.3 forbids all of these, so each name has one spelling).
 */
export function decodeMailboxName(wire: string): string | null {
  let out = '';
  let i = 0;
  let lastWasShift = false;
  while (i < wire.length) {
    const code = wire.charCodeAt(i);
    if (code > 0x7e || code < 0x20) return null;
    if (code !== 0x26) {
      out += wire[i];
      i++;
      lastWasShift = false;
      continue;
    }
    const end = wire.indexOf('-', i + 1);
    if (end < 0) return null;
    if (end === i + 1) {
      out += '&';
      i = end + 1;
      lastWasShift = false;
      continue;
    }
    if (lastWasShift) return null; // "&AGE-&AGE-" must be written "&AGEAZQ-"
    const decoded = decodeShift(wire.slice(i + 1, end));
    if (decoded === null) return null;
    out += decoded;
    i = end + 1;
    lastWasShift = true;
  }
  return out;
}

function decodeShift(b64: string): string | null {
  let acc = 0;
  let bits = 0;
  const bytes: number[] = [];
  for (let k = 0; k < b64.length; k++) {
    const c = b64.charCodeAt(k);
    const v = c < 128 ? VALUE[c]! : -1;
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
      acc &= (1 << bits) - 1;
    }
  }
  // Leftover bits must be zero padding, fewer than a byte's worth; whole UTF-16 units only.
  if (acc !== 0 || bits >= 6 || bytes.length === 0 || bytes.length % 2 !== 0) return null;
  let s = '';
  for (let k = 0; k < bytes.length; k += 2) {
    const unit = (bytes[k]! << 8) | bytes[k + 1]!;
    if (isDirect(unit) || unit === 0x26) return null; // must have been written directly
    s += String.fromCharCode(unit);
  }
  // Unpaired surrogates are not characters.
  for (let k = 0; k < s.length; k++) {
    const u = s.charCodeAt(k);
    if (u >= 0xd800 && u <= 0xdbff) {
      const next = s.charCodeAt(k + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return null;
      k++;
    } else if (u >= 0xdc00 && u <= 0xdfff) return null;
  }
  return s;
}
