// RFC 6851 MOVE (and UID MOVE): atomic in the store; the client gets the COPYUID untagged,
// then EXPUNGE (or VANISHED) for the moved messages, then the tagged OK (§4.3).
import { formatNumberSet } from '../../../wire/imap/sequence-set.js';
import { ImapError } from '../errors.js';
import { resolveSet } from '../message-set.js';
import { checkQuota } from '../quota.js';
import { findMailbox } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'MOVE',
  states: ['selected'],
  capabilities: () => ['MOVE'],
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    const store = s.requireAuthenticated().access.store;
    if (mb.readOnly) throw new ImapError('NO', 'Mailbox is read-only.', 'CANNOT');
    const target = await findMailbox(s, cmd.mailbox, 'TRYCREATE');
    const uids = resolveSet(mb, cmd.set, cmd.uid, s.savedSearch);
    if (uids.length === 0) {
      s.ok(tag, 'No messages moved.');
      return;
    }
    if (target.resolved.account.id !== mb.accountId) {
      const records = await store.getMessages(mb.id, uids);
      await checkQuota(s, target.resolved.account.id, records.reduce((n, r) => n + r.size, 0), records.length);
    }
    const pairs = await store.move(mb.id, uids, target.mailbox.id);
    if (pairs.length > 0) {
      const copyuid = `${target.mailbox.uidValidity} ${formatNumberSet(pairs.map((p) => p[0]))} ${formatNumberSet(pairs.map((p) => p[1]))}`;
      s.untagged('OK', 'Moved UIDs.', 'COPYUID', copyuid);
    }
    s.pushAll(mb.remove(pairs.map((p) => p[0]), s.qresync));
    if (pairs.length < uids.length) s.ok(tag, 'Some messages were expunged by another session.', 'EXPUNGEISSUED');
    else s.ok(tag, 'Move completed.');
  },
});
