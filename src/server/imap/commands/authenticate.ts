// RFC 9051 §6.2.2 AUTHENTICATE with SASL-IR (RFC 4959) through the shared SASL driver: PLAIN,
// LOGIN, SCRAM-SHA-256 and SCRAM-SHA-256-PLUS (tls-exporter, RFC 9266). Cleartext mechanisms
// follow LoginType; challenge-response ones are allowed anywhere (DESIGN §2).
import { SERVER_MECHANISMS } from '../../../wire/sasl/server.js';
import { runSaslExchange } from '../../common/sasl-driver.js';
import { defineCommand } from '../spec.js';
import type { ImapSession } from '../session.js';

export function offeredMechanisms(s: ImapSession): string[] {
  const hasCb = s.conn.tlsExporter() !== null;
  return SERVER_MECHANISMS.filter((m) => s.mechanismAllowed(m.cleartext) && (!m.needsChannelBinding || hasCb)).map((m) => m.name);
}

export default defineCommand({
  name: 'AUTHENTICATE',
  states: ['not-authenticated'],
  capabilities: (s) => (s.authenticated ? [] : ['SASL-IR', ...offeredMechanisms(s).map((m) => `AUTH=${m}`)]),
  async handle(s, cmd, tag) {
    const info = SERVER_MECHANISMS.find((m) => m.name === cmd.mechanism);
    if (!info || !offeredMechanisms(s).includes(info.name)) {
      if (info && !s.mechanismAllowed(info.cleartext)) {
        s.tagged(tag, 'NO', 'Plaintext authentication disallowed on non-secure (SSL/TLS) connections.', 'PRIVACYREQUIRED');
      } else {
        s.tagged(tag, 'NO', `Unsupported authentication mechanism ${cmd.mechanism}.`, 'CANNOT');
      }
      return;
    }
    const exporter = s.conn.tlsExporter();
    const outcome = await runSaslExchange({
      mechanism: info.name,
      initialResponse: cmd.initialResponse,
      auth: s.ctx.auth,
      login: { protocol: 'imap', remoteIp: s.conn.remoteAddress },
      ...(exporter ? { channelBinding: { type: 'tls-exporter' as const, data: exporter } } : {}),
      transport: {
        sendChallenge: (data) => s.continueRequest(data.toString('base64')),
        readResponse: async () => {
          const line = await s.readRawLine();
          if (line !== null) s.log.client('***');
          return line;
        },
      },
    });
    switch (outcome.kind) {
      case 'ok': s.completeLogin(outcome.access, tag); return;
      case 'failed': s.loginFailed(outcome.failure, tag); return;
      // RFC 9051 §6.2.2: a cancelled exchange is answered with BAD.
      case 'cancelled': s.tagged(tag, 'BAD', 'Authentication cancelled.'); return;
      case 'malformed': s.tagged(tag, 'NO', `Authentication failed: ${outcome.message}`, 'AUTHENTICATIONFAILED'); return;
      case 'unsupported': s.tagged(tag, 'NO', `Unsupported authentication mechanism ${cmd.mechanism}.`, 'CANNOT'); return;
      case 'gone': s.close(); return;
    }
  },
});
