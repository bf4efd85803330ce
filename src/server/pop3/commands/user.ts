// RFC 1939 §7 USER. Under SecureLogin it is hidden and refused until TLS (DESIGN §2).
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'USER',
  phases: ['authorization'],
  capability: (s) => (s.userPassAllowed() ? 'USER' : null),
  async handle(s, cmd) {
    if (s.state.phase !== 'authorization') return;
    if (!s.userPassAllowed()) {
      s.state.pendingUser = null;
      s.err(s.settings().loginType === 'PlainTextAuthentication'
        ? 'USER/PASS is disabled here; use AUTH.'
        : 'Plaintext authentication is disallowed on non-secure connections; use STLS first.', 'AUTH');
      return;
    }
    s.state.pendingUser = cmd.user;
    s.ok('Send PASS.');
  },
});
