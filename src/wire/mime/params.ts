// Parameterised header values: Content-Type (RFC 2045 §5.1), Content-Disposition (RFC 2183),
// with RFC 2231 continuations, charsets and languages. Written to be tolerant: unquoted values
// with blanks, unterminated quotes, comments (RFC 2045 allows them), stray semicolons,
// duplicate names (first wins) and unknown charsets never make it fail.
import { Buffer } from 'node:buffer';
import { decodeBytes } from './charset.js';
import { decodeWords } from './encoded-words.js';
import type { ParameterizedValue } from './types.js';

export interface ParsedParameterized extends ParameterizedValue {
  /** The value before the first ";", comments removed, trimmed (case kept). */
  value: string;
}

/** Removes RFC 5322 comments that follow a blank or start the text; "Invoice(1).pdf" keeps its parentheses. */
function stripComments(s: string): string {
  if (s.indexOf('(') === -1) return s;
  let out = '';
  let depth = 0;
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')') depth--;
      continue;
    }
    if (inQuote) {
      out += c;
      if (c === '\\' && i + 1 < s.length) out += s[++i];
      else if (c === '"') inQuote = false;
      continue;
    }
    if (c === '"') inQuote = true;
    else if (c === '(' && (i === 0 || /[\s;]/.test(s[i - 1]!))) {
      depth = 1;
      continue;
    }
    out += c;
  }
  return out;
}

/** Splits at ";" outside quoted strings. An opening quote with no closing quote is an ordinary character. */
function splitParams(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < s.length && s.charCodeAt(j) !== 0x22) j += s.charCodeAt(j) === 0x5c ? 2 : 1;
      if (j < s.length) {
        i = j + 1;
        continue;
      }
    } else if (c === 0x3b /* ; */) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
    i++;
  }
  out.push(s.slice(start));
  return out;
}

function unquote(v: string): string {
  v = v.trim();
  if (v.charCodeAt(0) !== 0x22) return v;
  // The closing quote is the first unescaped one; anything after it ("a"junk) is dropped,
  // and a value whose quote never closes runs to the end.
  let out = '';
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    if (c === '\\' && i + 1 < v.length) out += v[++i];
    else if (c === '"') return out;
    else out += c;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** RFC 2231 §4 %XX decoding into bytes; a malformed % stays literal. */
function percentDecode(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length * 3);
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length && hexValue(s.charCodeAt(i + 1)) >= 0 && hexValue(s.charCodeAt(i + 2)) >= 0) {
      out[j++] = hexValue(s.charCodeAt(i + 1)) * 16 + hexValue(s.charCodeAt(i + 2));
      i += 2;
    } else if (c < 0x100) out[j++] = c;
    else j += out.write(s[i]!, j, 'utf8');
  }
  return out.subarray(0, j);
}

function textBytes(s: string): Buffer {
  // Header text is one char per byte unless the header was 8-bit UTF-8 (then chars > 0xff exist).
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0xff) return Buffer.from(s, 'utf8');
  return Buffer.from(s, 'latin1');
}

