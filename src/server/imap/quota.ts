// QUOTA (RFC 9208): one quota root per account — "" for the user's own mailboxes,
// "Other Users/<address>" for a delegated account — with STORAGE (in KiB) and MESSAGE usage
// read from the store and limits from postern.yaml (imap.storageQuota, imap.messageQuota).
import type { AccountId } from '../../store/types.js';
import { quote } from '../../wire/imap/response.js';
import { ImapError } from './errors.js';
import { OTHER_USERS, DELIMITER } from './mailbox-names.js';
import type { ImapSession } from './session.js';

export interface Usage {
  bytes: number;
  messages: number;
}

export async function usage(s: ImapSession, accountId: AccountId): Promise<Usage> {
  const boxes = await s.requireAuthenticated().access.store.listMailboxes(accountId);
  return {
    bytes: boxes.reduce((n, b) => n + b.totalSize, 0),
    messages: boxes.reduce((n, b) => n + b.messageCount, 0),
  };
}

/** Refuses an addition that would cross a limit (RFC 9208 §4.3 [OVERQUOTA]). */
export async function checkQuota(s: ImapSession, accountId: AccountId, addBytes: number, addMessages: number): Promise<void> {
  const { storageQuota, messageQuota } = s.settings();
  if (!storageQuota && !messageQuota) return;
  const u = await usage(s, accountId);
  if (storageQuota && u.bytes + addBytes > storageQuota) throw new ImapError('NO', 'Quota exceeded (mailbox size).', 'OVERQUOTA');
  if (messageQuota && u.messages + addMessages > messageQuota) throw new ImapError('NO', 'Quota exceeded (number of messages).', 'OVERQUOTA');
}

export function quotaRootName(s: ImapSession, accountId: AccountId, address: string): string {
  return accountId === s.requireAuthenticated().access.owner.id ? '' : `${OTHER_USERS}${DELIMITER}${address}`;
}

/** "* QUOTA root (STORAGE used limit MESSAGE used limit)"; resources without a limit are left out. */
export async function quotaResponse(s: ImapSession, root: string, accountId: AccountId): Promise<string> {
  const { storageQuota, messageQuota } = s.settings();
  const u = await usage(s, accountId);
  const res: string[] = [];
  if (storageQuota) res.push(`STORAGE ${Math.ceil(u.bytes / 1024)} ${Math.floor(storageQuota / 1024)}`);
  if (messageQuota) res.push(`MESSAGE ${u.messages} ${messageQuota}`);
  return `* QUOTA ${quote(root)} (${res.join(' ')})\r\n`;
}
