// RFC 9051 §6.3.7 SUBSCRIBE.
import { findMailbox } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'SUBSCRIBE',
  states: ['authenticated', 'selected'],
  async handle(s, cmd, tag) {
    const found = await findMailbox(s, cmd.mailbox);
    await s.requireAuthenticated().access.store.setSubscribed(found.mailbox.id, true);
    s.ok(tag, 'Subscribe completed.');
  },
});
