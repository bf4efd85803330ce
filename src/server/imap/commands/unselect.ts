// RFC 3691 / RFC 9051 §6.4.2 UNSELECT: leave the mailbox without expunging.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'UNSELECT',
  states: ['selected'],
  capabilities: () => ['UNSELECT'],
  async handle(s, _cmd, tag) {
    s.unselect();
    s.ok(tag, 'Unselect completed.');
  },
});
