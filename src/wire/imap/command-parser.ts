// The second stage of reading a command: the arguments of an assembled RawCommand, by the
// grammar of RFC 9051 §9 (with RFC 3501's IMAP4rev1 forms) and the extensions postern speaks.
// Pure: a RawCommand in, a typed ImapCommand or the reason for a BAD out.
import type { RawCommand } from './command-decoder.js';
import type { AppendMessage, ImapCommand, ListReturn, QresyncParams, SortCriterion, SortKey, StatusItem } from './command.js';
import { readFetchItems } from './fetch.js';
import { ArgReader, ImapSyntaxError } from './reader.js';
import { readSearchKeys, readSearchReturn } from './search.js';
import { parseSequenceSet, type SequenceSet } from './sequence-set.js';
import { parseDateTime } from './date.js';

export type ParseResult =
  | { ok: true; command: ImapCommand }
  | { ok: false; unknown: boolean; message: string };

type Parser = (r: ArgReader, uid: boolean) => ImapCommand;

const STATUS_ITEMS = new Set<StatusItem>(['MESSAGES', 'RECENT', 'UIDNEXT', 'UIDVALIDITY', 'UNSEEN', 'DELETED', 'SIZE', 'HIGHESTMODSEQ', 'APPENDLIMIT', 'MAILBOXID']);
const SORT_KEYS = new Set<SortKey>(['ARRIVAL', 'CC', 'DATE', 'FROM', 'SIZE', 'SUBJECT', 'TO', 'DISPLAYFROM', 'DISPLAYTO']);

function noArgs(name: 'CAPABILITY' | 'NOOP' | 'LOGOUT' | 'STARTTLS' | 'NAMESPACE' | 'IDLE' | 'CHECK' | 'CLOSE' | 'UNSELECT'): Parser {
  return (r) => {
    r.end();
    return { name };
  };
}

function sequenceSet(r: ArgReader): SequenceSet {
  const text = r.token();
  const set = parseSequenceSet(text);
  if (!set) throw new ImapSyntaxError(`Invalid sequence set "${text.length > 40 ? text.slice(0, 40) + '…' : text}".`);
  return set;
}

function statusItem(r: ArgReader): StatusItem {
  const item = r.keyword() as StatusItem;
  if (!STATUS_ITEMS.has(item)) throw new ImapSyntaxError(`Unknown STATUS item ${item}.`);
  return item;
}

function flagList(r: ArgReader): string[] {
  return r.list(() => r.flag());
}

