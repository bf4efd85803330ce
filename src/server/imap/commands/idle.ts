// RFC 2177 IDLE: changes other sessions make reach the client as they happen (the store's change
// feed), "* OK Still here" keeps NAT mappings alive, and DONE ends it.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'IDLE',
  states: ['authenticated', 'selected'],
  capabilities: () => ['IDLE'],
  async handle(s, _cmd, tag) {
    s.continueRequest('idling');
    const line = await s.idle(s.settings().idleKeepaliveInterval);
    if (line === null) {
      s.close();
      return;
    }
    s.log.client(line.slice(0, 100));
    if (line.trim().toUpperCase() !== 'DONE') {
      s.tagged(tag, 'BAD', 'Expected DONE.');
      return;
    }
    s.ok(tag, 'Idle completed.');
  },
});
