// What the store keeps about a message besides its bytes, computed once when the message is
// first stored (parse once at delivery): the MIME tree with byte offsets (wire/mime's
// JSON-serialisable MimePart, which FETCH BODYSTRUCTURE/ENVELOPE/BODY[section] read instead of
// re-parsing) and the decoded text the full-text index searches. Both stores share this; the
// store depends on wire/mime's parser, never on a protocol formatter (DESIGN §1 layer rules).
import { decodeWords, parseMimeTree, searchableText, walkParts } from '../wire/mime/index.js';
import type { MimePart } from '../wire/mime/types.js';

/** Fields of the full-text index (what IMAP SEARCH's text keys look at). */
export type TextField = 'subject' | 'from' | 'to' | 'cc' | 'bcc' | 'headers' | 'body' | 'text';

export const TEXT_FIELDS: readonly TextField[] = ['subject', 'from', 'to', 'cc', 'bcc', 'headers', 'body', 'text'];

/** Indexed text is capped per message; a message over the cap is searched in full on demand. */
export const MAX_INDEXED_CHARS = 1 << 20;

/** Header values longer than this are cut in the cached tree (a 50 MB one-line header stays 64 KiB). */
export const MAX_CACHED_HEADER_VALUE = 64 * 1024;

export interface MessageIndexEntry {
  /** JSON of the MimePart tree. */
  tree: string;
  subject: string;
  from: string;
  to: string;
  cc: string;
  bcc: string;
  headers: string;
  body: string;
  /** false when some text was cut at MAX_INDEXED_CHARS. */
  complete: boolean;
}

function fieldText(tree: MimePart, key: string): string {
  const values: string[] = [];
  for (const f of tree.headers) if (f.key === key) values.push(decodeWords(f.value));
  return values.join('\n');
}

/** The full decoded text of each field (uncapped). */
export function messageText(raw: Buffer, tree: MimePart = parseMimeTree(raw)): Record<Exclude<TextField, 'text'>, string> {
  const text = searchableText(raw, tree);
  return {
    subject: fieldText(tree, 'subject'),
    from: fieldText(tree, 'from'),
    to: fieldText(tree, 'to'),
    cc: fieldText(tree, 'cc'),
    bcc: fieldText(tree, 'bcc'),
    headers: text.headers,
    body: text.body,
  };
}

/**
 * The tree as cached: each header field keeps its byte offsets, unfolded value and name, but not
 * `raw` (the bytes are in the message at start..end), and values over MAX_CACHED_HEADER_VALUE
 * are cut — so the cache stays small whatever the message holds.
 */
export function slimTree(tree: MimePart): MimePart {
  walkParts(tree, (part) => {
    for (const f of part.headers) {
      f.raw = '';
      if (f.value.length > MAX_CACHED_HEADER_VALUE) f.value = f.value.slice(0, MAX_CACHED_HEADER_VALUE);
    }
  });
  return tree;
}

export function indexMessage(raw: Buffer): MessageIndexEntry {
  const tree = parseMimeTree(raw);
  const t = messageText(raw, tree);
  slimTree(tree);
  let complete = true;
  const cap = (text: string): string => {
    // NUL cannot be stored in PostgreSQL text and ends strings in FTS5; it never matches a search.
    const s = text.includes('\0') ? text.replace(/\0/g, ' ') : text;
    if (s.length <= MAX_INDEXED_CHARS) return s;
    complete = false;
    return s.slice(0, MAX_INDEXED_CHARS);
  };
  return {
    tree: JSON.stringify(tree),
    subject: cap(t.subject),
    from: cap(t.from),
    to: cap(t.to),
    cc: cap(t.cc),
    bcc: cap(t.bcc),
    headers: cap(t.headers),
    body: cap(t.body),
    complete,
  };
}

/** Case-insensitive substring test of one field over a message's full text (the slow path). */
export function textContains(raw: Buffer, field: TextField, needle: string): boolean {
  const t = messageText(raw);
  const n = needle.toLowerCase();
  if (field === 'text') return t.headers.toLowerCase().includes(n) || t.body.toLowerCase().includes(n);
  return t[field].toLowerCase().includes(n);
}

export function checkTextField(field: TextField): void {
  if (!TEXT_FIELDS.includes(field)) throw new Error(`unknown text field ${String(field)}`);
}
