// RFC 9051 §6.2.1 STARTTLS: only before login, only on an UnencryptedOrTLS binding. Anything the
// client pipelined after the command is thrown away (connection.ts), and the capability list is
// sent again only on request, as the RFC wants.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'STARTTLS',
  states: ['not-authenticated'],
  capabilities: (s) => (s.canStartTls() ? ['STARTTLS'] : []),
  async handle(s, _cmd, tag) {
    if (s.conn.isTls) {
      s.tagged(tag, 'BAD', 'TLS is already active.');
      return;
    }
    if (!s.canStartTls()) {
      s.tagged(tag, 'BAD', 'STARTTLS is not available on this port.');
      return;
    }
    s.ok(tag, 'Begin TLS negotiation now.');
    try {
      await s.upgradeToTls();
    } catch (err) {
      s.log.event(`TLS handshake failed: ${(err as Error).message}`);
      s.close();
    }
  },
});
