// RFC 9051 §6.3.5 DELETE. INBOX cannot be deleted; children stay (their parent is then listed
// as \Noselect). A session that had the mailbox selected is closed, as Dovecot does.
import { ImapError } from '../errors.js';
import { findMailbox } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'DELETE',
  states: ['authenticated', 'selected'],
  async handle(s, cmd, tag) {
    const { access } = s.requireAuthenticated();
    const found = await findMailbox(s, cmd.mailbox);
    if (found.mailbox.name === 'INBOX') throw new ImapError('NO', 'INBOX cannot be deleted.', 'CANNOT');
    const wasSelected = s.state.kind === 'selected' && s.state.mailbox.id === found.mailbox.id;
    await access.store.deleteMailbox(found.mailbox.id);
    if (wasSelected) {
      s.unselect();
      s.ok(tag, 'Delete completed.');
      s.bye('Selected mailbox was deleted, have to disconnect.');
      return;
    }
    s.ok(tag, 'Delete completed.');
  },
});
