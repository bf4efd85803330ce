/** The client side's contract with the client library's protocol code. */
import type { ChannelBinding } from './types.js';

/**
 * An error the server explained inside the exchange: SCRAM's "e=" (RFC 5802 §7) or an OAuth
 * error challenge (RFC 7628 §3.2.2, Google's XOAUTH2 JSON).
 */
export interface SaslServerError {
  /** One sentence for the user. */
  message: string;
  /** OAuth: "status" as sent ("401" for XOAUTH2, "invalid_token" for OAUTHBEARER); SCRAM: the e= value. */
  status?: string;
  scope?: string;
  schemes?: string;
  openidConfiguration?: string;
  /** The server refused the bearer token (expired or revoked): refresh it and retry. */
  tokenRejected: boolean;
}

export type ClientStep =
  /**
   * Send `data` to the server. With an OAuth error challenge this is the dummy response the
   * mechanism requires, and `serverError` says what went wrong; the server then fails the command.
   */
  | { type: 'respond'; data: Buffer; serverError?: SaslServerError }
  | { type: 'done' }
  | { type: 'error'; message: string };

export interface SaslClientExchange {
  readonly mechanism: string;
  /**
   * The initial response, or null when the mechanism has none (LOGIN has none unless
   * configured). Calling it counts as sending it: a later empty challenge is then not answered
   * with the same message again. Without SASL-IR, skip it and answer the server's first (empty)
   * challenge through step().
   */
  initialResponse(): Buffer | null;
  /** serverData: decoded server challenge. For SCRAM the final call verifies the server signature (error on mismatch: a fake server). */
  step(serverData: Buffer): ClientStep;
  /** Call when the server reports success with optional additional data; returns error if SCRAM's server signature was never verified. */
  finish(additionalData?: Buffer): ClientStep;
  /** The last error the server explained within the exchange, for the message after a failure. */
  readonly serverError: SaslServerError | null;
}

export interface ClientCredentials {
  username: string;
  password?: string;
  authzid?: string;
  /** OAuth 2.0 bearer token (XOAUTH2, OAUTHBEARER). */
  token?: string;
  channelBinding?: ChannelBinding;
  /** SCRAM client nonce (tests pass a fixed one). */
  nonce?: () => string;
  /** LOGIN: send the username as the initial response (draft-murchison-sasl-login §2). */
  loginInitialResponse?: boolean;
  /** OAUTHBEARER: the server's host name and port, sent as "host=" and "port=" (RFC 7628 §3.1). */
  host?: string;
  port?: number;
}
