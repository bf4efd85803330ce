// RFC 3207 STARTTLS: only on a port that starts in plaintext (587, 25), only once. Bytes the
// client pipelined behind the command are discarded by the connection before the handshake
// (§4.2, CVE-2011-0411), and everything learned before TLS is forgotten.
import { defineCommand } from '../spec.js';

export default defineCommand({
  verb: 'STARTTLS',
  modes: ['submission', 'smtp'],
  ehlo: (s) => (s.canStartTls() ? ['STARTTLS'] : []),
  async handle(s) {
    if (s.conn.isTls) {
      s.reply(503, '5.5.1', 'TLS is already active.');
      return;
    }
    if (!s.canStartTls()) {
      s.reply(502, '5.5.1', 'STARTTLS is not available on this port.');
      return;
    }
    s.reply(220, '2.0.0', 'Ready to start TLS');
    try {
      await s.upgradeToTls();
    } catch (err) {
      s.log.event(`TLS handshake failed: ${(err as Error).message}`);
      s.close();
    }
  },
});