function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(/['()*!]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

const PARAM_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** The common case, no RFC 2231 parameter anywhere: one pass, first occurrence of a name wins. */
function simpleParams(pieces: string[], value: string, params: Record<string, string>, rawParams: Array<[string, string]>): ParsedParameterized {
  for (let p = 1; p < pieces.length; p++) {
    const piece = pieces[p]!;
    const eq = piece.indexOf('=');
    const name = (eq === -1 ? piece : piece.slice(0, eq)).trim().toLowerCase();
    if (!name || params[name] !== undefined) continue;
    if (eq === -1) {
      if (!PARAM_NAME.test(name)) continue;
      params[name] = '';
      rawParams.push([name, '']);
      continue;
    }
    const v = unquote(piece.slice(eq + 1));
    rawParams.push([name, v]);
    // Not standard in parameters, but Outlook and others send filename="=?UTF-8?B?…?="
    params[name] = v.indexOf('=?') === -1 ? v : decodeWords(v);
  }
  return { value, params, rawParams };
}

interface Segment {
  index: number;
  extended: boolean;
  value: string;
}

const RFC2231_NAME = /^(.+?)\*(?:(\d{1,3})\*?)?$/;

/**
 * Parses `value; name=value; name*0*=charset'lang'%xx; …`. Parameter names come back
 * lower-case; values keep their case.
 */
export function parseParameterized(input: string): ParsedParameterized {
  const pieces = splitParams(stripComments(input));
  const value = pieces[0]!.trim();
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const rawParams: Array<[string, string]> = [];
  if (input.indexOf('*') === -1) return simpleParams(pieces, value, params, rawParams);
  // name → continuation segments (RFC 2231 §3), in order of appearance
  const groups = new Map<string, Segment[]>();
  const order: Array<{ name: string; rfc2231: boolean }> = [];
  const seen = new Set<string>();

  for (let p = 1; p < pieces.length; p++) {
    const piece = pieces[p]!;
    const eq = piece.indexOf('=');
    if (eq === -1) {
      const name = piece.trim().toLowerCase();
      if (name && !seen.has(name) && /^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name)) {
        seen.add(name);
        order.push({ name, rfc2231: false });
        params[name] = '';
      }
      continue;
    }
    const rawName = piece.slice(0, eq).trim().toLowerCase();
    if (!rawName) continue;
    const rawValue = unquote(piece.slice(eq + 1));
    const m = RFC2231_NAME.exec(rawName);
    if (m) {
      const base = m[1]!;
      const extended = rawName.endsWith('*');
      const index = m[2] === undefined ? 0 : Number(m[2]);
      let segs = groups.get(base);
      if (!segs) {
        segs = [];
        groups.set(base, segs);
        order.push({ name: base, rfc2231: true });
      }
      if (!segs.some((s) => s.index === index)) segs.push({ index, extended, value: rawValue });
      continue;
    }
    if (seen.has(rawName)) continue;
    seen.add(rawName);
    order.push({ name: rawName, rfc2231: false });
    params[rawName] = rawValue;
  }

  const done = new Set<string>();
  for (const { name, rfc2231 } of order) {
    if (done.has(name)) continue;
    const segs = groups.get(name);
    if (rfc2231 || segs) {
      if (!segs) continue;
      // The RFC 2231 form wins over a plain parameter of the same name: it is the precise one.
      done.add(name);
      segs.sort((a, b) => a.index - b.index);
      let charset: string | null = null;
      let lang = '';
      const bytes: Buffer[] = [];
      let anyExtended = false;
      let rawJoined = '';
      for (let i = 0; i < segs.length; i++) {
        const seg = segs[i]!;
        let text = seg.value;
        if (seg.extended) {
          anyExtended = true;
          if (i === 0) {
            // charset'lang'value (RFC 2231 §4); both may be empty, the quotes must be there
            const q1 = text.indexOf("'");
            const q2 = q1 === -1 ? -1 : text.indexOf("'", q1 + 1);
            if (q2 !== -1) {
              charset = text.slice(0, q1) || null;
              lang = text.slice(q1 + 1, q2);
              text = text.slice(q2 + 1);
            }
          }
          bytes.push(percentDecode(text));
          rawJoined += text;
        } else {
          bytes.push(textBytes(text));
          rawJoined += anyExtended ? percentEncode(text) : text;
        }
      }
      const decoded = decodeBytes(Buffer.concat(bytes), charset);
      params[name] = decoded;
      if (anyExtended) {
        const enc = segs[0]!.extended ? rawJoined : percentEncode(segs[0]!.value) + rawJoined.slice(segs[0]!.value.length);
        rawParams.push([name + '*', `${charset ?? 'us-ascii'}'${lang}'${enc}`]);
      } else rawParams.push([name, rawJoined]);
    } else {
      done.add(name);
      const v = params[name]!;
      rawParams.push([name, v]);
      // Not standard in parameters, but Outlook and others send filename="=?UTF-8?B?…?="
      if (v.indexOf('=?') !== -1) params[name] = decodeWords(v);
    }
  }
  return { value, params, rawParams };
}
