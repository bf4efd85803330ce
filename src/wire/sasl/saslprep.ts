/**
 * SASLprep (RFC 4013), the string preparation for user names and passwords, via
 * @mongodb-js/saslprep.
 */
import saslprepImpl from '@mongodb-js/saslprep';

export type PrepResult = { ok: true; value: string } | { ok: false; reason: string };

/**
 * Prepares a string with SASLprep. `allowUnassigned` treats it as a "query" (RFC 3454 §7):
 * unassigned code points pass through. Errors are returned, not thrown.
 */
export function saslprep(input: string, options: { allowUnassigned?: boolean } = {}): PrepResult {
  try {
    return { ok: true, value: saslprepImpl(input, { allowUnassigned: options.allowUnassigned ?? false }) };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/**
 * The password preparation both our SCRAM client and deriveScramCredentials use: SASLprep as
 * a query string, and the raw string when SASLprep refuses it (prohibited or bidi-invalid
 * characters). PostgreSQL does the same on both sides; what matters is that our client and
 * server agree, and that ASCII passwords (for which SASLprep is the identity) interoperate
 * with servers that do not prepare at all.
 */
export function preparePassword(password: string): string {
  const prepared = saslprep(password, { allowUnassigned: true });
  return prepared.ok ? prepared.value : password;
}
