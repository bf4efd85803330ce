// RFC 9051 §6.4.6 STORE (and UID STORE) with CONDSTORE's UNCHANGEDSINCE (RFC 7162 §3.1.3):
// messages modified since are left alone and named in [MODIFIED]. Unless .SILENT, the new
// flags of every message in the set are sent; with CONDSTORE enabled, each change carries its
// MODSEQ, .SILENT or not.
import { normalizeFlags } from '../../../store/validate.js';
import { formatNumberSet } from '../../../wire/imap/sequence-set.js';
import { ImapError } from '../errors.js';
import { resolveSet } from '../message-set.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'STORE',
  states: ['selected'],
  holdsExpunges: (cmd) => !cmd.uid,
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    const store = s.requireAuthenticated().access.store;
    if (mb.readOnly) throw new ImapError('NO', 'Mailbox is read-only.', 'CANNOT');
    if (cmd.unchangedSince !== null) s.enabled.add('CONDSTORE');
    let flags: string[];
    try {
      // \Recent cannot be stored (RFC 3501 §2.3.2); it is dropped, not an error (as Dovecot).
      flags = normalizeFlags(cmd.flags.filter((f) => f.toLowerCase() !== '\\recent'));
    } catch (err) {
      throw new ImapError('BAD', (err as Error).message);
    }
    const uids = resolveSet(mb, cmd.set, cmd.uid, s.savedSearch);
    const result = uids.length > 0
      ? await store.updateFlags(mb.id, uids, cmd.op, flags, cmd.unchangedSince ?? undefined)
      : { changed: [], modified: [] };
    mb.noteOwnChanges(result.changed);
    const changed = new Map(result.changed.map((r) => [r.uid, r]));
    const modified = new Set(result.modified);
    if (!cmd.silent) {
      const current = await store.getMessages(mb.id, uids);
      for (const r of current) {
        if (modified.has(r.uid)) continue;
        const seq = mb.seqOf(r.uid);
        if (seq === 0) continue;
        const items = [`FLAGS ${s.flagList(r.flags, r.uid)}`];
        if (cmd.uid) items.unshift(`UID ${r.uid}`);
        if (s.condstore) items.push(`MODSEQ (${r.modseq})`);
        s.push(`* ${seq} FETCH (${items.join(' ')})\r\n`);
      }
    } else if (s.condstore) {
      for (const r of changed.values()) {
        const seq = mb.seqOf(r.uid);
        if (seq === 0) continue;
        s.push(`* ${seq} FETCH (${cmd.uid ? `UID ${r.uid} ` : ''}MODSEQ (${r.modseq}))\r\n`);
      }
    }
    if (result.modified.length > 0) {
      const names = cmd.uid ? result.modified : result.modified.map((u) => mb.seqOf(u)).filter((n) => n > 0);
      s.ok(tag, 'Conditional STORE failed.', 'MODIFIED', formatNumberSet(names.sort((a, b) => a - b)));
      return;
    }
    s.ok(tag, 'Store completed.');
  },
});
