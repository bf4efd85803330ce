// What IMAP response values mean, for the client: FETCH items (RFC 9051 §7.5.2) with ENVELOPE
// and BODYSTRUCTURE, LIST (§7.3.1, RFC 6154 special use), STATUS (§7.3.2), NAMESPACE (RFC 2342),
// ESEARCH (RFC 4731), VANISHED (RFC 7162 §3.2.10) and the UIDPLUS codes (RFC 4315 §3).
// Servers differ in case and spacing; readers here are liberal and never throw on an
// unexpected shape — a field they cannot read is left out.
import { decodeWords } from '../mime/encoded-words.js';
import { parseDateTime } from './date.js';
import { decodeMailboxName } from './mutf7.js';
import { parseSequenceSet, resolveRanges, expandRanges } from './sequence-set.js';
import { StreamedLiteral, isList, valueBigInt, valueNumber, valueText, type ImapValue } from './client-response.js';

export interface EnvelopeAddress {
  /** Display name, RFC 2047 words decoded; '' when none. */
  name: string;
  /** mailbox@host; '' for group markers. */
  address: string;
  /** The group this address belongs to (RFC 2822 group syntax), if any. */
  group?: string;
}

export interface MessageEnvelope {
  date: Date | null;
  /** The Date field as sent. */
  dateText: string | null;
  subject: string;
  from: EnvelopeAddress[];
  sender: EnvelopeAddress[];
  replyTo: EnvelopeAddress[];
  to: EnvelopeAddress[];
  cc: EnvelopeAddress[];
  bcc: EnvelopeAddress[];
  inReplyTo: string | null;
  messageId: string | null;
}

export interface BodyStructure {
  /** Part number for BODY[part] ("1", "1.2"); '' for the message itself when it is multipart. */
  part: string;
  /** Lower case "text/plain", "multipart/alternative". */
  type: string;
  parameters: Record<string, string>;
  id?: string;
  description?: string;
  /** Lower-case Content-Transfer-Encoding. */
  encoding?: string;
  /** Encoded size in octets. */
  size?: number;
  lines?: number;
  md5?: string;
  disposition?: string;
  dispositionParameters?: Record<string, string>;
  language?: string[];
  location?: string;
  /** For message/rfc822 parts. */
  envelope?: MessageEnvelope;
  childNodes?: BodyStructure[];
}

export interface FetchAttributes {
  uid?: number;
  flags?: string[];
  /** CONDSTORE (RFC 7162 §3.1.4.1). */
  modseq?: bigint;
  internalDate?: Date;
  /** RFC822.SIZE. */
  size?: number;
  envelope?: MessageEnvelope;
  bodyStructure?: BodyStructure;
  /** OBJECTID (RFC 8474). */
  emailId?: string;
  threadId?: string;
  /** BODY[section]<origin> contents, keyed by the section as normalised by sectionKey(). */
  sections: Map<string, Buffer | StreamedLiteral>;
  /** BINARY[section] contents (RFC 3516), keyed by the section. */
  binary: Map<string, Buffer | StreamedLiteral>;
  /** BINARY.SIZE[section]. */
  binarySize: Map<string, number>;
}

/** A FETCH list "(UID 4 FLAGS (\Seen) …)" as [name, value] pairs, names upper-cased. */
export function fetchItems(list: ImapValue): Array<[string, ImapValue]> {
  const out: Array<[string, ImapValue]> = [];
  if (!isList(list)) return out;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i];
    if (typeof name !== 'string') break;
    out.push([name.toUpperCase(), list[i + 1]!]);
  }
  return out;
}

const SECTION = /^(BODY|BINARY|BINARY\.SIZE)\[([^\]]*)\](?:<(\d+)>)?$/i;

/**
 * The key a section is filed under: upper-case keywords, single spaces, no partial origin.
 * "body[header.fields (subject  from)]<0>" → "HEADER.FIELDS (SUBJECT FROM)".
 */
