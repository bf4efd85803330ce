// LoginType (seed 003, DESIGN §2 "Login policy") decides which logins a connection may use.
//   SecureLogin (default): cleartext credentials only over TLS; challenge-response anywhere.
//   PlainTextAuthentication: the protocol's USER/PASS or LOGIN command refused; SASL allowed.
//   PlainTextLogin: everything allowed (tracing and legacy tools only).
import type { LoginType } from '../config/schema.js';

export interface ConnectionSecurity {
  /** TLS is up (implicit or after STARTTLS). */
  tls: boolean;
  /** The client's address is in trustedNetworks (an explicit opt-in; empty by default). */
  trusted: boolean;
}

export function isSecure(c: ConnectionSecurity): boolean {
  return c.tls || c.trusted;
}

/** USER/PASS (POP3), LOGIN (IMAP). */
export function commandLoginAllowed(loginType: LoginType, c: ConnectionSecurity): boolean {
  if (loginType === 'PlainTextAuthentication') return false;
  if (loginType === 'SecureLogin') return isSecure(c);
  return true;
}

/** A SASL mechanism; `cleartext` mechanisms (PLAIN, LOGIN) send a reusable password. */
export function saslMechanismAllowed(loginType: LoginType, c: ConnectionSecurity, cleartext: boolean): boolean {
  if (!cleartext) return true;
  if (loginType === 'SecureLogin') return isSecure(c);
  return true;
}
