// xtext (RFC 3461 §4): the encoding of ENVID, ORCPT and AUTH= parameter values. Characters
// outside "!" … "~", and "+" and "=", are written "+XX" with two upper-case hex digits.

/** Decodes xtext; null when malformed (a "+" not followed by two upper-case hex digits). */
export function decodeXtext(text: string): string | null {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2b) {
      const hex = text.slice(i + 1, i + 3);
      if (!/^[0-9A-F]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
      continue;
    }
    if (c < 0x21 || c > 0x7e || c === 0x3d) return null;
    bytes.push(c);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function encodeXtext(value: string): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte < 0x21 || byte > 0x7e || byte === 0x2b || byte === 0x3d) out += '+' + byte.toString(16).toUpperCase().padStart(2, '0');
    else out += String.fromCharCode(byte);
  }
  return out;
}