export function sectionKey(section: string): string {
  return section.trim().replace(/\s+/g, ' ').replace(/\(\s+/g, '(').replace(/\s+\)/g, ')').toUpperCase();
}

export function parseFetchAttributes(items: Array<[string, ImapValue]>): FetchAttributes {
  const a: FetchAttributes = { sections: new Map(), binary: new Map(), binarySize: new Map() };
  for (const [name, value] of items) mergeItem(a, name, value);
  return a;
}

export function mergeItem(a: FetchAttributes, name: string, value: ImapValue): void {
  switch (name) {
    case 'UID': {
      const n = valueNumber(value);
      if (!Number.isNaN(n)) a.uid = n;
      return;
    }
    case 'FLAGS':
      if (isList(value)) a.flags = value.map((f) => valueText(f) ?? '').filter((f) => f.length > 0);
      return;
    case 'MODSEQ':
      if (isList(value)) {
        const m = valueBigInt(value[0]);
        if (m !== undefined) a.modseq = m;
      }
      return;
    case 'INTERNALDATE': {
      const d = parseDateTime(valueText(value) ?? '');
      if (d) a.internalDate = d;
      return;
    }
    case 'RFC822.SIZE': {
      const n = valueNumber(value);
      if (!Number.isNaN(n)) a.size = n;
      return;
    }
    case 'ENVELOPE':
      if (isList(value)) a.envelope = parseEnvelope(value);
      return;
    case 'BODYSTRUCTURE':
    case 'BODY':
      if (isList(value)) a.bodyStructure = parseBodyStructure(value, '');
      return;
    case 'EMAILID':
    case 'THREADID': {
      const v = isList(value) ? valueText(value[0]) : valueText(value);
      if (v) {
        if (name === 'EMAILID') a.emailId = v;
        else a.threadId = v;
      }
      return;
    }
    case 'RFC822':
      storeSection(a.sections, '', value);
      return;
    case 'RFC822.HEADER':
      storeSection(a.sections, 'HEADER', value);
      return;
    case 'RFC822.TEXT':
      storeSection(a.sections, 'TEXT', value);
      return;
  }
  const m = SECTION.exec(name);
  if (!m) return;
  const kind = m[1]!.toUpperCase();
  const key = sectionKey(m[2]!);
  if (kind === 'BODY') storeSection(a.sections, key, value);
  else if (kind === 'BINARY') storeSection(a.binary, key, value);
  else {
    const n = valueNumber(value);
    if (!Number.isNaN(n)) a.binarySize.set(key, n);
  }
}

function storeSection(map: Map<string, Buffer | StreamedLiteral>, key: string, value: ImapValue): void {
  if (Buffer.isBuffer(value) || value instanceof StreamedLiteral) map.set(key, value);
  else if (typeof value === 'string') map.set(key, Buffer.from(value, 'latin1'));
  else if (value === null) map.set(key, Buffer.alloc(0));
}

/** Bytes of a value (strings as sent, atoms as latin1). */
function bytesText(v: ImapValue | undefined, decode = true): string | null {
  if (v === null || v === undefined) return null;
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (typeof v === 'string') return decode ? v : v;
  return null;
}

export function parseEnvelope(v: ImapValue[]): MessageEnvelope {
  const dateText = bytesText(v[0]);
  const rawSubject = bytesText(v[1]) ?? '';
  let date: Date | null = null;
  if (dateText) {
    const t = Date.parse(dateText.replace(/\s*\([^)]*\)\s*$/, ''));
    date = Number.isNaN(t) ? null : new Date(t);
  }
  return {
    date,
    dateText,
    subject: decodeWords(rawSubject),
    from: parseAddresses(v[2]),
    sender: parseAddresses(v[3]),
    replyTo: parseAddresses(v[4]),
    to: parseAddresses(v[5]),
    cc: parseAddresses(v[6]),
    bcc: parseAddresses(v[7]),
    inReplyTo: bytesText(v[8]),
    messageId: bytesText(v[9]),
  };
}

