/**
 * SCRAM's key schedule (RFC 5802 §3). Hi() is PBKDF2 with HMAC as the PRF and the hash's own
 * output length, so node's pbkdf2Sync computes it directly.
 */
import { createHash, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import type { ScramHash } from './types.js';

export const HASH_LENGTH: Readonly<Record<ScramHash, number>> = { sha1: 20, sha256: 32, sha512: 64 };

export function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

export function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

/** SaltedPassword := Hi(Normalize(password), salt, i). The password must already be prepared. */
export function saltedPassword(hash: ScramHash, preparedPassword: string, salt: Buffer, iterations: number): Buffer {
  return pbkdf2Sync(Buffer.from(preparedPassword, 'utf8'), salt, iterations, HASH_LENGTH[hash], hash);
}

export interface ScramKeys {
  clientKey: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** ClientKey, StoredKey := H(ClientKey) and ServerKey from a SaltedPassword. */
export function keysFromSaltedPassword(hash: ScramHash, salted: Buffer): ScramKeys {
  const clientKey = hmac(hash, salted, 'Client Key');
  return { clientKey, storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
}

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/** ClientProof := ClientKey XOR HMAC(StoredKey, AuthMessage). */
export function clientProof(hash: ScramHash, keys: ScramKeys, authMessage: string): Buffer {
  return xor(keys.clientKey, hmac(hash, keys.storedKey, authMessage));
}

/** ServerSignature := HMAC(ServerKey, AuthMessage). */
export function serverSignature(hash: ScramHash, serverKey: Buffer, authMessage: string): Buffer {
  return hmac(hash, serverKey, authMessage);
}

/**
 * The server's check (RFC 5802 §3): recover ClientKey from the proof and compare H(ClientKey)
 * with StoredKey in constant time, so the comparison leaks nothing about StoredKey.
 */
export function verifyClientProof(hash: ScramHash, storedKey: Buffer, proof: Buffer, authMessage: string): boolean {
  if (proof.length !== HASH_LENGTH[hash] || storedKey.length !== HASH_LENGTH[hash]) return false;
  const clientKey = xor(proof, hmac(hash, storedKey, authMessage));
  return timingSafeEqual(digest(hash, clientKey), storedKey);
}

/** Constant-time equality for equal-length secrets; false for different lengths. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
