// RFC 5034 AUTH mechanism [initial-response]; plain "AUTH" lists the mechanisms (the
// pre-CAPA convention fetchmail and others still probe with).
import { multiLine, okLine, continuationLine } from '../../../wire/pop3/command.js';
import { SERVER_MECHANISMS } from '../../../wire/sasl/server.js';
import { runSaslExchange } from '../../common/sasl-driver.js';
import { defineCommand } from '../spec.js';
import type { Pop3Session } from '../session.js';

export function offeredMechanisms(s: Pop3Session): string[] {
  const hasCb = s.conn.tlsExporter() !== null;
  return SERVER_MECHANISMS.filter((m) => s.mechanismAllowed(m.cleartext) && (!m.needsChannelBinding || hasCb)).map((m) => m.name);
}

export default defineCommand({
  name: 'AUTH',
  phases: ['authorization'],
  capability: (s) => {
    const mechs = offeredMechanisms(s);
    return mechs.length ? `SASL ${mechs.join(' ')}` : null;
  },
  async handle(s, cmd) {
    if (s.state.phase !== 'authorization') return;
    s.state.pendingUser = null;
    if (cmd.mechanism === null) {
      s.send(okLine('Mechanisms follow') + multiLine(offeredMechanisms(s)));
      return;
    }
    const info = SERVER_MECHANISMS.find((m) => m.name === cmd.mechanism);
    if (!info || !offeredMechanisms(s).includes(info.name)) {
      if (info && !s.mechanismAllowed(info.cleartext)) {
        s.err('Plaintext authentication is disallowed on non-secure connections; use STLS first.', 'AUTH');
      } else {
        s.err(`Unsupported authentication mechanism ${cmd.mechanism}.`);
      }
      return;
    }
    const exporter = s.conn.tlsExporter();
    s.inSasl = true;
    let outcome;
    try {
      outcome = await runSaslExchange({
        mechanism: info.name,
        initialResponse: cmd.initialResponse,
        auth: s.ctx.auth,
        login: { protocol: 'pop3', remoteIp: s.conn.remoteAddress },
        ...(exporter ? { channelBinding: { type: 'tls-exporter' as const, data: exporter } } : {}),
        transport: {
          sendChallenge: (data) => s.send(continuationLine(data)),
          readResponse: async () => {
            const line = await s.readLine();
            if (line !== null) s.log.client('***');
            return line;
          },
        },
      });
    } finally {
      s.inSasl = false;
    }
    switch (outcome.kind) {
      case 'ok': await s.completeLogin(outcome.access); return;
      case 'failed': s.loginFailed(outcome.failure); return;
      case 'cancelled': s.err('Authentication cancelled.'); return;
      case 'malformed': s.err(`Authentication failed: ${outcome.message}`, 'AUTH'); return;
      case 'unsupported': s.err(`Unsupported authentication mechanism ${cmd.mechanism}.`); return;
      case 'gone': s.close(); return;
    }
  },
});
