// SMTP envelope addresses (RFC 5321 §4.1.2, RFC 6531 §3.3 for UTF-8): the Path inside "<…>"
// of MAIL FROM and RCPT TO. Pure: text in, a typed mailbox or a reason out.
//
// Limits from RFC 5321 §4.5.3.1: local part 64 octets, domain 255, whole path 256.

export interface EnvelopeAddress {
  /** Local part as written (quotes kept when it was a quoted string). */
  local: string;
  /** Domain (or address literal "[…]") as written, lower-cased when ASCII. */
  domain: string;
  /** `local@domain`, the form we compare and store. */
  address: string;
  /** Holds non-ASCII characters: needs SMTPUTF8 (RFC 6531 §3.4). */
  utf8: boolean;
}

export type PathParse =
  | { ok: true; mailbox: EnvelopeAddress | null; rest: string }
  | { ok: false; reason: string };

export const MAX_LOCAL_PART = 64;
export const MAX_DOMAIN = 255;
export const MAX_PATH = 256;

// atext (RFC 5322 §3.2.3) as RFC 5321's Atom uses it.
const ATEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~\u0080-\u{10ffff}]+$/u;
const ATEXT_ASCII = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+$/;
// sub-domain = Let-dig [Ldh-str]; U-labels allowed under SMTPUTF8 (RFC 6531 §3.3).
const SUBDOMAIN = /^[A-Za-z0-9\u0080-\u{10ffff}](?:[A-Za-z0-9\u0080-\u{10ffff}-]*[A-Za-z0-9\u0080-\u{10ffff}])?$/u;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const NON_ASCII = /[^\x00-\x7f]/;

function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** RFC 5321 Dot-string or Quoted-string. */
export function isValidLocalPart(local: string): boolean {
  if (local.length === 0) return false;
  if (local.startsWith('"')) {
    if (local.length < 2 || !local.endsWith('"')) return false;
    const inner = local.slice(1, -1);
    for (let i = 0; i < inner.length; i++) {
      const c = inner.charCodeAt(i);
      if (c === 0x5c) {
        // quoted-pairSMTP = %d92 %d32-126
        const n = inner.charCodeAt(++i);
        if (!(n >= 32 && n <= 126)) return false;
        continue;
      }
      if (c === 0x22) return false;
      // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF-8 (RFC 6531)
      if (c < 32 || c === 127) return false;
    }
    return true;
  }
  return local.split('.').every((atom) => ATEXT.test(atom));
}

export function isValidDomain(domain: string): boolean {
  if (domain.startsWith('[')) {
    if (!domain.endsWith(']')) return false;
    const lit = domain.slice(1, -1);
    if (IPV4.test(lit)) return true;
    if (/^IPv6:[0-9A-Fa-f:.]+$/i.test(lit)) return lit.length > 5;
    // General-address-literal = Standardized-tag ":" 1*dcontent
    return /^[A-Za-z0-9-]*[A-Za-z0-9]:[\x21-\x5a\x5e-\x7e]+$/.test(lit);
  }
  if (domain.length === 0 || domain.endsWith('.')) return false;
  return domain.split('.').every((label) => SUBDOMAIN.test(label) && byteLength(label) <= 63);
}

/**
 * Parses "<…>" at the start of `text` (after "FROM:" or "TO:"). `<>` gives mailbox null (the
 * null reverse-path). A source route (`<@a,@b:user@c>`, RFC 5321 §4.1.2 A-d-l) is accepted and
 * dropped, as §C allows. `rest` is what follows the ">" (the ESMTP parameters).
 */
export function parsePath(text: string): PathParse {
  // Many clients write "MAIL FROM: <a@b>" (with a space); RFC 5321 §4.1.1.2 has none, but
  // every MTA accepts it.
  const t = text.replace(/^ +/, '');
  if (!t.startsWith('<')) {
    return { ok: false, reason: 'The address must be enclosed in <>.' };
  }
  // The closing ">" is the first one outside a quoted string.
  let end = -1;
  let inQuote = false;
  for (let i = 1; i < t.length; i++) {
    const c = t[i];
    if (inQuote) {
      if (c === '\\') i++;
      else if (c === '"') inQuote = false;
    } else if (c === '"') inQuote = true;
    else if (c === '>') { end = i; break; }
    else if (c === '<') return { ok: false, reason: 'The address has a stray "<".' };
  }
  if (end < 0) return { ok: false, reason: 'The address has no closing ">".' };
  let inner = t.slice(1, end);
  const rest = t.slice(end + 1);
  if (rest.length > 0 && !rest.startsWith(' ')) return { ok: false, reason: 'Parameters must follow the address after a space.' };
  if (byteLength(inner) + 2 > MAX_PATH) return { ok: false, reason: `The address is longer than ${MAX_PATH} octets.` };
  if (inner === '') return { ok: true, mailbox: null, rest: rest.trimStart() };
  if (inner.startsWith('@')) {
    const colon = inner.indexOf(':');
    if (colon < 0) return { ok: false, reason: 'Malformed source route.' };
    const route = inner.slice(0, colon).split(',');
    if (!route.every((r) => r.startsWith('@') && isValidDomain(r.slice(1)))) return { ok: false, reason: 'Malformed source route.' };
    inner = inner.slice(colon + 1);
  }
  const mailbox = parseMailbox(inner);
  if (!mailbox.ok) return mailbox;
  return { ok: true, mailbox: mailbox.mailbox, rest: rest.trimStart() };
}

/** `local@domain` (no angle brackets). */
export function parseMailbox(text: string): { ok: true; mailbox: EnvelopeAddress } | { ok: false; reason: string } {
  const at = text.lastIndexOf('@');
  if (at <= 0) return { ok: false, reason: 'The address needs a local part and a domain (user@example.com).' };
  const local = text.slice(0, at);
  let domain = text.slice(at + 1);
  if (!isValidLocalPart(local)) return { ok: false, reason: 'The local part of the address is malformed.' };
  if (byteLength(local) > MAX_LOCAL_PART) return { ok: false, reason: `The local part is longer than ${MAX_LOCAL_PART} octets.` };
  if (!isValidDomain(domain)) return { ok: false, reason: 'The domain of the address is malformed.' };
  if (byteLength(domain) > MAX_DOMAIN) return { ok: false, reason: `The domain is longer than ${MAX_DOMAIN} octets.` };
  // Domains compare case-insensitively (RFC 5321 §2.4); local parts are the receiver's business,
  // and every mailbox here is stored lower-case.
  domain = domain.toLowerCase();
  const utf8 = NON_ASCII.test(local) || NON_ASCII.test(domain);
  return { ok: true, mailbox: { local, domain, address: `${local}@${domain}`, utf8 } };
}

/** An address is plain ASCII atoms (safe to write anywhere unquoted). */
export function isAsciiDotAtom(local: string): boolean {
  return local.split('.').every((a) => ATEXT_ASCII.test(a));
}

/** "<a@b>" for replies, DSNs and headers; "<>" for the null path. */
export function angle(address: string | null): string {
  return `<${address ?? ''}>`;
}
