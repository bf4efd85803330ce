// RFC 9051 §6.3.2 SELECT / §6.3.3 EXAMINE, with CONDSTORE (RFC 7162 §3.1.2) and QRESYNC
// (§3.2.5) parameters. A SELECT that fails leaves no mailbox selected.
import type { ImapCommand } from '../../../wire/imap/command.js';
import { formatNumberSet, resolveRanges, type SequenceSet } from '../../../wire/imap/sequence-set.js';
import { ImapError, NoSuchMailbox } from '../errors.js';
import { decodeWireName } from '../mailbox-names.js';
import { mailboxObjectId } from '../object-id.js';
import { SelectedMailbox } from '../selected.js';
import { defineCommand, type ImapCommandSpec } from '../spec.js';
import type { ImapSession } from '../session.js';

type SelectCommand = Extract<ImapCommand, { name: 'SELECT' | 'EXAMINE' }>;

export async function selectMailbox(s: ImapSession, cmd: SelectCommand, tag: string): Promise<void> {
  const { names, access } = s.requireAuthenticated();
  if (s.state.kind === 'selected') {
    s.unselect();
    // RFC 7162 §3.2.11: the client learns where the old mailbox's responses end.
    s.untagged('OK', 'Previous mailbox closed.', 'CLOSED');
  }
  if (cmd.qresync && !s.qresync) throw new ImapError('BAD', 'QRESYNC must be enabled first (ENABLE QRESYNC).');
  const name = decodeWireName(cmd.mailbox, s.utf8);
  const resolved = await names.resolve(name);
  const store = access.store;
  const mailbox = resolved ? await store.getMailbox(resolved.account.id, resolved.storeName) : null;
  if (!mailbox || !resolved) throw new NoSuchMailbox(name);
  if (cmd.condstore) s.enabled.add('CONDSTORE');
  const readOnly = cmd.name === 'EXAMINE';
  const summary = await store.mailboxSummary(mailbox.id);
  // \Recent is claimed by the first session that selects read-write (RFC 3501 §2.3.2).
  const firstRecent = readOnly ? Infinity : await store.claimRecent(mailbox.id);
  const mb = new SelectedMailbox(mailbox, resolved.name, summary, readOnly, firstRecent);
  s.push(...mb.flagsResponses());
  s.push(`* ${mb.exists} EXISTS\r\n`);
  if (!s.rev2) {
    s.push(`* ${mb.recent.size} RECENT\r\n`);
    if (summary.firstUnseenUid !== null) s.untagged('OK', 'First unseen.', 'UNSEEN', String(mb.seqOf(summary.firstUnseenUid)));
  }
  s.untagged('OK', 'UIDs valid', 'UIDVALIDITY', String(mailbox.uidValidity));
  s.untagged('OK', 'Predicted next UID', 'UIDNEXT', String(mailbox.uidNext));
  s.untagged('OK', 'Highest', 'HIGHESTMODSEQ', String(mb.highestModseq));
  s.untagged('OK', 'Ok', 'MAILBOXID', `(${mailboxObjectId(mailbox)})`);
  s.enterSelected(mb);
  if (cmd.qresync && cmd.qresync.uidValidity === mailbox.uidValidity) {
    await resync(s, mb, cmd.qresync.modseq, cmd.qresync.knownUids);
  }
  s.ok(tag, `${cmd.name === 'SELECT' ? 'Select' : 'Examine'} completed.`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

/**
 * QRESYNC (RFC 7162 §3.2.5.2): what changed since the client's modseq — VANISHED (EARLIER) for
 * expunged UIDs it knew, FETCH with UID, FLAGS and MODSEQ for messages changed since.
 */
async function resync(s: ImapSession, mb: SelectedMailbox, since: number, known: SequenceSet | null): Promise<void> {
  const store = s.requireAuthenticated().access.store;
  // The whole change log is kept, so the answer is exact and the sequence match data the client
  // may send (to narrow the known UIDs) is not needed (RFC 7162 §3.2.5.2 lets a server ignore it).
  const changes = await store.changesSince(mb.id, since);
  const knownRanges = known && known.kind === 'set' ? resolveRanges(known, Number.MAX_SAFE_INTEGER) : null;
  const vanished = [...new Set(changes.filter((c) => c.kind === 'expunge').map((c) => c.uid))]
    .filter((uid) => mb.seqOf(uid) === 0)
    .filter((uid) => !knownRanges || knownRanges.some(([lo, hi]) => uid >= lo && uid <= hi))
    .sort((a, b) => a - b);
  if (vanished.length > 0) s.push(`* VANISHED (EARLIER) ${formatNumberSet(vanished)}\r\n`);
  const changedUids = [...new Set(changes.filter((c) => c.kind !== 'expunge').map((c) => c.uid))].filter((uid) => mb.seqOf(uid) > 0);
  const records = await store.getMessages(mb.id, changedUids);
  for (const r of records) {
    if (r.modseq <= since) continue;
    s.push(`* ${mb.seqOf(r.uid)} FETCH (UID ${r.uid} FLAGS ${s.flagList(r.flags, r.uid)} MODSEQ (${r.modseq}))\r\n`);
  }
}

export default defineCommand({
  name: 'SELECT',
  states: ['authenticated', 'selected'],
  capabilities: () => ['CONDSTORE', 'QRESYNC'],
  handle: selectMailbox,
}) as ImapCommandSpec<'SELECT'>;
