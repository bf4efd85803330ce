// STATUS data items (RFC 9051 §6.3.11, RFC 7162 HIGHESTMODSEQ, RFC 8438 SIZE, RFC 7889
// APPENDLIMIT, RFC 8474 MAILBOXID) for a mailbox, shared by STATUS and LIST-STATUS (RFC 5819).
import type { Mailbox } from '../../store/types.js';
import type { StatusItem } from '../../wire/imap/command.js';
import { astring, toBytes } from '../../wire/imap/response.js';
import { encodeWireName } from './mailbox-names.js';
import { mailboxObjectId } from './object-id.js';
import type { ImapSession } from './session.js';

export async function statusLine(s: ImapSession, clientName: string, mailbox: Mailbox, items: readonly StatusItem[]): Promise<string> {
  const store = s.requireAuthenticated().access.store;
  const needsScan = items.includes('UNSEEN') || items.includes('DELETED');
  const messages = needsScan ? await store.listMessages(mailbox.id) : [];
  const st = s.state;
  const selectedHere = st.kind === 'selected' && st.mailbox.id === mailbox.id ? st.mailbox : null;
  const parts: string[] = [];
  for (const item of new Set(items)) {
    switch (item) {
      case 'MESSAGES': parts.push(`MESSAGES ${mailbox.messageCount}`); break;
      case 'UIDNEXT': parts.push(`UIDNEXT ${mailbox.uidNext}`); break;
      case 'UIDVALIDITY': parts.push(`UIDVALIDITY ${mailbox.uidValidity}`); break;
      case 'UNSEEN': parts.push(`UNSEEN ${messages.filter((m) => !m.flags.includes('\\Seen')).length}`); break;
      case 'DELETED': parts.push(`DELETED ${messages.filter((m) => m.flags.includes('\\Deleted')).length}`); break;
      case 'SIZE': parts.push(`SIZE ${mailbox.totalSize}`); break;
      case 'HIGHESTMODSEQ': parts.push(`HIGHESTMODSEQ ${mailbox.highestModseq}`); break;
      case 'APPENDLIMIT': parts.push(`APPENDLIMIT ${s.appendLimit()}`); break;
      case 'MAILBOXID': parts.push(`MAILBOXID (${mailboxObjectId(mailbox)})`); break;
      // \Recent belongs to the session that selected the mailbox first (RFC 3501 §2.3.2).
      case 'RECENT': parts.push(`RECENT ${selectedHere ? selectedHere.recent.size : 0}`); break;
    }
  }
  const name = toBytes(astring(encodeWireName(clientName, s.utf8), s.utf8)).toString('utf8');
  return `* STATUS ${name} (${parts.join(' ')})\r\n`;
}