/** RFC 9051 §7.5.2 address: (name adl mailbox host); a group is (NIL NIL name NIL) … (NIL NIL NIL NIL). */
function parseAddresses(v: ImapValue | undefined): EnvelopeAddress[] {
  if (!isList(v)) return [];
  const out: EnvelopeAddress[] = [];
  let group: string | undefined;
  for (const a of v) {
    if (!isList(a)) continue;
    const name = bytesText(a[0]);
    const mailbox = bytesText(a[2]);
    const host = bytesText(a[3]);
    if (host === null) {
      // Group start (mailbox = group name) or end (mailbox NIL).
      group = mailbox === null ? undefined : decodeWords(mailbox);
      continue;
    }
    const address = mailbox === null ? '' : host ? `${mailbox}@${host}` : mailbox;
    out.push({ name: name ? decodeWords(name) : '', address, ...(group !== undefined && { group }) });
  }
  return out;
}

function parameters(v: ImapValue | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isList(v)) return out;
  for (let i = 0; i + 1 < v.length; i += 2) {
    const k = bytesText(v[i]);
    const val = bytesText(v[i + 1]);
    if (k !== null && val !== null) out[k.toLowerCase()] = decodeWords(val);
  }
  return out;
}

function child(prefix: string, index: number): string {
  return prefix ? `${prefix}.${index}` : String(index);
}

/**
 * BODYSTRUCTURE (RFC 9051 §7.5.2 body): part numbers follow RFC 9051 §6.4.5 — a message/rfc822
 * part's own body is numbered beneath it, and a non-multipart message's single part is "1".
 */
export function parseBodyStructure(v: ImapValue[], part: string): BodyStructure {
  if (isList(v[0])) {
    // multipart: body body … subtype [params [disposition [language [location]]]]
    const children: BodyStructure[] = [];
    let i = 0;
    for (; i < v.length && isList(v[i]); i++) children.push(parseBodyStructure(v[i] as ImapValue[], child(part, i + 1)));
    const subtype = (bytesText(v[i]) ?? 'mixed').toLowerCase();
    const s: BodyStructure = { part, type: `multipart/${subtype}`, parameters: parameters(v[i + 1]), childNodes: children };
    extension(s, v, i + 2);
    return s;
  }
  const self = part || '1';
  const type = (bytesText(v[0]) ?? 'text').toLowerCase();
  const subtype = (bytesText(v[1]) ?? 'plain').toLowerCase();
  const s: BodyStructure = { part: self, type: `${type}/${subtype}`, parameters: parameters(v[2]) };
  const id = bytesText(v[3]);
  const description = bytesText(v[4]);
  const encoding = bytesText(v[5]);
  const size = valueNumber(v[6]);
  if (id) s.id = id;
  if (description) s.description = decodeWords(description);
  if (encoding) s.encoding = encoding.toLowerCase();
  if (!Number.isNaN(size)) s.size = size;
  let i = 7;
  if (type === 'message' && (subtype === 'rfc822' || subtype === 'global') && isList(v[7])) {
    s.envelope = parseEnvelope(v[7]);
    // The enclosed message's body: a multipart is numbered as this part, a single part as N.1.
    if (isList(v[8])) s.childNodes = [parseBodyStructure(v[8], isList(v[8][0]) ? self : child(self, 1))];
    const lines = valueNumber(v[9]);
    if (!Number.isNaN(lines)) s.lines = lines;
    i = 10;
  } else if (type === 'text') {
    const lines = valueNumber(v[7]);
    if (!Number.isNaN(lines)) s.lines = lines;
    i = 8;
  }
  const md5 = bytesText(v[i]);
  if (md5) s.md5 = md5;
  extension(s, v, i + 1);
  return s;
}

