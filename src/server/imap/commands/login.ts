// RFC 9051 §6.2.3 LOGIN through the shared authenticator. LoginType (seed 003): SecureLogin
// refuses it before TLS with [PRIVACYREQUIRED] and advertises LOGINDISABLED (RFC 9051 §6.2.3);
// PlainTextAuthentication refuses it everywhere.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'LOGIN',
  states: ['not-authenticated'],
  capabilities: (s) => (s.authenticated || s.loginAllowed() ? [] : ['LOGINDISABLED']),
  async handle(s, cmd, tag) {
    if (!s.loginAllowed()) {
      if (s.settings().loginType === 'PlainTextAuthentication') {
        s.tagged(tag, 'NO', 'LOGIN is disabled on this server; use AUTHENTICATE.', 'CANNOT');
      } else {
        s.tagged(tag, 'NO', 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'PRIVACYREQUIRED');
      }
      return;
    }
    const outcome = await s.ctx.auth.loginWithPassword(cmd.username, cmd.password, null, { protocol: 'imap', remoteIp: s.conn.remoteAddress });
    if (outcome.ok) s.completeLogin(outcome.access, tag);
    else s.loginFailed(outcome.failure, tag);
  },
});