const PARSERS: Record<string, Parser> = {
  CAPABILITY: noArgs('CAPABILITY'),
  NOOP: noArgs('NOOP'),
  LOGOUT: noArgs('LOGOUT'),
  STARTTLS: noArgs('STARTTLS'),
  NAMESPACE: noArgs('NAMESPACE'),
  IDLE: noArgs('IDLE'),
  CHECK: noArgs('CHECK'),
  CLOSE: noArgs('CLOSE'),
  UNSELECT: noArgs('UNSELECT'),

  AUTHENTICATE(r) {
    r.sp();
    const mechanism = r.atom().toUpperCase();
    let initialResponse: string | null = null;
    if (r.trySp()) {
      // SASL-IR (RFC 4959): base64 or "=" for an empty response.
      initialResponse = r.token();
    }
    r.end();
    return { name: 'AUTHENTICATE', mechanism, initialResponse };
  },

  LOGIN(r) {
    r.sp();
    const username = r.astring();
    r.sp();
    const password = r.astring();
    r.end();
    return { name: 'LOGIN', username, password };
  },

  ID(r) {
    r.sp();
    if (r.peek() !== 0x28) {
      if (r.keyword() !== 'NIL') throw new ImapSyntaxError('ID takes a parameter list or NIL.');
      r.end();
      return { name: 'ID', params: null };
    }
    const params: Array<[string, string | null]> = [];
    r.expect('(');
    if (!r.tryChar(')')) {
      for (;;) {
        const key = r.string();
        r.sp();
        params.push([key, r.nstring()]);
        if (params.length > 30) throw new ImapSyntaxError('Too many ID parameters.'); // RFC 2971 §3.3
        if (r.tryChar(')')) break;
        r.sp();
      }
    }
    r.end();
    return { name: 'ID', params };
  },

  ENABLE(r) {
    const capabilities: string[] = [];
    while (r.trySp()) capabilities.push(r.atom().toUpperCase());
    if (capabilities.length === 0) throw new ImapSyntaxError('ENABLE needs at least one capability.');
    r.end();
    return { name: 'ENABLE', capabilities };
  },

  SELECT: (r) => selectLike(r, 'SELECT'),
  EXAMINE: (r) => selectLike(r, 'EXAMINE'),

  CREATE(r) {
    r.sp();
    const mailbox = r.astring();
    const use: string[] = [];
    if (r.trySp()) {
      // RFC 6154 §3: CREATE name (USE (\Drafts))
      r.expect('(');
      if (r.keyword() !== 'USE') throw new ImapSyntaxError('Expected USE.');
      r.sp();
      use.push(...r.list(() => r.flag(), false));
      r.expect(')');
    }
    r.end();
    return { name: 'CREATE', mailbox, use };
  },

  DELETE(r) {
    r.sp();
    const mailbox = r.astring();
    r.end();
    return { name: 'DELETE', mailbox };
  },

  RENAME(r) {
    r.sp();
    const from = r.astring();
    r.sp();
    const to = r.astring();
    r.end();
    return { name: 'RENAME', from, to };
  },

  SUBSCRIBE: (r) => oneMailbox(r, 'SUBSCRIBE'),
  UNSUBSCRIBE: (r) => oneMailbox(r, 'UNSUBSCRIBE'),

  LIST(r) {
    r.sp();
    let extended = false;
    const selection: string[] = [];
    if (r.peek() === 0x28) {
      extended = true;
      selection.push(...r.list(() => {
        const o = r.keyword();
        if (!['SUBSCRIBED', 'REMOTE', 'RECURSIVEMATCH', 'SPECIAL-USE'].includes(o)) throw new ImapSyntaxError(`Unknown LIST selection option ${o}.`);
        return o;
      }));
      r.sp();
      if (selection.includes('RECURSIVEMATCH') && !selection.some((o) => o === 'SUBSCRIBED')) {
        throw new ImapSyntaxError('RECURSIVEMATCH needs another selection option.'); // RFC 5258 §3.1
      }
    }
    const reference = r.astring();
    r.sp();
    let patterns: string[];
    if (r.peek() === 0x28) {
      extended = true;
      patterns = r.list(() => r.listMailbox(), false);
    } else patterns = [r.listMailbox()];
    const returns: ListReturn = { subscribed: false, children: false, specialUse: false, status: null };
    if (r.trySp()) {
      extended = true;
      if (r.keyword() !== 'RETURN') throw new ImapSyntaxError('Expected RETURN.');
      r.sp();
      r.list(() => {
        const o = r.keyword();
        if (o === 'SUBSCRIBED') returns.subscribed = true;
        else if (o === 'CHILDREN') returns.children = true;
        else if (o === 'SPECIAL-USE') returns.specialUse = true;
        else if (o === 'STATUS') {
          r.sp();
          returns.status = r.list(() => statusItem(r), false);
        } else throw new ImapSyntaxError(`Unknown LIST return option ${o}.`);
        return o;
      });
    }
    r.end();
    return { name: 'LIST', selection, reference, patterns, returns, extended };
  },

  LSUB(r) {
    r.sp();
    const reference = r.astring();
    r.sp();
    const pattern = r.listMailbox();
    r.end();
    return { name: 'LSUB', reference, pattern };
  },

  STATUS(r) {
    r.sp();
    const mailbox = r.astring();
    r.sp();
    const items = r.list(() => statusItem(r), false);
    r.end();
    return { name: 'STATUS', mailbox, items };
  },

  APPEND(r) {
    r.sp();
    const mailbox = r.astring();
    // RFC 3502: append = "APPEND" SP mailbox 1*append-message
    const messages: AppendMessage[] = [];
    do {
      r.sp();
      messages.push(appendMessage(r));
    } while (!r.atEnd());
    return { name: 'APPEND', mailbox, messages };
  },

  EXPUNGE(r) {
    r.end();
    return { name: 'EXPUNGE', uid: false, set: null };
  },
  'UID EXPUNGE'(r) {
    r.sp();
    const set = sequenceSet(r);
    r.end();
    return { name: 'EXPUNGE', uid: true, set };
  },

  SEARCH: (r, uid) => {
    r.sp();
    let returns = null;
    let charset: string | null = null;
    // RFC 4731: RETURN first; then CHARSET (RFC 9051 §6.4.4).
    if (/^RETURN /i.test(r.rest())) {
      r.keyword();
      r.sp();
      returns = readSearchReturn(r);
      r.sp();
    }
    if (/^CHARSET /i.test(r.rest())) {
      r.keyword();
      r.sp();
      charset = r.astring();
      r.sp();
    }
    const criteria = readSearchKeys(r);
    return { name: 'SEARCH', uid, charset, returns, criteria };
  },

  FETCH: (r, uid) => {
    r.sp();
    const set = sequenceSet(r);
    r.sp();
    const items = readFetchItems(r);
    let changedSince: number | null = null;
    let vanished = false;
    if (r.trySp()) {
      r.list(() => {
        const m = r.keyword();
        if (m === 'CHANGEDSINCE') {
          r.sp();
          changedSince = r.modseq(true);
        } else if (m === 'VANISHED') vanished = true;
        else throw new ImapSyntaxError(`Unknown FETCH modifier ${m}.`);
        return m;
      }, false);
    }
    r.end();
    // RFC 7162 §3.2.6: VANISHED only with CHANGEDSINCE, only in UID FETCH.
    if (vanished && (changedSince === null || !uid)) throw new ImapSyntaxError('VANISHED needs UID FETCH with CHANGEDSINCE.');
    return { name: 'FETCH', uid, set, items, changedSince, vanished };
  },

  STORE: (r, uid) => {
    r.sp();
    const set = sequenceSet(r);
    r.sp();
    let unchangedSince: number | null = null;
    if (r.peek() === 0x28) {
      r.list(() => {
        const m = r.keyword();
        if (m !== 'UNCHANGEDSINCE') throw new ImapSyntaxError(`Unknown STORE modifier ${m}.`);
        r.sp();
        unchangedSince = r.modseq(true);
        return m;
      }, false);
      r.sp();
    }
    const item = r.token().toUpperCase();
    const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(item);
    if (!m) throw new ImapSyntaxError(`Expected FLAGS, +FLAGS or -FLAGS, not ${item}.`);
    r.sp();
    const flags = r.peek() === 0x28 ? flagList(r) : readFlagsToEnd(r);
    r.end();
    const op = m[1] === '+' ? 'add' : m[1] === '-' ? 'remove' : 'set';
    return { name: 'STORE', uid, set, unchangedSince, op, silent: m[2] !== undefined, flags };
  },

  COPY: (r, uid) => copyLike(r, 'COPY', uid),
  MOVE: (r, uid) => copyLike(r, 'MOVE', uid),

  SORT: (r, uid) => {
    r.sp();
    const criteria: SortCriterion[] = [];
    let reverse = false;
    r.list(() => {
      const k = r.keyword();
      if (k === 'REVERSE') {
        if (reverse) throw new ImapSyntaxError('REVERSE twice.');
        reverse = true;
        return k;
      }
      if (!SORT_KEYS.has(k as SortKey)) throw new ImapSyntaxError(`Unknown sort key ${k}.`);
      criteria.push({ key: k as SortKey, reverse });
      reverse = false;
      return k;
    }, false);
    if (reverse || criteria.length === 0) throw new ImapSyntaxError('REVERSE must precede a sort key.');
    r.sp();
    const charset = r.astring();
    r.sp();
    return { name: 'SORT', uid, criteria, charset, search: readSearchKeys(r) };
  },

  THREAD: (r, uid) => {
    r.sp();
    const algorithm = r.keyword();
    if (algorithm !== 'ORDEREDSUBJECT' && algorithm !== 'REFERENCES') throw new ImapSyntaxError(`Unknown thread algorithm ${algorithm}.`);
    r.sp();
    const charset = r.astring();
    r.sp();
    return { name: 'THREAD', uid, algorithm, charset, search: readSearchKeys(r) };
  },

  GETQUOTA(r) {
    r.sp();
    const root = r.astring();
    r.end();
    return { name: 'GETQUOTA', root };
  },
  GETQUOTAROOT(r) {
    r.sp();
    const mailbox = r.astring();
    r.end();
    return { name: 'GETQUOTAROOT', mailbox };
  },
  SETQUOTA(r) {
    r.sp();
    const root = r.astring();
    r.sp();
    const limits: Array<[string, number]> = [];
    r.expect('(');
    if (!r.tryChar(')')) {
      for (;;) {
        const res = r.atom().toUpperCase();
        r.sp();
        limits.push([res, r.number()]);
        if (r.tryChar(')')) break;
        r.sp();
      }
    }
    r.end();
    return { name: 'SETQUOTA', root, limits };
  },

  COMPRESS(r) {
    r.sp();
    const mechanism = r.atom().toUpperCase();
    r.end();
    return { name: 'COMPRESS', mechanism };
  },
};

