/**
 * SCRAM's "saslname" escaping (RFC 5802 §5.1, also used by GS2 authzids in RFC 5801 and by
 * OAUTHBEARER's gs2-header in RFC 7628): "," is written "=2C" and "=" is written "=3D", so the
 * attribute list stays splittable on commas.
 */

export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/**
 * Reverses escapeSaslName. Returns null when the name contains a "," or a "=" not followed by
 * "2C" or "3D" (the server MUST fail the exchange then, RFC 5802 §5.1), or a NUL (value-safe-char
 * excludes %x00).
 */
export function unescapeSaslName(escaped: string): string | null {
  let out = '';
  for (let i = 0; i < escaped.length; i++) {
    const ch = escaped[i];
    if (ch === ',' || ch === '\0') return null;
    if (ch === '=') {
      const code = escaped.slice(i + 1, i + 3);
      if (code === '2C') out += ',';
      else if (code === '3D') out += '=';
      else return null;
      i += 2;
    } else {
      out += ch;
    }
  }
  return out;
}
