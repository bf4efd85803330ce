// Runs one SASL exchange (RFC 4422) for any protocol: the protocol supplies how a challenge is
// sent and how a response line is read; this drives the wire/sasl state machine and the shared
// Authenticator, so POP3 AUTH, IMAP AUTHENTICATE and SMTP AUTH behave the same.
import { createServerExchange, type ChannelBinding } from '../../wire/sasl/server.js';
import type { AuthFailure, Authenticator, LoginContext } from '../../auth/authenticator.js';
import type { MailAccess } from '../../auth/mail-access.js';

export interface SaslTransport {
  sendChallenge(data: Buffer): void;
  /** The client's next response line (base64 or "*"); null when the client has gone. */
  readResponse(): Promise<string | null>;
}

export type SaslOutcome =
  | { kind: 'ok'; access: MailAccess }
  | { kind: 'failed'; failure: AuthFailure }
  | { kind: 'cancelled' }
  | { kind: 'malformed'; message: string }
  | { kind: 'unsupported' }
  | { kind: 'gone' };

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict base64 (RFC 4648 §4); "=" alone is the empty response (RFC 4959, RFC 5034). */
export function decodeSaslResponse(text: string): Buffer | null {
  if (text === '=') return Buffer.alloc(0);
  if (!BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

export async function runSaslExchange(opts: {
  mechanism: string;
  /** The initial response as sent (base64 or "="), or null. */
  initialResponse: string | null;
  transport: SaslTransport;
  auth: Authenticator;
  login: LoginContext;
  channelBinding?: ChannelBinding;
}): Promise<SaslOutcome> {
  const exchange = createServerExchange(opts.mechanism, opts.channelBinding ? { channelBinding: opts.channelBinding } : {});
  if (!exchange) return { kind: 'unsupported' };
  let data: Buffer | null = null;
  if (opts.initialResponse !== null) {
    data = decodeSaslResponse(opts.initialResponse);
    if (data === null) return { kind: 'malformed', message: 'Invalid base64 in the initial response.' };
  }
  let step = exchange.step(data);
  let scramUser: { authcid: string; authzid: string } | null = null;
  for (;;) {
    switch (step.type) {
      case 'challenge': {
        opts.transport.sendChallenge(step.data);
        const line = await opts.transport.readResponse();
        if (line === null) return { kind: 'gone' };
        if (line === '*') return { kind: 'cancelled' };
        const decoded = decodeSaslResponse(line);
        if (decoded === null) return { kind: 'malformed', message: 'Invalid base64 in the response.' };
        step = exchange.step(decoded);
        break;
      }
      case 'check-password': {
        const outcome = await opts.auth.loginWithPassword(step.authcid, step.password, step.authzid || null, opts.login);
        return outcome.ok ? { kind: 'ok', access: outcome.access } : { kind: 'failed', failure: outcome.failure };
      }
      case 'need-scram-credentials': {
        scramUser = { authcid: step.authcid, authzid: step.authzid };
        const creds = await opts.auth.scramCredentialsFor(step.authcid, step.authzid || null);
        step = exchange.provideScramCredentials(creds);
        break;
      }
      case 'success': {
        if (step.additionalData) {
          // No success data in POP3/SMTP/IMAP4rev1: a last challenge, answered empty.
          opts.transport.sendChallenge(step.additionalData);
          const line = await opts.transport.readResponse();
          if (line === null) return { kind: 'gone' };
          if (line === '*') return { kind: 'cancelled' };
        }
        const outcome = await opts.auth.completeChallengeResponse(step.authcid, step.authzid || null, true, opts.login);
        return outcome.ok ? { kind: 'ok', access: outcome.access } : { kind: 'failed', failure: outcome.failure };
      }
      case 'failure': {
        if (scramUser && (step.reason === 'bad-proof' || step.reason === 'unknown-user' || step.reason === 'channel-binding')) {
          const outcome = await opts.auth.completeChallengeResponse(scramUser.authcid, scramUser.authzid || null, false, opts.login);
          if (!outcome.ok) return { kind: 'failed', failure: outcome.failure };
        }
        return { kind: 'malformed', message: step.message };
      }
    }
  }
}
