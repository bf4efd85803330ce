// Writing header fields: RFC 2047 encoded words for non-ASCII text, RFC 2231 for parameters,
// RFC 5322 quoting for display names, folding at 76 columns (RFC 5322 §2.1.1 asks for ≤ 78).
// Values never carry CR or LF through: a line break in input would be header injection.
import { domainToASCII } from 'node:url';
import libmime from 'libmime';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const LOOKS_ENCODED = /=\?[^?\s]+\?[bBqQ]\?[^?]*\?=/;
const ATEXT_PHRASE = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+(?: [A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+)*$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Replaces line breaks and other controls that must not reach a header. */
export function sanitizeHeaderText(s: string): string {
  return s.replace(/[\r\n]+[ \t]*/g, ' ').replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
}

/** Q for mostly-ASCII text, B when more than a third would need escaping (B is then shorter). */
function wordEncoding(s: string): 'Q' | 'B' {
  let non = 0;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7e || s.charCodeAt(i) < 0x20) non++;
  return non * 3 > s.length ? 'B' : 'Q';
}

/** Unstructured text (Subject, custom fields): encoded words where needed (RFC 2047 §5(1)). */
export function encodeUnstructured(value: string): string {
  const v = sanitizeHeaderText(value);
  // A word too long to fold would break the 998-octet line limit (RFC 5322 §2.1.1); encoded
  // words can be split anywhere, so such text is encoded even when it is ASCII.
  if (PRINTABLE_ASCII.test(v) && !LOOKS_ENCODED.test(v) && !/[^ ]{900}/.test(v)) return v;
  // Encoding the whole text (rather than word by word) keeps every blank exactly as given.
  return libmime.encodeWord(v, wordEncoding(v), 52);
}

/** A display name as a phrase (RFC 5322 §3.2.5): atoms, a quoted string, or encoded words. */
export function encodePhrase(name: string): string {
  const v = sanitizeHeaderText(name);
  if (!PRINTABLE_ASCII.test(v) || LOOKS_ENCODED.test(v)) return libmime.encodeWord(v, wordEncoding(v), 52);
  if (ATEXT_PHRASE.test(v)) return v;
  return `"${v.replace(/(["\\])/g, '\\$1')}"`;
}

/** addr-spec with an IDN domain turned into its A-label form (RFC 5890); a UTF-8 local part stays (RFC 6532). */
export function encodeAddrSpec(address: string): string {
  const a = sanitizeHeaderText(address).trim();
  const at = a.lastIndexOf('@');
  if (at === -1) return a;
  const domain = a.slice(at + 1);
  if (PRINTABLE_ASCII.test(domain)) return a;
  const ascii = domainToASCII(domain);
  return `${a.slice(0, at)}@${ascii || domain}`;
}

export function encodeMailbox(name: string | undefined, address: string): string {
  const spec = encodeAddrSpec(address);
  if (!name || !name.trim()) return spec;
  return `${encodePhrase(name)} <${spec}>`;
}

/** One parameter, split into RFC 2231 continuations / extended notation when it is long or not ASCII. */
export function encodeParam(key: string, value: string): string[] {
  const out: string[] = [];
  for (const p of libmime.buildHeaderParam(key, sanitizeHeaderText(value), 50)) {
    const k = p.key;
    const v = String(p.value);
    out.push(k.endsWith('*') || TOKEN.test(v) ? `${k}=${v}` : `${k}="${v.replace(/(["\\])/g, '\\$1')}"`);
  }
  return out;
}

/** `value; p1=v1; p2=v2` with one parameter per line when it does not fit on one. */
export function encodeParameterized(value: string, params: Array<[string, string]>): string {
  const list: string[] = [];
  for (const [k, v] of params) list.push(...encodeParam(k, v));
  const oneLine = [value, ...list].join('; ');
  if (oneLine.length <= 60) return oneLine;
  return [value, ...list].join(';\r\n ');
}

/** `Name: value` folded at blanks to lines of at most 76 characters where the value allows it. */
export function foldField(name: string, value: string): string {
  const line = `${name}: ${value}`;
  if (line.length <= 76 || value.indexOf('\r\n') !== -1) return line;
  return libmime.foldLines(line, 76, false);
}
