// Address lists (RFC 5322 §3.4, with the obsolete forms of §4.4 and the broken forms real
// mail has): display names, quoted strings, comments, groups, routes, domain literals,
// "Name addr@host" without angle brackets, and "addr@host (Name)".
import { decodeWords } from './encoded-words.js';

/** A mailbox, as sent (`raw`, what IMAP's ENVELOPE needs) and decoded (what people read). */
export interface MailboxAddress {
  kind: 'mailbox';
  /** Display name with RFC 2047 words decoded; '' when there is none. */
  name: string;
  /** `local@domain`, or just `local` when the domain is missing; '' when there is no address. */
  address: string;
  raw: {
    /** Display name as sent: quotes and escapes removed, encoded words kept; null when absent. */
    name: string | null;
    /** Obsolete source route (`@a,@b`), or null. */
    route: string | null;
    /** Local part as written ('' when missing). */
    local: string;
    /** Domain as written ('' when missing). */
    domain: string;
  };
}

export interface GroupAddress {
  kind: 'group';
  /** Group display name, decoded. */
  name: string;
  /** Group display name as sent. */
  rawName: string;
  members: MailboxAddress[];
}

export type Address = MailboxAddress | GroupAddress;

type TokKind = 'word' | 'quoted' | 'comment' | 'literal' | 'special';
interface Tok {
  kind: TokKind;
  text: string;
  /** Blank (or a comment) before this token. */
  space: boolean;
}

const SPECIALS = '<>,:;@.';

function tokenize(s: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let space = false;
  const n = s.length;
  while (i < n) {
    const c = s[i]!;
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
      space = true;
      i++;
      continue;
    }
    if (c === '"') {
      let text = '';
      i++;
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        text += s[i];
        i++;
      }
      i++; // closing quote (or end)
      toks.push({ kind: 'quoted', text, space });
      space = false;
      continue;
    }
    if (c === '(') {
      let depth = 1;
      let text = '';
      i++;
      while (i < n && depth > 0) {
        const d = s[i]!;
        if (d === '\\' && i + 1 < n) {
          text += s[i + 1];
          i += 2;
          continue;
        }
        if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
        text += d;
        i++;
      }
      i++;
      toks.push({ kind: 'comment', text, space });
      space = true;
      continue;
    }
    if (c === '[') {
      const close = s.indexOf(']', i);
      const stop = close === -1 ? n : close + 1;
      toks.push({ kind: 'literal', text: s.slice(i, stop), space });
      i = stop;
      space = false;
      continue;
    }
    if (SPECIALS.includes(c)) {
      toks.push({ kind: 'special', text: c, space });
      i++;
      space = false;
      continue;
    }
    let j = i + 1;
    while (j < n) {
      const d = s[j]!;
      if (d === ' ' || d === '\t' || d === '\r' || d === '\n' || d === '"' || d === '(' || d === '[' || SPECIALS.includes(d)) break;
      j++;
    }
    toks.push({ kind: 'word', text: s.slice(i, j), space });
    i = j;
    space = false;
  }
  return toks;
}

/** Words of a display name joined as RFC 5322 §3.2.5 means them: one blank between words. */
function phrase(toks: readonly Tok[]): string {
  let out = '';
  for (const t of toks) {
    if (t.kind === 'comment') continue;
    if (out && t.space) out += ' ';
    out += t.kind === 'quoted' ? t.text : t.text;
  }
  return out.trim();
}

function joinSpec(toks: readonly Tok[]): string {
  let out = '';
  for (const t of toks) {
    if (t.kind === 'comment') continue;
    out += t.kind === 'quoted' ? `"${t.text.replace(/(["\\])/g, '\\$1')}"` : t.text;
  }
  return out;
}

function commentName(toks: readonly Tok[]): string | null {
  for (const t of toks) if (t.kind === 'comment' && t.text.trim()) return t.text.trim();
  return null;
}

function makeMailbox(rawName: string | null, route: string | null, local: string, domain: string): MailboxAddress {
  const name = rawName ? decodeWords(rawName).trim() : '';
  return {
    kind: 'mailbox',
    name,
    address: domain ? `${local}@${domain}` : local,
    raw: { name: rawName || null, route, local, domain },
  };
}

