// RFC 8474 OBJECTID: stable identifiers a client can keep across sessions and renames.
// MAILBOXID: the store's mailbox id (never reused: AUTOINCREMENT / a sequence) with its
// UIDVALIDITY, so even a rebuilt database cannot hand an old id to another mailbox; a rename
// keeps both. EMAILID: the content address of the message bytes, so copies and moves keep it
// (§5.1 SHOULD) and no two different messages share it. THREADID: NIL — threads are computed
// per SELECT (THREAD command), not kept, which §5.2 allows.
import type { Mailbox } from '../../store/types.js';

export function mailboxObjectId(mailbox: Pick<Mailbox, 'id' | 'uidValidity'>): string {
  return `M${mailbox.id}-${mailbox.uidValidity}`;
}

export function emailObjectId(blobId: string): string {
  return `E${blobId}`;
}

/** The blob an EMAILID names, or null when it is not one of ours. */
export function blobOfEmailId(id: string): string | null {
  return /^E[0-9a-f]{64}$/.test(id) ? id.slice(1) : null;
}
