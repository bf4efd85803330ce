// RFC 9051 §6.3.11 STATUS, with SIZE (RFC 8438), HIGHESTMODSEQ, DELETED and APPENDLIMIT.
import { findMailbox } from '../resolve.js';
import { statusLine } from '../status-items.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'STATUS',
  states: ['authenticated', 'selected'],
  capabilities: () => ['STATUS=SIZE'],
  async handle(s, cmd, tag) {
    const found = await findMailbox(s, cmd.mailbox);
    s.push(await statusLine(s, found.name, found.mailbox, cmd.items));
    s.ok(tag, 'Status completed.');
  },
});
