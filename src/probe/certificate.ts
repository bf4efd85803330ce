// Turns the DER chain a server presented into the facts a person checks: who it names, who
// signed it, when it expires, how strong its key and signature are, and whether it names the
// host (RFC 6125 / RFC 7817 via hostname.ts).
import { X509Certificate } from 'node:crypto';
import { certificateSignatureAlgorithm } from './der.js';
import { matchServerName, parseSubjectAltName, type NameMatch } from './hostname.js';

export interface CertificateFacts {
  subject: string;
  issuer: string;
  commonName: string | null;
  dnsNames: string[];
  ipAddresses: string[];
  validFrom: string;
  validTo: string;
  /** Whole days from now until validTo (negative once expired). */
  daysLeft: number;
  key: { type: string; bits: number | null; curve: string | null };
  signatureAlgorithm: string | null;
  selfSigned: boolean;
  isCa: boolean;
  fingerprint256: string;
  serialNumber: string;
}

export interface ChainFacts {
  certificates: CertificateFacts[];
  /** The leaf's issuer is neither in the chain nor found by OpenSSL. */
  leafIssuerMissing: boolean;
  nameMatch: NameMatch & { name: string };
}

const DAY = 86_400_000;

export function describeCertificate(der: Buffer, now = Date.now()): CertificateFacts {
  const x = new X509Certificate(der);
  const { dnsNames, ipAddresses } = parseSubjectAltName(x.subjectAltName);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? null;
  const details = x.publicKey.asymmetricKeyDetails ?? {};
  const validTo = new Date(x.validTo);
  let selfSigned = false;
  if (x.subject === x.issuer) {
    try {
      selfSigned = x.verify(x.publicKey);
    } catch {
      selfSigned = false;
    }
  }
  return {
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    commonName: cn,
    dnsNames,
    ipAddresses,
    validFrom: new Date(x.validFrom).toISOString(),
    validTo: validTo.toISOString(),
    daysLeft: Math.floor((validTo.getTime() - now) / DAY),
    key: {
      type: x.publicKey.asymmetricKeyType ?? 'unknown',
      bits: details.modulusLength ?? (details.namedCurve ? curveBits(details.namedCurve) : null),
      curve: details.namedCurve ?? null,
    },
    signatureAlgorithm: certificateSignatureAlgorithm(der),
    selfSigned,
    isCa: x.ca,
    fingerprint256: x.fingerprint256,
    serialNumber: x.serialNumber,
  };
}

export function describeChain(chain: Buffer[], serverName: string, now = Date.now()): ChainFacts | null {
  if (chain.length === 0) return null;
  const certificates = chain.map((c) => describeCertificate(c, now));
  const leaf = certificates[0]!;
  let leafIssuerMissing = false;
  if (!leaf.selfSigned) {
    const x = new X509Certificate(chain[0]!);
    leafIssuerMissing = !chain.slice(1).some((c) => x.checkIssued(new X509Certificate(c)));
  }
  const nameMatch = matchServerName(serverName, {
    dnsNames: leaf.dnsNames,
    ipAddresses: leaf.ipAddresses,
    ...(leaf.commonName !== null && { commonName: leaf.commonName }),
  });
  return { certificates, leafIssuerMissing, nameMatch: { ...nameMatch, name: serverName } };
}

function oneLine(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

function curveBits(curve: string): number | null {
  const m = /(\d{3})/.exec(curve);
  if (m) return Number(m[1]);
  if (/25519/.test(curve)) return 255;
  if (/448/.test(curve)) return 448;
  return null;
}

/** Weak by today's rules (CA/B Forum BRs, RFC 9155): MD5 or SHA-1 signatures. */
export function isWeakSignature(alg: string | null): boolean {
  return alg !== null && /md5|sha1|SHA1/.test(alg);
}
