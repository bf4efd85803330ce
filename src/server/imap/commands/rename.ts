// RFC 9051 §6.3.6 RENAME. Children move with their parent; renaming INBOX moves its messages
// into a new mailbox and leaves INBOX empty.
import { ImapError } from '../errors.js';
import { canonicalName, checkNewName, decodeWireName } from '../mailbox-names.js';
import { findMailbox } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'RENAME',
  states: ['authenticated', 'selected'],
  async handle(s, cmd, tag) {
    const { names, access } = s.requireAuthenticated();
    const from = await findMailbox(s, cmd.from);
    const toName = canonicalName(decodeWireName(cmd.to, s.utf8));
    checkNewName(toName);
    const to = await names.resolve(toName);
    if (!to || !to.storeName) throw new ImapError('NO', 'Mailboxes cannot be renamed to there.', 'NOPERM');
    if (to.account.id !== from.resolved.account.id) throw new ImapError('NO', 'Mailboxes cannot be moved between accounts.', 'CANNOT');
    if (to.storeName === 'INBOX' || (await access.store.getMailbox(to.account.id, to.storeName))) {
      throw new ImapError('NO', 'Target mailbox already exists.', 'ALREADYEXISTS');
    }
    const store = access.store;
    if (from.mailbox.name === 'INBOX') {
      const target = await store.createMailbox(to.account.id, to.storeName, null);
      const uids = (await store.listMessages(from.mailbox.id)).map((m) => m.uid);
      if (uids.length > 0) await store.move(from.mailbox.id, uids, target.id);
    } else {
      await store.renameMailbox(from.mailbox.id, to.storeName);
    }
    s.ok(tag, 'Rename completed.');
  },
});
