// RFC 9051 §6.3.8 UNSUBSCRIBE; unsubscribing a name that is not there is not an error.
import { NoSuchMailbox } from '../errors.js';
import { findMailbox } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'UNSUBSCRIBE',
  states: ['authenticated', 'selected'],
  async handle(s, cmd, tag) {
    try {
      const found = await findMailbox(s, cmd.mailbox);
      await s.requireAuthenticated().access.store.setSubscribed(found.mailbox.id, false);
    } catch (err) {
      if (!(err instanceof NoSuchMailbox)) throw err;
    }
    s.ok(tag, 'Unsubscribe completed.');
  },
});
