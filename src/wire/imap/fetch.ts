// FETCH data items (RFC 9051 §6.4.5, RFC 3501 §6.4.5, RFC 3516 BINARY, RFC 7162 MODSEQ,
// RFC 8474 EMAILID/THREADID):
// grammar and the response labels servers echo back ("BODY[HEADER.FIELDS (FROM)]<0>").
import { ArgReader, ImapSyntaxError } from './reader.js';

export type SectionText =
  | { kind: 'HEADER' }
  | { kind: 'TEXT' }
  | { kind: 'MIME' }
  | { kind: 'HEADER.FIELDS'; fields: string[]; not: boolean };

export interface Section {
  /** Part numbers ("1.2" → [1, 2]); [] for the whole message. */
  part: number[];
  text: SectionText | null;
}

export interface Partial {
  offset: number;
  length: number;
}

export type SimpleFetchName =
  | 'ENVELOPE' | 'FLAGS' | 'INTERNALDATE' | 'RFC822.SIZE' | 'UID' | 'BODYSTRUCTURE' | 'BODY'
  | 'MODSEQ' | 'RFC822' | 'RFC822.HEADER' | 'RFC822.TEXT' | 'EMAILID' | 'THREADID';

export type FetchAtt =
  | { kind: 'simple'; name: SimpleFetchName }
  | { kind: 'body'; peek: boolean; section: Section; partial: Partial | null }
  | { kind: 'binary'; peek: boolean; part: number[]; partial: Partial | null }
  | { kind: 'binary.size'; part: number[] };

const SIMPLE = new Set<string>(['ENVELOPE', 'FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'UID', 'BODYSTRUCTURE', 'BODY', 'MODSEQ', 'RFC822', 'RFC822.HEADER', 'RFC822.TEXT', 'EMAILID', 'THREADID']);

const MACROS: Record<string, SimpleFetchName[]> = {
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'],
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE', 'BODY'],
};

/** The fetch items: a macro, one item, or a parenthesized list. */
export function readFetchItems(r: ArgReader): FetchAtt[] {
  if (r.peek() === 0x28) return r.list(() => readFetchAtt(r), false);
  const save = r.peek();
  if (save >= 0x41) {
    // A macro is a bare word that is not followed by "[" or "<".
    const items = tryMacro(r);
    if (items) return items;
  }
  return [readFetchAtt(r)];
}

function tryMacro(r: ArgReader): FetchAtt[] | null {
  // Peek the word without consuming anything we cannot give back: macros never have "[".
  const probe = r.rest();
  const m = /^(ALL|FAST|FULL)(?=$|[ )])/i.exec(probe);
  if (!m) return null;
  r.word();
  return MACROS[m[1]!.toUpperCase()]!.map((name) => ({ kind: 'simple', name }));
}

export function readFetchAtt(r: ArgReader): FetchAtt {
  const word = r.word();
  if (word === 'BODY' || word === 'BODY.PEEK') {
    if (r.peek() !== 0x5b) {
      if (word === 'BODY') return { kind: 'simple', name: 'BODY' };
      throw new ImapSyntaxError('BODY.PEEK needs a section in brackets.');
    }
    r.expect('[');
    const section = readSection(r);
    r.expect(']');
    return { kind: 'body', peek: word === 'BODY.PEEK', section, partial: readPartial(r) };
  }
  if (word === 'BINARY' || word === 'BINARY.PEEK' || word === 'BINARY.SIZE') {
    r.expect('[');
    const part = readPartNumbers(r);
    r.expect(']');
    if (word === 'BINARY.SIZE') return { kind: 'binary.size', part };
    return { kind: 'binary', peek: word === 'BINARY.PEEK', part, partial: readPartial(r) };
  }
  if (SIMPLE.has(word)) return { kind: 'simple', name: word as SimpleFetchName };
  throw new ImapSyntaxError(`Unknown FETCH item ${word}.`);
}

function readPartNumbers(r: ArgReader): number[] {
  const part: number[] = [];
  while (r.peek() >= 0x30 && r.peek() <= 0x39) {
    part.push(r.nzNumber());
    if (r.peek() !== 0x2e) break;
    r.expect('.');
  }
  return part;
}

/** section-spec inside the brackets (RFC 9051 §9). */
export function readSection(r: ArgReader): Section {
  const part: number[] = [];
  while (r.peek() >= 0x30 && r.peek() <= 0x39) {
    part.push(r.nzNumber());
    if (r.peek() === 0x2e) {
      r.expect('.');
      if (r.peek() >= 0x30 && r.peek() <= 0x39) continue;
      return { part, text: readSectionText(r, true) };
    }
    return { part, text: null };
  }
  if (r.peek() === 0x5d) return { part, text: null };
  return { part, text: readSectionText(r, false) };
}

function readSectionText(r: ArgReader, afterPart: boolean): SectionText {
  const word = r.word();
  switch (word) {
    case 'HEADER':
    case 'TEXT':
      return { kind: word };
    case 'MIME':
      if (!afterPart) throw new ImapSyntaxError('MIME needs a part number.');
      return { kind: 'MIME' };
    case 'HEADER.FIELDS':
    case 'HEADER.FIELDS.NOT': {
      r.sp();
      const fields = r.list(() => r.astring(), false).map((f) => {
        // header-fld-name = astring; a field name is printable ASCII without ":" (RFC 5322 §2.2).
        if (!/^[\x21-\x39\x3b-\x7e]+$/.test(f)) throw new ImapSyntaxError(`"${f}" is not a header field name.`);
        return f.toUpperCase();
      });
      return { kind: 'HEADER.FIELDS', fields, not: word === 'HEADER.FIELDS.NOT' };
    }
    default:
      throw new ImapSyntaxError(`Unknown section ${word}.`);
  }
}

/** "<" number "." nz-number ">" after a section (RFC 9051 §9 "partial"). */
function readPartial(r: ArgReader): Partial | null {
  if (!r.tryChar('<')) return null;
  const offset = r.number();
  r.expect('.');
  const length = r.nzNumber();
  r.expect('>');
  return { offset, length };
}

/** "1.2.HEADER.FIELDS (FROM TO)" — the section as the response names it. */
export function sectionLabel(section: Section): string {
  const parts = section.part.join('.');
  const t = section.text;
  if (!t) return parts;
  const text = t.kind === 'HEADER.FIELDS'
    ? `HEADER.FIELDS${t.not ? '.NOT' : ''} (${t.fields.map(quoteIfNeeded).join(' ')})`
    : t.kind;
  return parts ? `${parts}.${text}` : text;
}

function quoteIfNeeded(name: string): string {
  return /^[A-Za-z0-9!#$&'+.^_`|~-]+$/.test(name) ? name : `"${name.replace(/["\\]/g, '\\$&')}"`;
}

const labels = new WeakMap<object, string>();

/** The response item name for a body or binary fetch: "BODY[1.MIME]<0>" (origin only, RFC 9051 §7.5.2). */
export function fetchResponseLabel(att: Extract<FetchAtt, { kind: 'body' | 'binary' }>, origin: boolean): string {
  // Made once per parsed item and reused for every message of the FETCH.
  let label = origin ? labels.get(att) : undefined;
  if (label === undefined) {
    const base = att.kind === 'body' ? `BODY[${sectionLabel(att.section)}]` : `BINARY[${att.part.join('.')}]`;
    label = origin && att.partial ? `${base}<${att.partial.offset}>` : base;
    if (origin) labels.set(att, label);
  }
  return label;
}
