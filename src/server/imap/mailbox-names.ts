// Mailbox names as the client sees them (RFC 9051 §5.1, §6.3.9): "/" is the delimiter, INBOX is
// case-insensitive, the personal namespace is "" and mailboxes of accounts the user holds
// FullAccess on appear under "Other Users/<address>/" (DESIGN: NAMESPACE). Names are data,
// never paths: they are only ever looked up in the store.
import type { Account } from '../../store/types.js';
import type { MailAccess } from '../../auth/mail-access.js';
import { decodeMailboxName, encodeMailboxName } from '../../wire/imap/mutf7.js';
import { ImapError } from './errors.js';

export const DELIMITER = '/';
export const OTHER_USERS = 'Other Users';
const OTHER_PREFIX = OTHER_USERS + DELIMITER;
const MAX_NAME_LENGTH = 1000;

/** Wire form → Unicode. Modified UTF-7 unless UTF-8 is enabled (RFC 6855 §3). */
export function decodeWireName(wire: string, utf8: boolean): string {
  if (utf8) return wire;
  // A client that sends raw UTF-8 without enabling it is taken at its word (as Dovecot does).
  if (/[^\x00-\x7f]/.test(wire)) return wire;
  const decoded = decodeMailboxName(wire);
  if (decoded === null) throw new ImapError('NO', `Mailbox name is not valid modified UTF-7: ${wire}`, 'CANNOT');
  return decoded;
}

/** Unicode → wire form. */
export function encodeWireName(name: string, utf8: boolean): string {
  return utf8 ? name : encodeMailboxName(name);
}

/** "inbox/x" → "INBOX/x"; a trailing delimiter is dropped (RFC 9051 §6.3.4 CREATE "foo/"). */
export function canonicalName(name: string): string {
  let n = name.endsWith(DELIMITER) && name.length > 1 ? name.slice(0, -1) : name;
  const first = n.split(DELIMITER, 1)[0]!;
  if (first.toUpperCase() === 'INBOX') n = 'INBOX' + n.slice(first.length);
  return n;
}

/** Refuses names the store must never see: empty levels, wildcards, controls, over-long. */
export function checkNewName(name: string): void {
  if (name.length === 0) throw new ImapError('NO', 'Empty mailbox name.', 'CANNOT');
  if (name.length > MAX_NAME_LENGTH) throw new ImapError('NO', 'Mailbox name too long.', 'LIMIT');
  if (/[\x00-\x1f\x7f*%]/.test(name)) throw new ImapError('NO', 'Mailbox names may not contain control characters, "*" or "%".', 'CANNOT');
  if (name.split(DELIMITER).some((level) => level.length === 0)) {
    throw new ImapError('NO', 'Mailbox names may not have empty hierarchy levels.', 'CANNOT');
  }
  if (name.split(DELIMITER).length > 32) throw new ImapError('NO', 'Mailbox hierarchy too deep.', 'LIMIT');
}

export interface ResolvedName {
  account: Account;
  /** The name in that account's store. */
  storeName: string;
  /** The name as this client sees it. */
  name: string;
  /** Under "Other Users/". */
  shared: boolean;
}

/** Maps the client's names onto accounts: the owner's own, or a delegated one. */
export class Namespaces {
  private others: Account[] | null = null;
  private othersAt = 0;

  constructor(private readonly access: MailAccess) {}

  /** Accounts shown under "Other Users/" (re-read at most every few seconds: grants change). */
  async delegated(): Promise<Account[]> {
    if (!this.others || Date.now() - this.othersAt > 5000) {
      this.others = (await this.access.delegatedAccounts()).sort((a, b) => (a.address < b.address ? -1 : 1));
      this.othersAt = Date.now();
    }
    return this.others;
  }

  /**
   * The account and store name a client name refers to; null for names that are namespace
   * nodes ("Other Users", "Other Users/x@y") or name an account the user cannot open.
   */
  async resolve(clientName: string): Promise<ResolvedName | null> {
    const name = canonicalName(clientName);
    if (name === OTHER_USERS || name.startsWith(OTHER_PREFIX)) {
      const rest = name.slice(OTHER_PREFIX.length);
      const slash = rest.indexOf(DELIMITER);
      if (slash <= 0) return null;
      const address = rest.slice(0, slash).toLowerCase();
      const account = (await this.delegated()).find((a) => a.address === address);
      if (!account) return null;
      const storeName = canonicalName(rest.slice(slash + 1));
      return { account, storeName, name: `${OTHER_PREFIX}${account.address}${DELIMITER}${storeName}`, shared: true };
    }
    return { account: this.access.owner, storeName: name, name, shared: false };
  }

  /** The client name of a store mailbox of `account`. */
  clientName(account: Account, storeName: string): string {
    return account.id === this.access.owner.id ? storeName : `${OTHER_PREFIX}${account.address}${DELIMITER}${storeName}`;
  }
}

/**
 * A LIST pattern as a matcher (RFC 9051 §6.3.9): "*" matches anything, "%" anything but the
 * delimiter. INBOX at the start matches case-insensitively.
 */
export function patternMatcher(pattern: string): (name: string) => boolean {
  let p = pattern;
  const m = /^inbox(?=$|[/*%])/i.exec(p);
  if (m) p = 'INBOX' + p.slice(5);
  let re = '^';
  for (const ch of p) {
    if (ch === '*') re += '.*';
    else if (ch === '%') re += '[^/]*';
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  const rx = new RegExp(re + '$', 's');
  return (name) => rx.test(name);
}
