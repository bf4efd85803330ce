// RFC 9051 §6.1.2 NOOP: does nothing but lets pending mailbox updates through (the tagged
// response flushes them).
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'NOOP',
  states: ['not-authenticated', 'authenticated', 'selected'],
  async handle(s, _cmd, tag) {
    s.ok(tag, 'NOOP completed.');
  },
});