/** body-ext: disposition, language, location. */
function extension(s: BodyStructure, v: ImapValue[], i: number): void {
  const disp = v[i];
  if (isList(disp) && disp.length > 0) {
    const d = bytesText(disp[0]);
    if (d) s.disposition = d.toLowerCase();
    const p = parameters(disp[1]);
    if (Object.keys(p).length > 0) s.dispositionParameters = p;
  }
  const lang = v[i + 1];
  if (isList(lang)) s.language = lang.map((l) => bytesText(l) ?? '').filter(Boolean);
  else if (lang !== undefined && lang !== null) {
    const l = bytesText(lang);
    if (l) s.language = [l];
  }
  const loc = bytesText(v[i + 2]);
  if (loc) s.location = loc;
}

// ---- LIST, STATUS, NAMESPACE, ESEARCH, VANISHED, UIDPLUS ----

export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash' | '\\Inbox';

export interface ListEntry {
  /** Decoded name ("Entwürfe"), path segments joined with the delimiter. */
  name: string;
  /** Name as on the wire (modified UTF-7 unless UTF8=ACCEPT). */
  path: string;
  delimiter: string | null;
  /** Attributes as sent (\HasNoChildren, \Noselect, \Sent …). */
  flags: string[];
  /** RFC 6154 special use, "\Inbox" for INBOX. */
  specialUse?: SpecialUse;
  /** LIST-STATUS (RFC 5819) data, when asked for. */
  status?: MailboxStatus;
}

const SPECIAL = new Set(['\\ALL', '\\ARCHIVE', '\\DRAFTS', '\\FLAGGED', '\\JUNK', '\\SENT', '\\TRASH']);

export function parseListEntry(values: ImapValue[], utf8: boolean): ListEntry | null {
  const [attrs, delim, mailbox] = values;
  if (!isList(attrs) || mailbox === undefined) return null;
  const path = bytesText(mailbox, false);
  if (path === null) return null;
  const wire = Buffer.isBuffer(mailbox) ? (utf8 ? mailbox.toString('utf8') : mailbox.toString('latin1')) : path;
  const flags = attrs.map((a) => valueText(a) ?? '').filter(Boolean);
  const e: ListEntry = {
    path: wire,
    name: utf8 ? wire : (decodeMailboxName(wire) ?? wire),
    delimiter: bytesText(delim),
    flags,
  };
  const special = flags.find((f) => SPECIAL.has(f.toUpperCase()));
  if (special) e.specialUse = (special[0] + special[1]!.toUpperCase() + special.slice(2).toLowerCase()) as SpecialUse;
  else if (wire.toUpperCase() === 'INBOX') e.specialUse = '\\Inbox';
  return e;
}

export interface MailboxStatus {
  messages?: number;
  recent?: number;
  uidNext?: number;
  uidValidity?: number;
  unseen?: number;
  deleted?: number;
  /** RFC 8438 STATUS=SIZE. */
  size?: number;
  highestModseq?: bigint;
}

/** "* STATUS name (MESSAGES 3 UIDNEXT 9 …)" → the mailbox's wire name and its values. */
export function parseStatus(values: ImapValue[]): { path: string; status: MailboxStatus } | null {
  const [mailbox, items] = values;
  const path = Buffer.isBuffer(mailbox) ? mailbox.toString('latin1') : typeof mailbox === 'string' ? mailbox : null;
  if (path === null || !isList(items)) return null;
  const status: MailboxStatus = {};
  for (let i = 0; i + 1 < items.length; i += 2) {
    const k = (valueText(items[i]) ?? '').toUpperCase();
    const v = items[i + 1];
    const n = valueNumber(v);
    switch (k) {
      case 'MESSAGES': status.messages = n; break;
      case 'RECENT': status.recent = n; break;
      case 'UIDNEXT': status.uidNext = n; break;
      case 'UIDVALIDITY': status.uidValidity = n; break;
      case 'UNSEEN': status.unseen = n; break;
      case 'DELETED': status.deleted = n; break;
      case 'SIZE': status.size = n; break;
      case 'HIGHESTMODSEQ': {
        const m = valueBigInt(v);
        if (m !== undefined) status.highestModseq = m;
        break;
      }
    }
  }
  return { path, status };
}

