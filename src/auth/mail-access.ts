// The login wall (DESIGN §1): a MailAccess is the only handle on mail, and only a successful
// authentication makes one — its constructor takes a token this module keeps to itself.
import type { Account, Mailbox, MailStore } from '../store/types.js';

const issuedByAuth = Symbol('issued-by-auth');

export class MailAccess {
  /** @internal use issueMailAccess() — only auth/ may */
  constructor(
    token: symbol,
    /** The account that logged in. */
    readonly identity: Account,
    /** The account whose mail this session opens (the identity itself, or a delegated mailbox). */
    readonly owner: Account,
    readonly store: MailStore,
  ) {
    if (token !== issuedByAuth) throw new Error('MailAccess is issued by auth only');
  }

  get delegated(): boolean {
    return this.identity.id !== this.owner.id;
  }

  /** The owner's INBOX, made if it is missing (an account created before its first mail). */
  async inbox(): Promise<Mailbox> {
    const found = await this.store.getMailbox(this.owner.id, 'INBOX');
    if (found) return found;
    try {
      return await this.store.createMailbox(this.owner.id, 'INBOX', null);
    } catch {
      const again = await this.store.getMailbox(this.owner.id, 'INBOX');
      if (again) return again;
      throw new Error('INBOX could not be opened');
    }
  }

  /** Accounts other than the owner that the identity holds FullAccess on (IMAP "Other Users/"). */
  async delegatedAccounts(): Promise<Account[]> {
    const grants = await this.store.listGrantsTo(this.identity.id);
    const accounts = await Promise.all(grants.map((g) => this.store.getAccount(g.accountId)));
    return accounts.filter((a): a is Account => a !== null && a.id !== this.owner.id);
  }
}

export function issueMailAccess(identity: Account, owner: Account, store: MailStore): MailAccess {
  return new MailAccess(issuedByAuth, identity, owner, store);
}