/** append-message = [flag-list SP] [date-time SP] (literal / "UTF8" SP "(" literal8 ")") */
function appendMessage(r: ArgReader): AppendMessage {
  let flags: string[] = [];
  let date: Date | null = null;
  if (r.peek() === 0x28) {
    flags = flagList(r);
    r.sp();
  }
  if (r.peek() === 0x22) {
    // date-time is a quoted string; a literal message never starts with a quote.
    const text = r.string();
    date = parseDateTime(text);
    if (!date) throw new ImapSyntaxError(`Invalid date-time "${text}".`);
    r.sp();
  }
  let utf8 = false;
  const c = r.peek();
  if (c !== 0x7b && c !== 0x7e) {
    // RFC 6855 §4: "UTF8" SP "(" literal8 ")"
    if (r.keyword() !== 'UTF8') throw new ImapSyntaxError('Expected the message as a literal.');
    r.sp();
    r.expect('(');
    utf8 = true;
  }
  const { data, binary } = r.literal();
  if (utf8) r.expect(')');
  return { flags, date, message: data, binary };
}

function selectLike(r: ArgReader, name: 'SELECT' | 'EXAMINE'): ImapCommand {
  r.sp();
  const mailbox = r.astring();
  let condstore = false;
  let qresync: QresyncParams | null = null;
  if (r.trySp()) {
    r.list(() => {
      const p = r.keyword();
      if (p === 'CONDSTORE') condstore = true;
      else if (p === 'QRESYNC') {
        r.sp();
        r.expect('(');
        const uidValidity = r.nzNumber();
        r.sp();
        const modseq = r.modseq();
        let knownUids: SequenceSet | null = null;
        let seqMatch: QresyncParams['seqMatch'] = null;
        if (r.trySp()) {
          if (r.peek() !== 0x28) {
            knownUids = sequenceSet(r);
            if (knownUids.kind === 'saved') throw new ImapSyntaxError('"$" is not a known-uids set.');
            r.trySp();
          }
          if (r.peek() === 0x28) {
            r.expect('(');
            const seqs = sequenceSet(r);
            r.sp();
            const uids = sequenceSet(r);
            r.expect(')');
            seqMatch = { seqs, uids };
          }
        }
        r.expect(')');
        qresync = { uidValidity, modseq, knownUids, seqMatch };
      } else throw new ImapSyntaxError(`Unknown ${name} parameter ${p}.`);
      return p;
    }, false);
  }
  r.end();
  return { name, mailbox, condstore, qresync };
}