function splitSpec(toks: readonly Tok[]): { local: string; domain: string } {
  let at = -1;
  for (let i = toks.length - 1; i >= 0; i--) {
    if (toks[i]!.kind === 'special' && toks[i]!.text === '@') {
      at = i;
      break;
    }
  }
  if (at === -1) return { local: joinSpec(toks), domain: '' };
  return { local: joinSpec(toks.slice(0, at)), domain: joinSpec(toks.slice(at + 1)) };
}

function buildMailbox(toks: Tok[]): MailboxAddress | null {
  if (toks.length === 0) return null;
  const lt = toks.findIndex((t) => t.kind === 'special' && t.text === '<');
  if (lt !== -1) {
    let gt = toks.findIndex((t, i) => i > lt && t.kind === 'special' && t.text === '>');
    if (gt === -1) gt = toks.length;
    let inner = toks.slice(lt + 1, gt).filter((t) => t.kind !== 'comment');
    let route: string | null = null;
    if (inner[0]?.kind === 'special' && inner[0].text === '@') {
      const colon = inner.findIndex((t) => t.kind === 'special' && t.text === ':');
      if (colon !== -1) {
        route = joinSpec(inner.slice(0, colon));
        inner = inner.slice(colon + 1);
      }
    }
    const { local, domain } = splitSpec(inner);
    const before = toks.slice(0, lt);
    const name = phrase(before) || commentName(toks.slice(gt + 1)) || commentName(before);
    return makeMailbox(name, route, local, domain);
  }
  const words = toks.filter((t) => t.kind !== 'comment');
  if (words.length === 0) return null;
  const at = words.findIndex((t) => t.kind === 'special' && t.text === '@');
  if (at === -1) {
    // No "@": a lone word is a local part (undisclosed-recipients); several words are a name without address.
    if (words.length === 1 || words.every((t, i) => i === 0 || !t.space)) return makeMailbox(commentName(toks), null, joinSpec(words), '');
    return makeMailbox(phrase(words), null, '', '');
  }
  // addr-spec, possibly preceded by words that are really a display name ("Name addr@host")
  let s = at;
  while (s > 0 && !words[s]!.space && words[s - 1]!.kind !== 'special') s--;
  while (s > 0 && words[s - 1]!.kind === 'special' && words[s - 1]!.text === '.' && !words[s]!.space) {
    s--;
    if (s > 0 && !words[s]!.space) s--;
  }
  let e = at + 1;
  while (e < words.length && !words[e]!.space) e++;
  const { local, domain } = splitSpec(words.slice(s, e));
  const extra = [...words.slice(0, s), ...words.slice(e)];
  const name = phrase(extra) || commentName(toks);
  return makeMailbox(name || null, null, local, domain);
}

/**
 * Parses an address list header value (From, To, Cc, …). Never throws; what cannot be read
 * as an address is dropped.
 */
export function parseAddressList(value: string): Address[] {
  const toks = tokenize(value);
  const out: Address[] = [];
  let group: GroupAddress | null = null;
  let cur: Tok[] = [];
  let inAngle = false;
  const flush = (): void => {
    const mb = buildMailbox(cur);
    cur = [];
    if (!mb || (!mb.address && !mb.name)) return;
    if (group) group.members.push(mb);
    else out.push(mb);
  };
  for (const t of toks) {
    if (t.kind === 'special') {
      if (inAngle) {
        if (t.text === '>') inAngle = false;
        cur.push(t);
        continue;
      }
      if (t.text === '<') {
        inAngle = true;
        cur.push(t);
        continue;
      }
      if (t.text === ',') {
        flush();
        continue;
      }
      if (t.text === ':' && !group && !cur.some((x) => x.kind === 'special' && (x.text === '@' || x.text === '<'))) {
        const rawName = phrase(cur);
        group = { kind: 'group', name: decodeWords(rawName).trim(), rawName, members: [] };
        out.push(group);
        cur = [];
        continue;
      }
      if (t.text === ';') {
        flush();
        group = null;
        continue;
      }
    }
    cur.push(t);
  }
  flush();
  return out;
}

/** All mailboxes of a list, group members included, in order. */
export function flattenAddresses(list: readonly Address[]): MailboxAddress[] {
  const out: MailboxAddress[] = [];
  for (const a of list) {
    if (a.kind === 'group') out.push(...a.members);
    else out.push(a);
  }
  return out;
}
