// Evaluates a SEARCH key tree (RFC 9051 §6.4.4) over the messages the client sees. Text keys
// are answered by the store's full-text index, one query per distinct key; header and sent-date
// keys read the cached MIME trees, only of the messages they need; everything else is compared
// on the message records in memory.
import type { MessageRecord } from '../../store/types.js';
import type { TextField } from '../../store/message-index.js';
import { dayNumber } from '../../wire/imap/date.js';
import type { SearchKey } from '../../wire/imap/search.js';
import { resolveRanges } from '../../wire/imap/sequence-set.js';
import { decodeWords } from '../../wire/mime/encoded-words.js';
import { parseMailDate } from '../../wire/mime/date.js';
import type { MimePart } from '../../wire/mime/types.js';
import { resolveSet } from './message-set.js';
import type { SelectedMailbox } from './selected.js';
import type { ImapSession } from './session.js';
import { mimeTrees } from './message-cache.js';
import { blobOfEmailId } from './object-id.js';

const TEXT_FIELDS: Record<string, TextField> = { BCC: 'bcc', BODY: 'body', CC: 'cc', FROM: 'from', SUBJECT: 'subject', TEXT: 'text', TO: 'to' };

export interface SearchResult {
  /** Matching UIDs, ascending. */
  uids: number[];
  /** Their records, when the search had to read them (callers that need them read them otherwise). */
  records: MessageRecord[] | null;
  /** Whether the key used MODSEQ (the response then names the highest modseq, RFC 7162 §3.1.5). */
  usedModseq: boolean;
}

/** Keys that look at message records (dates, sizes, modseqs) or their headers. */
function needsRecords(key: SearchKey): boolean {
  let needs = false;
  walk(key, (k) => {
    if (k.op === 'DATE' || k.op === 'SIZE' || k.op === 'MODSEQ' || k.op === 'AGE' || k.op === 'HEADER' || k.op === 'OBJECTID') needs = true;
  });
  return needs;
}

interface Prepared {
  text: Map<string, Set<number>>;
  /** UIDs having each flag (the set-algebra path). */
  flags: Map<string, Set<number>>;
  header: Map<string, Set<number>>;
  sentDay: Map<number, number>;
  seqSets: Map<SearchKey, Set<number>>;
  now: number;
}

function walk(key: SearchKey, visit: (k: SearchKey) => void): void {
  const stack = [key];
  while (stack.length) {
    const k = stack.pop()!;
    visit(k);
    if (k.op === 'AND') for (const x of k.keys) stack.push(x);
    else if (k.op === 'OR') stack.push(k.a, k.b);
    else if (k.op === 'NOT') stack.push(k.key);
  }
}

/** The messages (in the client's view, ascending UID) that match. */
export async function evaluateSearch(s: ImapSession, mb: SelectedMailbox, key: SearchKey): Promise<SearchResult> {
  const store = s.requireAuthenticated().access.store;
  if (!needsRecords(key)) {
    // Text, flag, UID and sequence keys only: set algebra over the client's view, no record
    // read — a full-text search of a 100,000-message mailbox costs its index lookup and no more.
    const p: Prepared = { text: new Map(), flags: new Map(), header: new Map(), sentDay: new Map(), seqSets: new Map(), now: Date.now() };
    const textKeys: Array<Extract<SearchKey, { op: 'TEXT' }>> = [];
    const flags = new Set<string>();
    walk(key, (k) => {
      if (k.op === 'TEXT') textKeys.push(k);
      else if (k.op === 'FLAG' && k.flag !== '\\Recent') flags.add(k.flag);
      else if (k.op === 'SEQ' || k.op === 'UID') p.seqSets.set(k, seqSet(s, mb, k));
    });
    for (const k of textKeys) {
      const id = `${k.field}\0${k.value}`;
      if (!p.text.has(id)) p.text.set(id, new Set(await store.searchText(mb.id, TEXT_FIELDS[k.field]!, k.value)));
    }
    for (const f of flags) p.flags.set(f, new Set(await store.uidsWithFlag(mb.id, f)));
    const uids = mb.uids.filter((uid) => !mb.isExpungedPending(uid) && matchesUid(uid, key, p, mb));
    return { uids, records: null, usedModseq: false };
  }
  const records = (await store.listMessages(mb.id)).filter((r) => mb.seqOf(r.uid) > 0);
  const p: Prepared = { text: new Map(), flags: new Map(), header: new Map(), sentDay: new Map(), seqSets: new Map(), now: Date.now() };
  let usedModseq = false;
  let needSent = false;
  const headerKeys: Array<Extract<SearchKey, { op: 'HEADER' }>> = [];
  const textKeys: Array<Extract<SearchKey, { op: 'TEXT' }>> = [];
  walk(key, (k) => {
    if (k.op === 'TEXT') textKeys.push(k);
    else if (k.op === 'HEADER') headerKeys.push(k);
    else if (k.op === 'DATE' && k.field === 'SENT') needSent = true;
    else if (k.op === 'MODSEQ') usedModseq = true;
    else if (k.op === 'SEQ' || k.op === 'UID') p.seqSets.set(k, seqSet(s, mb, k));
  });
  for (const k of textKeys) {
    const id = `${k.field}\0${k.value}`;
    if (!p.text.has(id)) p.text.set(id, new Set(await store.searchText(mb.id, TEXT_FIELDS[k.field]!, k.value)));
  }
  for (const k of headerKeys) {
    const id = `${k.name.toLowerCase()}\0${k.value}`;
    if (p.header.has(id)) continue;
    // The index narrows the candidates; the header itself decides.
    const candidates = k.value ? new Set(await store.searchText(mb.id, 'headers', k.value)) : null;
    const pool = candidates ? records.filter((r) => candidates.has(r.uid)) : records;
    const trees = await mimeTrees(store, pool.map((r) => r.blobId));
    const name = k.name.toLowerCase();
    const value = k.value.toLowerCase();
    const hits = new Set<number>();
    for (const r of pool) {
      const t = trees.get(r.blobId);
      if (t && t.headers.some((f) => f.key === name && decodeWords(f.value).toLowerCase().includes(value))) hits.add(r.uid);
    }
    p.header.set(id, hits);
  }
  if (needSent) {
    const trees = await mimeTrees(store, records.map((r) => r.blobId));
    for (const r of records) p.sentDay.set(r.uid, sentDay(trees.get(r.blobId) ?? null, r.internalDate));
  }
  const matched = records.filter((r) => matches(r, key, p, mb, s.savedSearch));
  return { uids: matched.map((r) => r.uid), records: matched, usedModseq };
}

