// RFC 9051 §6.1.3 LOGOUT: BYE, then the tagged OK, then close.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'LOGOUT',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle(s, _cmd, tag) {
    s.untagged('BYE', 'Logging out');
    s.ok(tag, 'Logout completed.');
    s.close();
  },
});
