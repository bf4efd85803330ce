// From a client's mailbox argument to a store mailbox, with the response code RFC 9051 wants
// when it is not there: NONEXISTENT for SELECT/STATUS/DELETE…, TRYCREATE for APPEND/COPY/MOVE
// (§6.3.12, §6.4.7), so clients know to CREATE and retry.
import type { Mailbox } from '../../store/types.js';
import type { ResponseCode } from '../../wire/imap/response.js';
import { NoSuchMailbox } from './errors.js';
import { decodeWireName, type ResolvedName } from './mailbox-names.js';
import type { ImapSession } from './session.js';

export interface FoundMailbox {
  name: string;
  resolved: ResolvedName;
  mailbox: Mailbox;
}

export async function findMailbox(s: ImapSession, wireName: string, missing: ResponseCode = 'NONEXISTENT'): Promise<FoundMailbox> {
  const { names, access } = s.requireAuthenticated();
  const name = decodeWireName(wireName, s.utf8);
  const resolved = await names.resolve(name);
  const mailbox = resolved ? await access.store.getMailbox(resolved.account.id, resolved.storeName) : null;
  if (!resolved || !mailbox) throw new NoSuchMailbox(name, missing);
  return { name: resolved.name, resolved, mailbox };
}

/** After this session wrote into the mailbox it has selected: let the feed's news in first. */
export async function settleSelected(s: ImapSession, mailboxId: number, modseq: number): Promise<void> {
  const st = s.state;
  if (st.kind === 'selected' && st.mailbox.id === mailboxId) await st.mailbox.waitForFeed(modseq, 500);
}
