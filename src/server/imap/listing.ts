// The mailbox tree LIST and LSUB walk (RFC 9051 §6.3.9, RFC 5258 LIST-EXTENDED, RFC 6154
// SPECIAL-USE): the owner's mailboxes, the "Other Users/<address>/…" of delegated accounts, and
// the parents nobody created ("a" when only "a/b" exists), shown as \Noselect nodes.
import type { Account, Mailbox } from '../../store/types.js';
import { DELIMITER, OTHER_USERS, type Namespaces } from './mailbox-names.js';
import type { MailAccess } from '../../auth/mail-access.js';

export interface ListNode {
  /** The client's (Unicode) name. */
  name: string;
  /** null for a node that is not a mailbox (a namespace or a missing parent). */
  mailbox: Mailbox | null;
  account: Account | null;
  hasChildren: boolean;
  /** Some descendant is subscribed (RFC 5258 CHILDINFO). */
  subscribedChild: boolean;
}

export async function listNodes(access: MailAccess, names: Namespaces): Promise<ListNode[]> {
  const entries: Array<{ name: string; mailbox: Mailbox | null; account: Account | null }> = [];
  for (const m of await access.store.listMailboxes(access.owner.id)) {
    entries.push({ name: m.name, mailbox: m, account: access.owner });
  }
  const others = await names.delegated();
  if (others.length > 0) {
    entries.push({ name: OTHER_USERS, mailbox: null, account: null });
    for (const a of others) {
      entries.push({ name: names.clientName(a, '').slice(0, -1), mailbox: null, account: a });
      for (const m of await access.store.listMailboxes(a.id)) entries.push({ name: names.clientName(a, m.name), mailbox: m, account: a });
    }
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  // Missing parents become \Noselect nodes.
  for (const e of [...entries]) {
    const levels = e.name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      const parent = levels.slice(0, i).join(DELIMITER);
      if (!byName.has(parent)) {
        const node = { name: parent, mailbox: null, account: e.account };
        byName.set(parent, node);
        entries.push(node);
      }
    }
  }
  const sorted = [...byName.values()].sort((a, b) => order(a.name) - order(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const nodes: ListNode[] = sorted.map((e) => ({ ...e, hasChildren: false, subscribedChild: false }));
  const index = new Map(nodes.map((n) => [n.name, n]));
  for (const n of nodes) {
    const levels = n.name.split(DELIMITER);
    for (let i = 1; i < levels.length; i++) {
      const parent = index.get(levels.slice(0, i).join(DELIMITER));
      if (!parent) continue;
      if (i === levels.length - 1) parent.hasChildren = true;
      if (n.mailbox?.subscribed) parent.subscribedChild = true;
    }
  }
  return nodes;
}

/** INBOX first, then the personal namespace, then Other Users. */
function order(name: string): number {
  if (name === 'INBOX' || name.startsWith('INBOX/')) return 0;
  if (name === OTHER_USERS || name.startsWith(OTHER_USERS + DELIMITER)) return 2;
  return 1;
}

/** LIST attributes of a node (RFC 9051 §7.3.1, RFC 6154 §2). */
export function nodeAttributes(n: ListNode, opts: { subscribed: boolean }): string[] {
  const attrs: string[] = [];
  if (!n.mailbox) attrs.push('\\Noselect');
  attrs.push(n.hasChildren ? '\\HasChildren' : '\\HasNoChildren');
  if (opts.subscribed && n.mailbox?.subscribed) attrs.push('\\Subscribed');
  if (n.mailbox?.specialUse) attrs.push(n.mailbox.specialUse);
  return attrs;
}
