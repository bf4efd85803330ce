/** Stored SCRAM credentials (RFC 5802 §3): what a server keeps instead of the password. */
import { randomBytes } from 'node:crypto';
import { keysFromSaltedPassword, saltedPassword } from './scram-crypto.js';
import { preparePassword } from './saslprep.js';
import type { ScramHash } from './types.js';

export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/**
 * RFC 7677 §4: the iteration count SHOULD be at least 4096 for SCRAM-SHA-256. The server also
 * announces this count to unknown users, so real and fake accounts look alike unless the
 * directory chose another count (then pass `fakeIterations` to createServerExchange).
 */
export const DEFAULT_SCRAM_ITERATIONS = 4096;
export const DEFAULT_SALT_LENGTH = 16;

/**
 * Derives the stored credentials from a password. The password is SASLprep'd (RFC 4013, as a
 * query string; when SASLprep refuses it the raw string is used, exactly as our client does).
 */
export function deriveScramCredentials(
  password: string,
  options: { salt?: Buffer; iterations?: number; hash?: ScramHash } = {},
): ScramCredentials {
  const hash = options.hash ?? 'sha256';
  const salt = options.salt ?? randomBytes(DEFAULT_SALT_LENGTH);
  const iterations = options.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError('SCRAM iteration count must be a positive integer');
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  const keys = keysFromSaltedPassword(hash, saltedPassword(hash, preparePassword(password), salt, iterations));
  return { salt: Buffer.from(salt), iterations, storedKey: keys.storedKey, serverKey: keys.serverKey };
}
