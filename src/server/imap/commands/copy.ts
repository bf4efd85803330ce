// RFC 9051 §6.4.7 COPY with RFC 4315 COPYUID; into a missing mailbox: NO [TRYCREATE].
import { formatNumberSet } from '../../../wire/imap/sequence-set.js';
import { resolveSet } from '../message-set.js';
import { checkQuota } from '../quota.js';
import { findMailbox, settleSelected } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'COPY',
  states: ['selected'],
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    const store = s.requireAuthenticated().access.store;
    const target = await findMailbox(s, cmd.mailbox, 'TRYCREATE');
    const uids = resolveSet(mb, cmd.set, cmd.uid, s.savedSearch);
    if (uids.length === 0) {
      s.ok(tag, 'No messages copied.');
      return;
    }
    const records = await store.getMessages(mb.id, uids);
    await checkQuota(s, target.resolved.account.id, records.reduce((n, r) => n + r.size, 0), records.length);
    const pairs = await store.copy(mb.id, uids, target.mailbox.id);
    if (pairs.length === 0) {
      s.ok(tag, 'Some messages were expunged by another session.', 'EXPUNGEISSUED');
      return;
    }
    const after = await store.getMailboxById(target.mailbox.id);
    if (after) await settleSelected(s, target.mailbox.id, after.highestModseq);
    const copyuid = `${target.mailbox.uidValidity} ${formatNumberSet(pairs.map((p) => p[0]))} ${formatNumberSet(pairs.map((p) => p[1]))}`;
    s.ok(tag, 'Copy completed.', 'COPYUID', copyuid);
  },
});
