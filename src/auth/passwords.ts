// Password hashes in PHC strings, so the parameters travel with each hash and raising them
// later only affects new or changed passwords:
//   argon2id (default): "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" — OWASP's first choice;
//                       its minimum is m=19 MiB, t=2, p=1. Dovecot reads the same string
//                       as {ARGON2ID}…, so a user table can move between the two.
//   scrypt:             "$scrypt$ln=17,r=8,p=1$<salt>$<hash>" — OWASP's minimum is N=2^17, r=8, p=1.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, Algorithm } from '@node-rs/argon2';

export interface ScryptParams { logN: number; r: number; p: number }
export interface Argon2Params { memoryKiB: number; iterations: number; parallelism: number }

export type PasswordHashPolicy =
  | { scheme: 'argon2id'; argon2: Argon2Params }
  | { scheme: 'scrypt'; scrypt: ScryptParams };

const KEY_LENGTH = 32;

function scrypt(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const opts: ScryptOptions = {
    N: 2 ** params.logN,
    r: params.r,
    p: params.p,
    // 128 * N * r * p bytes plus headroom; Node's default cap (32 MiB) is below OWASP's cost.
    maxmem: 128 * 2 ** params.logN * params.r * params.p + 32 * 1024 * 1024,
  };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, KEY_LENGTH, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export async function hashPassword(password: string, policy: PasswordHashPolicy): Promise<string> {
  if (policy.scheme === 'argon2id') {
    return argon2Hash(password.normalize('NFC'), {
      algorithm: Algorithm.Argon2id,
      memoryCost: policy.argon2.memoryKiB,
      timeCost: policy.argon2.iterations,
      parallelism: policy.argon2.parallelism,
      outputLen: KEY_LENGTH,
    });
  }
  const { scrypt: params } = policy;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function parseScryptHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(encoded);
  if (!m) return null;
  return {
    params: { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) },
    salt: Buffer.from(m[4]!, 'base64url'),
    key: Buffer.from(m[5]!, 'base64url'),
  };
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  if (encoded.startsWith('$argon2id$')) {
    try {
      return await argon2Verify(encoded, password.normalize('NFC'));
    } catch {
      return false;
    }
  }
  const parsed = parseScryptHash(encoded);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** A hash of a password nobody knows, verified against when the user does not exist so a miss costs the same time. */
export async function decoyHash(policy: PasswordHashPolicy): Promise<string> {
  return hashPassword(randomBytes(18).toString('base64'), policy);
}
