// RFC 2595 §4 STLS: only before login, only on an UnencryptedOrTLS binding.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'STLS',
  phases: ['authorization'],
  capability: (s) => (s.canStartTls() ? 'STLS' : null),
  async handle(s) {
    if (s.conn.isTls) {
      s.err('TLS is already active.');
      return;
    }
    if (!s.canStartTls()) {
      s.err('STLS is not available on this port.');
      return;
    }
    s.ok('Begin TLS negotiation now.');
    try {
      await s.upgradeToTls();
    } catch (err) {
      s.log.event(`TLS handshake failed: ${(err as Error).message}`);
      s.close();
    }
  },
});
