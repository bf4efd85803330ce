// RFC 1939 §7 PASS, after USER.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'PASS',
  phases: ['authorization'],
  async handle(s, cmd) {
    if (s.state.phase !== 'authorization') return;
    const user = s.state.pendingUser;
    s.state.pendingUser = null;
    if (!s.userPassAllowed()) {
      s.err('Plaintext authentication is disallowed on non-secure connections; use STLS first.', 'AUTH');
      return;
    }
    if (user === null) {
      s.err('Send USER first.');
      return;
    }
    const outcome = await s.ctx.auth.loginWithPassword(user, cmd.password, null, { protocol: 'pop3', remoteIp: s.conn.remoteAddress });
    if (outcome.ok) await s.completeLogin(outcome.access);
    else s.loginFailed(outcome.failure);
  },
});
