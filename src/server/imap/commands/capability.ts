// RFC 9051 §6.1.1 CAPABILITY, derived from the registry and the session's state.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'CAPABILITY',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle(s, _cmd, tag) {
    s.push(`* CAPABILITY ${s.capabilities().join(' ')}\r\n`);
    s.ok(tag, 'Capability completed.');
  },
});
