// SEARCH keys (RFC 9051 §6.4.4, RFC 3501 §6.4.4) with MODSEQ (RFC 7162 §3.1.5), EMAILID and
// THREADID (RFC 8474 §6), WITHIN's
// OLDER/YOUNGER (RFC 5032) and "$" (RFC 5182), parsed into a tree. Nesting is bounded so
// "((((…" or "NOT NOT NOT …" cannot exhaust the stack.
import { ArgReader, ImapSyntaxError } from './reader.js';
import { parseSequenceSet, type SequenceSet } from './sequence-set.js';
import { parseSearchDate, type DayDate } from './date.js';

export type TextField = 'BCC' | 'BODY' | 'CC' | 'FROM' | 'SUBJECT' | 'TEXT' | 'TO';

export type SearchKey =
  | { op: 'ALL' }
  | { op: 'AND'; keys: SearchKey[] }
  | { op: 'OR'; a: SearchKey; b: SearchKey }
  | { op: 'NOT'; key: SearchKey }
  /** A flag or keyword is set (`present`) or not. NEW = RECENT UNSEEN, OLD = NOT RECENT. */
  | { op: 'FLAG'; flag: string; present: boolean }
  | { op: 'TEXT'; field: TextField; value: string }
  | { op: 'HEADER'; name: string; value: string }
  | { op: 'DATE'; field: 'INTERNAL' | 'SENT'; cmp: 'BEFORE' | 'ON' | 'SINCE'; date: DayDate }
  | { op: 'SIZE'; cmp: 'LARGER' | 'SMALLER'; size: number }
  | { op: 'SEQ'; set: SequenceSet }
  | { op: 'UID'; set: SequenceSet }
  | { op: 'MODSEQ'; modseq: number }
  | { op: 'AGE'; cmp: 'OLDER' | 'YOUNGER'; seconds: number }
  /** RFC 8474 §6: messages with this EMAILID or THREADID. */
  | { op: 'OBJECTID'; kind: 'EMAILID' | 'THREADID'; id: string };

export type SearchReturn = 'MIN' | 'MAX' | 'ALL' | 'COUNT' | 'SAVE';

const MAX_DEPTH = 64;
const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true], UNANSWERED: ['\\Answered', false],
  DELETED: ['\\Deleted', true], UNDELETED: ['\\Deleted', false],
  DRAFT: ['\\Draft', true], UNDRAFT: ['\\Draft', false],
  FLAGGED: ['\\Flagged', true], UNFLAGGED: ['\\Flagged', false],
  SEEN: ['\\Seen', true], UNSEEN: ['\\Seen', false],
  RECENT: ['\\Recent', true],
};
const TEXT_KEYS = new Set(['BCC', 'BODY', 'CC', 'FROM', 'SUBJECT', 'TEXT', 'TO']);
const DATE_KEYS: Record<string, ['INTERNAL' | 'SENT', 'BEFORE' | 'ON' | 'SINCE']> = {
  BEFORE: ['INTERNAL', 'BEFORE'], ON: ['INTERNAL', 'ON'], SINCE: ['INTERNAL', 'SINCE'],
  SENTBEFORE: ['SENT', 'BEFORE'], SENTON: ['SENT', 'ON'], SENTSINCE: ['SENT', 'SINCE'],
};

/** One or more keys up to the end of the command, ANDed. */
export function readSearchKeys(r: ArgReader): SearchKey {
  const keys: SearchKey[] = [readSearchKey(r, 0)];
  while (!r.atEnd()) {
    r.sp();
    keys.push(readSearchKey(r, 0));
  }
  return keys.length === 1 ? keys[0]! : { op: 'AND', keys };
}