function matchesUid(uid: number, key: SearchKey, p: Prepared, mb: SelectedMailbox): boolean {
  switch (key.op) {
    case 'ALL': return true;
    case 'AND': return key.keys.every((k) => matchesUid(uid, k, p, mb));
    case 'OR': return matchesUid(uid, key.a, p, mb) || matchesUid(uid, key.b, p, mb);
    case 'NOT': return !matchesUid(uid, key.key, p, mb);
    case 'FLAG': return (key.flag === '\\Recent' ? mb.recent.has(uid) : p.flags.get(key.flag)!.has(uid)) === key.present;
    case 'TEXT': return p.text.get(`${key.field}\0${key.value}`)!.has(uid);
    case 'SEQ':
    case 'UID': return p.seqSets.get(key)!.has(uid);
    default: return false;
  }
}

function seqSet(s: ImapSession, mb: SelectedMailbox, k: Extract<SearchKey, { op: 'SEQ' | 'UID' }>): Set<number> {
  if (k.op === 'UID' || k.set.kind === 'saved') return new Set(resolveSet(mb, k.set, true, s.savedSearch));
  // Message numbers beyond the mailbox simply match nothing in SEARCH.
  const out = new Set<number>();
  for (const [lo, hi] of resolveRanges(k.set, mb.exists)) {
    for (let n = lo; n <= Math.min(hi, mb.exists); n++) out.add(mb.uids[n - 1]!);
  }
  return out;
}

function matches(r: MessageRecord, key: SearchKey, p: Prepared, mb: SelectedMailbox, saved: number[] | null): boolean {
  switch (key.op) {
    case 'ALL': return true;
    case 'AND': return key.keys.every((k) => matches(r, k, p, mb, saved));
    case 'OR': return matches(r, key.a, p, mb, saved) || matches(r, key.b, p, mb, saved);
    case 'NOT': return !matches(r, key.key, p, mb, saved);
    case 'FLAG': {
      const has = key.flag === '\\Recent'
        ? mb.recent.has(r.uid)
        : r.flags.some((f) => f.toLowerCase() === key.flag.toLowerCase());
      return has === key.present;
    }
    case 'TEXT': return p.text.get(`${key.field}\0${key.value}`)!.has(r.uid);
    case 'HEADER': return p.header.get(`${key.name.toLowerCase()}\0${key.value}`)!.has(r.uid);
    case 'DATE': {
      const day = key.field === 'SENT' ? p.sentDay.get(r.uid)! : Math.floor(r.internalDate.getTime() / 86_400_000);
      const want = dayNumber(key.date);
      return key.cmp === 'BEFORE' ? day < want : key.cmp === 'ON' ? day === want : day >= want;
    }
    case 'SIZE': return key.cmp === 'LARGER' ? r.size > key.size : r.size < key.size;
    case 'SEQ':
    case 'UID': return p.seqSets.get(key)!.has(r.uid);
    case 'MODSEQ': return r.modseq >= key.modseq;
    case 'AGE': {
      const age = (p.now - r.internalDate.getTime()) / 1000;
      return key.cmp === 'OLDER' ? age >= key.seconds : age <= key.seconds;
    }
    // THREADID is always NIL here, so no message has one.
    case 'OBJECTID': return key.kind === 'EMAILID' && blobOfEmailId(key.id) === r.blobId;
  }
}

/**
 * The calendar day of the Date header as written — IMAP compares dates "disregarding time and
 * timezone" (RFC 9051 §6.4.4) — or of the internal date when there is no usable Date.
 */
export function sentDay(tree: MimePart | null, internal: Date): number {
  const value = tree?.headers.find((f) => f.key === 'date')?.value ?? null;
  const date = value ? parseMailDate(value) : null;
  if (!date) return Math.floor(internal.getTime() / 86_400_000);
  const zone = /([+-])(\d{2})(\d{2})\s*(?:\([^)]*\)\s*)?$/.exec(value!);
  const offset = zone ? (zone[1] === '-' ? -1 : 1) * (Number(zone[2]) * 60 + Number(zone[3])) : 0;
  return Math.floor((date.getTime() + offset * 60_000) / 86_400_000);
}

/** The sent date as an instant (SORT DATE), the internal date when there is none. */
export function sentTime(tree: MimePart | null, internal: Date): number {
  const value = tree?.headers.find((f) => f.key === 'date')?.value ?? null;
  const date = value ? parseMailDate(value) : null;
  return date ? date.getTime() : internal.getTime();
}