function oneMailbox(r: ArgReader, name: 'SUBSCRIBE' | 'UNSUBSCRIBE'): ImapCommand {
  r.sp();
  const mailbox = r.astring();
  r.end();
  return { name, mailbox };
}

function copyLike(r: ArgReader, name: 'COPY' | 'MOVE', uid: boolean): ImapCommand {
  r.sp();
  const set = sequenceSet(r);
  r.sp();
  const mailbox = r.astring();
  r.end();
  return { name, uid, set, mailbox };
}

/** store-att-flags without parentheses: flag *(SP flag). */
function readFlagsToEnd(r: ArgReader): string[] {
  const flags = [r.flag()];
  while (r.trySp()) flags.push(r.flag());
  return flags;
}

/** Command names the parser knows, with the UID forms ("UID FETCH"). */
export function knownCommand(name: string): boolean {
  return name in PARSERS || (name.startsWith('UID ') && UID_COMMANDS.has(name.slice(4)));
}

const UID_COMMANDS = new Set(['FETCH', 'STORE', 'SEARCH', 'COPY', 'MOVE', 'SORT', 'THREAD', 'EXPUNGE']);

export function parseCommand(raw: RawCommand): ParseResult {
  let name = raw.name;
  let uid = false;
  if (name.startsWith('UID ')) {
    const sub = name.slice(4);
    if (!UID_COMMANDS.has(sub)) return { ok: false, unknown: true, message: `Unknown command ${name}.` };
    uid = true;
    if (sub !== 'EXPUNGE') name = sub;
  } else if (name === 'UID') {
    return { ok: false, unknown: false, message: 'UID needs a command.' };
  }
  const parser = PARSERS[name];
  if (!parser) return { ok: false, unknown: true, message: `Unknown command ${raw.name}.` };
  try {
    return { ok: true, command: parser(new ArgReader(raw), uid) };
  } catch (err) {
    if (err instanceof ImapSyntaxError) return { ok: false, unknown: false, message: err.message };
    throw err;
  }
}
