// Password hashes: scrypt in a PHC-style string, "$scrypt$ln=17,r=8,p=1$<salt>$<hash>" (base64,
// no padding). OWASP's minimum for scrypt is N=2^17, r=8, p=1; the parameters travel with each
// hash, so raising them later only affects new or changed passwords.
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

export interface ScryptParams { logN: number; r: number; p: number }

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

export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, params);
  return `$scrypt$ln=${params.logN},r=${params.r},p=${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export function parseHash(encoded: string): { params: ScryptParams; salt: Buffer; key: Buffer } | null {
  const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/.exec(encoded);
  if (!m) return null;
  return {
    params: { logN: Number(m[1]), r: Number(m[2]), p: Number(m[3]) },
    salt: Buffer.from(m[4]!, 'base64url'),
    key: Buffer.from(m[5]!, 'base64url'),
  };
}

export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const parsed = parseHash(encoded);
  if (!parsed) return false;
  const key = await scrypt(password, parsed.salt, parsed.params);
  return key.length === parsed.key.length && timingSafeEqual(key, parsed.key);
}

/** A hash of a password nobody knows, verified against when the user does not exist so a miss costs the same time. */
export async function decoyHash(params: ScryptParams): Promise<string> {
  return hashPassword(randomBytes(18).toString('base64'), params);
}