export function readSearchKey(r: ArgReader, depth: number): SearchKey {
  if (depth > MAX_DEPTH) throw new ImapSyntaxError('Search keys nested too deeply.');
  if (r.peek() === 0x28) {
    const keys = r.list(() => readSearchKey(r, depth + 1), false);
    return keys.length === 1 ? keys[0]! : { op: 'AND', keys };
  }
  const c = r.peek();
  if ((c >= 0x30 && c <= 0x39) || c === 0x2a || c === 0x24) {
    const text = r.token();
    const set = parseSequenceSet(text);
    if (!set) throw new ImapSyntaxError(`Invalid sequence set ${text}.`);
    return { op: 'SEQ', set };
  }
  const word = r.keyword();
  const flag = FLAG_KEYS[word];
  if (flag) return { op: 'FLAG', flag: flag[0], present: flag[1] };
  if (TEXT_KEYS.has(word)) {
    r.sp();
    return { op: 'TEXT', field: word as TextField, value: r.astring() };
  }
  const date = DATE_KEYS[word];
  if (date) {
    r.sp();
    return { op: 'DATE', field: date[0], cmp: date[1], date: readDate(r) };
  }
  switch (word) {
    case 'ALL': return { op: 'ALL' };
    case 'NEW': return { op: 'AND', keys: [{ op: 'FLAG', flag: '\\Recent', present: true }, { op: 'FLAG', flag: '\\Seen', present: false }] };
    case 'OLD': return { op: 'FLAG', flag: '\\Recent', present: false };
    case 'KEYWORD':
    case 'UNKEYWORD': {
      r.sp();
      return { op: 'FLAG', flag: r.atom(), present: word === 'KEYWORD' };
    }
    case 'HEADER': {
      r.sp();
      const name = r.astring();
      r.sp();
      return { op: 'HEADER', name, value: r.astring() };
    }
    case 'LARGER':
    case 'SMALLER':
      r.sp();
      return { op: 'SIZE', cmp: word, size: r.number() };
    case 'NOT':
      r.sp();
      return { op: 'NOT', key: readSearchKey(r, depth + 1) };
    case 'OR': {
      r.sp();
      const a = readSearchKey(r, depth + 1);
      r.sp();
      return { op: 'OR', a, b: readSearchKey(r, depth + 1) };
    }
    case 'UID': {
      r.sp();
      const text = r.token();
      const set = parseSequenceSet(text);
      if (!set) throw new ImapSyntaxError(`Invalid UID set ${text}.`);
      return { op: 'UID', set };
    }
    case 'MODSEQ': {
      r.sp();
      // Optional entry name and type (RFC 7162 §3.1.5): "/flags/\\seen" all
      if (r.isStringStart()) {
        r.string();
        r.sp();
        const type = r.keyword();
        if (type !== 'PRIV' && type !== 'SHARED' && type !== 'ALL') throw new ImapSyntaxError('Expected priv, shared or all.');
        r.sp();
      }
      return { op: 'MODSEQ', modseq: r.modseq(true) };
    }
    case 'OLDER':
    case 'YOUNGER':
      r.sp();
      return { op: 'AGE', cmp: word, seconds: r.nzNumber() };
    case 'EMAILID':
    case 'THREADID': {
      r.sp();
      const id = r.atom();
      // objectid = 1*255(ALPHA / DIGIT / "_" / "-") (RFC 8474 §7)
      if (!/^[A-Za-z0-9_-]{1,255}$/.test(id)) throw new ImapSyntaxError(`Invalid object id ${id}.`);
      return { op: 'OBJECTID', kind: word, id };
    }
    default:
      throw new ImapSyntaxError(`Unknown search key ${word}.`);
  }
}

function readDate(r: ArgReader): DayDate {
  // date = date-text / DQUOTE date-text DQUOTE
  const quoted = r.tryChar('"');
  let text = r.token();
  if (quoted) {
    if (!text.endsWith('"')) throw new ImapSyntaxError('Unterminated quoted date.');
    text = text.slice(0, -1);
  }
  const d = parseSearchDate(text);
  if (!d) throw new ImapSyntaxError(`Invalid date ${text}.`);
  return d;
}

/** "RETURN (MIN MAX …)" options (RFC 4731 §3.1, RFC 5182 SAVE); "RETURN ()" means ALL. */
export function readSearchReturn(r: ArgReader): SearchReturn[] {
  const opts = r.list(() => {
    const o = r.keyword();
    if (o !== 'MIN' && o !== 'MAX' && o !== 'ALL' && o !== 'COUNT' && o !== 'SAVE') throw new ImapSyntaxError(`Unknown search return option ${o}.`);
    return o as SearchReturn;
  });
  return opts.length === 0 ? ['ALL'] : [...new Set(opts)];
}
