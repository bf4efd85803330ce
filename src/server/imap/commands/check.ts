// RFC 3501 §6.4.1 CHECK (IMAP4rev1 only; RFC 9051 removed it): every change is durable when it
// is acknowledged, so this is a NOOP.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'CHECK',
  states: ['selected'],
  async handle(s, _cmd, tag) {
    s.ok(tag, 'CHECK completed.');
  },
});
