/** The server side's contract with the protocol layers (IMAP AUTHENTICATE, POP3 AUTH, SMTP AUTH). */
import type { ScramCredentials } from './credentials.js';

export type SaslFailureReason = 'malformed' | 'bad-proof' | 'unknown-user' | 'channel-binding' | 'unsupported';

export type ServerStep =
  /** Send to the client (base64 by the protocol layer) and await its next response. */
  | { type: 'challenge'; data: Buffer }
  /** PLAIN, LOGIN: the caller verifies the password, then ends the exchange itself. */
  | { type: 'check-password'; authcid: string; authzid: string; password: string }
  /** SCRAM: the caller looks the user up and calls provideScramCredentials(). */
  | { type: 'need-scram-credentials'; authcid: string; authzid: string }
  /**
   * Authenticated. SCRAM's additionalData is the server-final-message: send it as success data
   * where the protocol allows it, otherwise as a last challenge that the client answers with an
   * empty response (RFC 4422 §5 item 7; SMTP AUTH, RFC 4954 §4, and IMAP4rev1, RFC 3501 §6.2.2,
   * have no success data). Do not call step() with that empty response: the exchange is over.
   */
  | { type: 'success'; authcid: string; authzid: string; additionalData?: Buffer }
  /**
   * The exchange is over. `message` is safe to show the client: 'bad-proof' and 'unknown-user'
   * share one wording so a client cannot tell them apart (no user enumeration); the reason is
   * for logs and counters.
   */
  | { type: 'failure'; reason: SaslFailureReason; message: string };

export interface SaslServerExchange {
  readonly mechanism: string;
  /** clientData: the decoded client response; null when there is no initial response. Empty Buffer = empty response ("=" in SASL-IR). */
  step(clientData: Buffer | null): ServerStep;
  /** Answer to need-scram-credentials. null = unknown user: continue with a fake but stable salt/iteration count so the exchange looks the same and fails only at the proof (no user enumeration). */
  provideScramCredentials(creds: ScramCredentials | null): ServerStep;
}

/** The message every failed password or proof check shows, whatever the cause. */
export const AUTH_FAILED_MESSAGE = 'authentication failed';

export function failure(reason: SaslFailureReason, message: string): ServerStep {
  return { type: 'failure', reason, message };
}

export function notScram(mechanism: string): ServerStep {
  return failure('unsupported', `${mechanism} does not use SCRAM credentials`);
}
