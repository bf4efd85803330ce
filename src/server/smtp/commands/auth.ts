// RFC 4954 AUTH mechanism [initial-response], submission only. Under SecureLogin nothing is
// offered before TLS (DESIGN §2: submission offers AUTH only after STARTTLS); challenges are
// "334 base64", success "235", and SCRAM's server-final message goes as one more 334 answered
// empty, since SMTP has no success data (the shared SASL driver does that).
import { SERVER_MECHANISMS } from '../../../wire/sasl/server.js';
import { saslMechanismAllowed } from '../../../auth/policy.js';
import { runSaslExchange } from '../../common/sasl-driver.js';
import { BadSequence } from '../errors.js';
import { defineCommand } from '../spec.js';
import type { SmtpSession } from '../session.js';

export function offeredMechanisms(s: SmtpSession): string[] {
  const loginType = s.settings().loginType;
  if (loginType === 'SecureLogin' && !s.secure) return [];
  const hasCb = s.conn.tlsExporter() !== null;
  return SERVER_MECHANISMS
    .filter((m) => saslMechanismAllowed(loginType, s.security(), m.cleartext) && (!m.needsChannelBinding || hasCb))
    .map((m) => m.name);
}

export default defineCommand({
  verb: 'AUTH',
  modes: ['submission'],
  ehlo: (s) => {
    const mechs = offeredMechanisms(s);
    return mechs.length && !s.greeted?.access ? [`AUTH ${mechs.join(' ')}`] : [];
  },
  async handle(s, cmd) {
    const g = s.greeted;
    if (!g) throw new BadSequence('Send EHLO first.');
    if (g.access) throw new BadSequence('Already authenticated.');
    if (g.tx) throw new BadSequence('AUTH is not allowed during a mail transaction.');
    const info = SERVER_MECHANISMS.find((m) => m.name === cmd.mechanism);
    if (!info || !offeredMechanisms(s).includes(info.name)) {
      if (info && !s.secure) {
        // RFC 4954 §6: 538 5.7.11 Encryption required for requested authentication mechanism.
        s.reply(538, '5.7.11', 'Encryption required for requested authentication mechanism; issue STARTTLS first.');
      } else {
        s.reply(504, '5.5.4', `Unrecognized authentication type ${cmd.mechanism}.`);
      }
      return;
    }
    const exporter = s.conn.tlsExporter();
    const outcome = await runSaslExchange({
      mechanism: info.name,
      initialResponse: cmd.initialResponse,
      auth: s.ctx.auth,
      login: { protocol: 'submission', remoteIp: s.conn.remoteAddress },
      ...(exporter ? { channelBinding: { type: 'tls-exporter' as const, data: exporter } } : {}),
      transport: {
        sendChallenge: (data) => s.reply(334, null, data.toString('base64')),
        readResponse: async () => {
          const line = await s.readLine();
          if (line !== null) s.log.client('***');
          return line;
        },
      },
    });
    switch (outcome.kind) {
      case 'ok':
        if (!s.loggedIn(outcome.access)) {
          s.reply(454, '4.7.0', 'Too many connections from this user and address; try again later.');
          return;
        }
        s.reply(235, '2.7.0', 'Authentication successful');
        return;
      case 'failed': {
        s.log.event(`login failed: ${outcome.failure.code}`);
        const temporary = outcome.failure.code === 'temporary' || outcome.failure.code === 'locked-out';
        if (temporary) s.reply(454, '4.7.0', outcome.failure.message);
        else s.reply(535, '5.7.8', outcome.failure.code === 'invalid-credentials' ? 'Authentication credentials invalid' : outcome.failure.message);
        return;
      }
      case 'cancelled': s.reply(501, '5.0.0', 'Authentication cancelled.'); return;
      case 'malformed': s.reply(501, '5.5.2', `Authentication failed: ${outcome.message}`); return;
      case 'unsupported': s.reply(504, '5.5.4', `Unrecognized authentication type ${cmd.mechanism}.`); return;
      case 'gone': s.close(); return;
    }
  },
});
