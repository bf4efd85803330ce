/**
 * SASL server side: which mechanisms the servers offer and how an exchange is created. Pure
 * state machines; the protocol layer does base64, the "*" cancel, and sends what step() returns.
 */
import { LoginServerExchange } from './server-login.js';
import { PlainServerExchange } from './server-plain.js';
import { ScramServerExchange } from './server-scram.js';
import type { SaslServerExchange } from './server-types.js';
import type { ChannelBinding } from './types.js';

export type { ScramCredentials } from './credentials.js';
export { deriveScramCredentials, DEFAULT_SCRAM_ITERATIONS } from './credentials.js';
export type { ChannelBinding } from './types.js';
export type { SaslFailureReason, ServerStep, SaslServerExchange } from './server-types.js';
export { AUTH_FAILED_MESSAGE } from './server-types.js';

export interface ServerMechanismInfo {
  name: string;
  /** sends a reusable password in clear: hidden before TLS under SecureLogin */
  cleartext: boolean;
  needsChannelBinding: boolean;
}

export const SERVER_MECHANISMS: readonly ServerMechanismInfo[] = Object.freeze([
  { name: 'PLAIN', cleartext: true, needsChannelBinding: false },
  { name: 'LOGIN', cleartext: true, needsChannelBinding: false },
  { name: 'SCRAM-SHA-256', cleartext: false, needsChannelBinding: false },
  { name: 'SCRAM-SHA-256-PLUS', cleartext: false, needsChannelBinding: true },
]);

export interface ServerExchangeOptions {
  /**
   * The TLS connection's channel binding (RFC 9266 tls-exporter preferred). Pass it to every
   * exchange on a connection where SCRAM-SHA-256-PLUS is advertised: the non-PLUS exchange uses
   * it to detect a stripped -PLUS (the "y" flag, RFC 5802 §6).
   */
  channelBinding?: ChannelBinding;
  /** SCRAM server nonce part (tests pass a fixed one). */
  nonce?: () => string;
  /** SCRAM salt shown for unknown users; must be stable per name. */
  fakeSalt?: (authcid: string) => Buffer;
  /** SCRAM iteration count shown for unknown users, when the directory does not use the default. */
  fakeIterations?: number;
}

/**
 * Starts an exchange for a mechanism the client named (case-insensitively). Returns null for a
 * mechanism we do not serve, and for SCRAM-SHA-256-PLUS without channel binding (it is not
 * offered on such a connection).
 */
export function createServerExchange(mechanism: string, options: ServerExchangeOptions = {}): SaslServerExchange | null {
  switch (mechanism.toUpperCase()) {
    case 'PLAIN':
      return new PlainServerExchange();
    case 'LOGIN':
      return new LoginServerExchange();
    case 'SCRAM-SHA-256':
      return new ScramServerExchange({ ...options, hash: 'sha256', plus: false });
    case 'SCRAM-SHA-256-PLUS':
      if (!options.channelBinding) return null;
      return new ScramServerExchange({ ...options, hash: 'sha256', plus: true });
    default:
      return null;
  }
}

/** The mechanisms to advertise on a connection, in listing order. */
export function offeredServerMechanisms(connection: { channelBinding: boolean; allowCleartext: boolean }): string[] {
  return SERVER_MECHANISMS.filter(
    (m) => (connection.allowCleartext || !m.cleartext) && (!m.needsChannelBinding || connection.channelBinding),
  ).map((m) => m.name);
}