export interface NamespaceEntry {
  prefix: string;
  delimiter: string | null;
}

export interface Namespaces {
  personal: NamespaceEntry[];
  otherUsers: NamespaceEntry[];
  shared: NamespaceEntry[];
}

export function parseNamespace(values: ImapValue[]): Namespaces {
  const group = (v: ImapValue | undefined): NamespaceEntry[] =>
    isList(v) ? v.filter(isList).map((n) => ({ prefix: bytesText(n[0]) ?? '', delimiter: bytesText(n[1]) })) : [];
  return { personal: group(values[0]), otherUsers: group(values[1]), shared: group(values[2]) };
}

/** Expands "1:3,7" to [1,2,3,7] (bounded: a set with "*" or over `limit` numbers is cut). */
export function expandNumberSet(text: string, limit = 10_000_000): number[] {
  const set = parseSequenceSet(text);
  if (!set || set.kind !== 'set') return [];
  return expandRanges(resolveRanges(set, 0xffffffff), limit);
}

export interface EsearchResult {
  tag?: string;
  uid: boolean;
  all?: number[];
  min?: number;
  max?: number;
  count?: number;
  modseq?: bigint;
}

/** RFC 4731 §3.1: ESEARCH [(TAG "x")] [UID] *(name value). */
export function parseEsearch(values: ImapValue[]): EsearchResult {
  const r: EsearchResult = { uid: false };
  let i = 0;
  const first = values[0];
  if (isList(first) && (valueText(first[0]) ?? '').toUpperCase() === 'TAG') {
    r.tag = valueText(first[1]) ?? '';
    i = 1;
  }
  for (; i < values.length; i++) {
    const k = (valueText(values[i]) ?? '').toUpperCase();
    if (k === 'UID') {
      r.uid = true;
      continue;
    }
    const v = values[++i];
    switch (k) {
      case 'ALL': r.all = expandNumberSet(valueText(v) ?? ''); break;
      case 'MIN': r.min = valueNumber(v); break;
      case 'MAX': r.max = valueNumber(v); break;
      case 'COUNT': r.count = valueNumber(v); break;
      case 'MODSEQ': {
        const m = valueBigInt(v);
        if (m !== undefined) r.modseq = m;
        break;
      }
    }
  }
  return r;
}

/** "* VANISHED (EARLIER) 41,43:116" (RFC 7162 §3.2.10). */
export function parseVanished(values: ImapValue[]): { earlier: boolean; uids: number[] } {
  let earlier = false;
  let i = 0;
  if (isList(values[0])) {
    earlier = values[0].some((x) => (valueText(x) ?? '').toUpperCase() === 'EARLIER');
    i = 1;
  }
  return { earlier, uids: expandNumberSet(valueText(values[i]) ?? '') };
}

export interface CopyUid {
  uidValidity: number;
  /** Source UIDs and the UIDs they got in the destination, pairwise. */
  sourceUids: number[];
  destinationUids: number[];
}

/** [COPYUID uidvalidity source-set dest-set] (RFC 4315 §3). */
export function parseCopyUid(values: ImapValue[]): CopyUid | null {
  const uidValidity = valueNumber(values[0]);
  const src = expandNumberSet(valueText(values[1]) ?? '');
  const dst = expandNumberSet(valueText(values[2]) ?? '');
  if (Number.isNaN(uidValidity) || src.length !== dst.length) return null;
  return { uidValidity, sourceUids: src, destinationUids: dst };
}

/** [APPENDUID uidvalidity uid-set] (RFC 4315 §3). */
export function parseAppendUid(values: ImapValue[]): { uidValidity: number; uids: number[] } | null {
  const uidValidity = valueNumber(values[0]);
  const uids = expandNumberSet(valueText(values[1]) ?? '');
  if (Number.isNaN(uidValidity) || uids.length === 0) return null;
  return { uidValidity, uids };
}
