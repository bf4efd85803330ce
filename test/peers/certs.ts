// Certificates for loopback peers, made fresh in each test run with selfsigned (EC P-256 keys,
// so generation takes milliseconds). A small CA signs leaves; a leaf can also be self-signed,
// expired, near expiry, or name the wrong host.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import selfsigned from 'selfsigned';

export interface TestCert {
  /** PEM certificate. */
  cert: string;
  /** PEM private key. */
  key: string;
}

const DAY = 86_400_000;

export async function makeCa(commonName = 'postern test CA', options: { issuer?: TestCert } = {}): Promise<TestCert> {
  const r = await selfsigned.generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - DAY),
    notAfterDate: new Date(Date.now() + 3650 * DAY),
    ...(options.issuer && { ca: { key: options.issuer.key, cert: options.issuer.cert } }),
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: r.cert, key: r.private };
}

export interface LeafOptions {
  /** DNS names and IP addresses for the SAN; the first is also the CN. */
  names: string[];
  /** Signing CA; self-signed when absent. */
  ca?: TestCert;
  /** Validity window relative to now, in days (negative = in the past). */
  validFromDays?: number;
  validToDays?: number;
  /** Signature hash (sha256 by default; sha1 for a weak-signature case). */
  algorithm?: 'sha1' | 'sha256';
  /** RSA key of this many bits instead of EC P-256 (e.g. 1024 for a weak-key case). */
  rsaBits?: number;
}

export async function makeLeaf(options: LeafOptions): Promise<TestCert> {
  const [cn] = options.names;
  const r = await selfsigned.generate([{ name: 'commonName', value: cn ?? 'localhost' }], {
    ...(options.rsaBits ? { keyType: 'rsa' as const, keySize: options.rsaBits } : { keyType: 'ec' as const }),
    algorithm: options.algorithm ?? 'sha256',
    notBeforeDate: new Date(Date.now() + (options.validFromDays ?? -1) * DAY),
    notAfterDate: new Date(Date.now() + (options.validToDays ?? 365) * DAY),
    ...(options.ca && { ca: { key: options.ca.key, cert: options.ca.cert } }),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: options.names.map((n) => (net.isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })),
      },
    ],
  });
  return { cert: r.cert, key: r.private };
}

/** A CA and a leaf for mail.example.test, localhost and 127.0.0.1: the "everything right" set. */
export async function makeGoodCerts(): Promise<{ ca: TestCert; leaf: TestCert }> {
  const ca = await makeCa();
  const leaf = await makeLeaf({ names: ['mail.example.test', 'localhost', '127.0.0.1'], ca });
  return { ca, leaf };
}

/** A fresh scratch folder under the OS temp dir. */
export function scratchDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `postern-${prefix}-`));
}

/** Writes cert.pem / key.pem (and ca.pem when given) into dir; returns their paths. */
export function writeCertFiles(dir: string, leaf: TestCert, ca?: TestCert): { cert: string; key: string; ca?: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, leaf.cert);
  writeFileSync(key, leaf.key, { mode: 0o600 });
  if (!ca) return { cert, key };
  const caPath = join(dir, 'ca.pem');
  writeFileSync(caPath, ca.cert);
  return { cert, key, ca: caPath };
}
