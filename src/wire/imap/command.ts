// A parsed IMAP command is a discriminated union (DESIGN §3): the session's handlers get typed
// arguments, never strings to split. Mailbox names are kept as sent (modified UTF-7 or, after
// UTF8=ACCEPT, UTF-8); the session decodes them because the encoding depends on its state.
import type { FetchAtt } from './fetch.js';
import type { SearchKey, SearchReturn } from './search.js';
import type { SequenceSet } from './sequence-set.js';

export type StatusItem =
  | 'MESSAGES' | 'RECENT' | 'UIDNEXT' | 'UIDVALIDITY' | 'UNSEEN' | 'DELETED' | 'SIZE'
  | 'HIGHESTMODSEQ' | 'APPENDLIMIT' | 'MAILBOXID';

export interface AppendMessage {
  flags: string[];
  date: Date | null;
  message: Buffer;
  /** Sent as literal8 (RFC 3516): may hold NUL. */
  binary: boolean;
}

export type SortKey = 'ARRIVAL' | 'CC' | 'DATE' | 'FROM' | 'SIZE' | 'SUBJECT' | 'TO' | 'DISPLAYFROM' | 'DISPLAYTO';
export interface SortCriterion {
  key: SortKey;
  reverse: boolean;
}

export interface QresyncParams {
  uidValidity: number;
  modseq: number;
  knownUids: SequenceSet | null;
  /** Sequence numbers and the UIDs the client had at them (RFC 7162 §3.2.5.2). */
  seqMatch: { seqs: SequenceSet; uids: SequenceSet } | null;
}

export interface ListReturn {
  subscribed: boolean;
  children: boolean;
  specialUse: boolean;
  status: StatusItem[] | null;
}

export type ImapCommand =
  | { name: 'CAPABILITY' }
  | { name: 'NOOP' }
  | { name: 'LOGOUT' }
  | { name: 'STARTTLS' }
  | { name: 'AUTHENTICATE'; mechanism: string; initialResponse: string | null }
  | { name: 'LOGIN'; username: string; password: string }
  | { name: 'ID'; params: Array<[string, string | null]> | null }
  | { name: 'ENABLE'; capabilities: string[] }
  | { name: 'SELECT'; mailbox: string; condstore: boolean; qresync: QresyncParams | null }
  | { name: 'EXAMINE'; mailbox: string; condstore: boolean; qresync: QresyncParams | null }
  | { name: 'CREATE'; mailbox: string; use: string[] }
  | { name: 'DELETE'; mailbox: string }
  | { name: 'RENAME'; from: string; to: string }
  | { name: 'SUBSCRIBE'; mailbox: string }
  | { name: 'UNSUBSCRIBE'; mailbox: string }
  | {
      name: 'LIST';
      /** Selection options (RFC 5258 §3.1), upper-case. */
      selection: string[];
      reference: string;
      patterns: string[];
      returns: ListReturn;
      /** The command used an RFC 5258 form (options or several patterns). */
      extended: boolean;
    }
  | { name: 'LSUB'; reference: string; pattern: string }
  | { name: 'NAMESPACE' }
  | { name: 'STATUS'; mailbox: string; items: StatusItem[] }
  /** One message, or several (RFC 3502 MULTIAPPEND: stored all or none). */
  | { name: 'APPEND'; mailbox: string; messages: AppendMessage[] }
  | { name: 'IDLE' }
  | { name: 'CHECK' }
  | { name: 'CLOSE' }
  | { name: 'UNSELECT' }
  | { name: 'EXPUNGE'; uid: boolean; set: SequenceSet | null }
  | { name: 'SEARCH'; uid: boolean; charset: string | null; returns: SearchReturn[] | null; criteria: SearchKey }
  | { name: 'FETCH'; uid: boolean; set: SequenceSet; items: FetchAtt[]; changedSince: number | null; vanished: boolean }
  | {
      name: 'STORE';
      uid: boolean;
      set: SequenceSet;
      unchangedSince: number | null;
      op: 'set' | 'add' | 'remove';
      silent: boolean;
      flags: string[];
    }
  | { name: 'COPY'; uid: boolean; set: SequenceSet; mailbox: string }
  | { name: 'MOVE'; uid: boolean; set: SequenceSet; mailbox: string }
  | { name: 'SORT'; uid: boolean; criteria: SortCriterion[]; charset: string; search: SearchKey }
  | { name: 'THREAD'; uid: boolean; algorithm: 'ORDEREDSUBJECT' | 'REFERENCES'; charset: string; search: SearchKey }
  | { name: 'GETQUOTA'; root: string }
  | { name: 'GETQUOTAROOT'; mailbox: string }
  | { name: 'SETQUOTA'; root: string; limits: Array<[string, number]> }
  | { name: 'COMPRESS'; mechanism: string };

export type ImapCommandName = ImapCommand['name'];
