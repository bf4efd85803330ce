// The certificate postern serves: PEM files named in the config (re-read when they change on
// disk, so a renewed certificate is served without a restart), or a self-signed one made on
// first start in <data>/tls/ (DESIGN §2: CN and SAN = hostname, localhost, 127.0.0.1, ::1).
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync, watchFile, unwatchFile, statSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';

export interface CertificatePair { cert: string; key: string }

export interface CertificateSource {
  certPath: string;
  keyPath: string;
  selfSigned: boolean;
}

/** Makes <dataDir>/tls/{cert,key}.pem unless they exist; returns their paths. */
export async function ensureSelfSignedCertificate(dataDir: string, hostname: string): Promise<CertificateSource> {
  const dir = join(dataDir, 'tls');
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  if (existsSync(certPath) && existsSync(keyPath)) return { certPath, keyPath, selfSigned: true };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = [...new Set([hostname, 'localhost'])];
  const now = new Date();
  const result = await generate([{ name: 'commonName', value: hostname }, { name: 'organizationName', value: 'postern self-signed' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 825 * 86_400_000), // the longest validity clients accept
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.map((value) => ({ type: 2 as const, value })),
          { type: 7 as const, ip: '127.0.0.1' },
          { type: 7 as const, ip: '::1' },
        ],
      },
    ],
  });
  // Write key first, each through a temporary name, so a crash never leaves a half pair.
  writeFileSync(keyPath + '.tmp', result.private, { mode: 0o600 });
  renameSync(keyPath + '.tmp', keyPath);
  writeFileSync(certPath + '.tmp', result.cert, { mode: 0o644 });
  renameSync(certPath + '.tmp', certPath);
  return { certPath, keyPath, selfSigned: true };
}

export function readCertificatePair(source: CertificateSource): CertificatePair {
  return { cert: readFileSync(source.certPath, 'utf8'), key: readFileSync(source.keyPath, 'utf8') };
}

/** The certificate's subject CN (Exchange's X509CertificateName), or its first SAN. */
export function certificateName(certPem: string): string {
  const x = new X509Certificate(certPem);
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(x.subject)?.[1];
  if (cn) return cn;
  return x.subjectAltName?.split(',')[0]?.replace(/^\w+:/, '').trim() ?? '';
}

/** Calls onChange when either file's modification time changes (poll: works on every filesystem). */
export function watchCertificate(source: CertificateSource, onChange: () => void, intervalMs = 2000): () => void {
  let last = stamp(source);
  const check = () => {
    const now = stamp(source);
    if (now !== last) {
      last = now;
      onChange();
    }
  };
  watchFile(source.certPath, { interval: intervalMs }, check);
  watchFile(source.keyPath, { interval: intervalMs }, check);
  return () => {
    unwatchFile(source.certPath, check);
    unwatchFile(source.keyPath, check);
  };
}

function stamp(source: CertificateSource): string {
  try {
    return `${statSync(source.certPath).mtimeMs}/${statSync(source.keyPath).mtimeMs}`;
  } catch {
    return 'missing';
  }
}
