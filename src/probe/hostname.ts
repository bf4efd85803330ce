// Does a certificate name the server? RFC 6125 §6 with the mail rules of RFC 7817 §3
// (which apply to IMAP, POP3 and SMTP submission) — pure, no I/O.
//
// - A DNS name is matched against the subjectAltName dNSName entries (DNS-IDs). The subject CN
//   is consulted only when the certificate has no DNS-ID at all (RFC 6125 §6.4.4); such
//   certificates are legacy, and the result says so.
// - A wildcard is allowed only as the whole left-most label and matches exactly one label
//   (RFC 6125 §6.4.3; RFC 7817 §3: "*" matches "mail" in "mail.example.com" but not
//   "a.b.example.com", and never a bare "example.com"). Wildcards in public-suffix-like
//   two-label names ("*.com") are refused.
// - An IP address matches only iPAddress entries (RFC 6125 §1.7.2 leaves IPs out; RFC 5280
//   §4.2.1.6 defines them), never a DNS name or the CN.
// - Comparison is ASCII case-insensitive and ignores one trailing dot (RFC 6125 §6.4.1).
import net from 'node:net';

export interface CertificateNames {
  dnsNames: string[];
  ipAddresses: string[];
  commonName?: string;
}

export type NameMatch =
  | { matched: true; by: 'dns' | 'wildcard' | 'ip' | 'common-name'; presented: string }
  | { matched: false; reason: string };

export function matchServerName(name: string, cert: CertificateNames): NameMatch {
  const host = normalise(name);
  if (net.isIP(host)) {
    const want = canonicalIp(host);
    const hit = cert.ipAddresses.find((ip) => canonicalIp(ip) === want);
    if (hit) return { matched: true, by: 'ip', presented: hit };
    return {
      matched: false,
      reason: cert.ipAddresses.length
        ? `the certificate's IP addresses (${cert.ipAddresses.join(', ')}) do not include ${host}`
        : `the certificate has no IP address entries, so it cannot match ${host}`,
    };
  }
  for (const dns of cert.dnsNames) {
    const presented = normalise(dns);
    if (presented === host) return { matched: true, by: 'dns', presented: dns };
    if (wildcardMatches(presented, host)) return { matched: true, by: 'wildcard', presented: dns };
  }
  if (cert.dnsNames.length === 0 && cert.commonName) {
    const cn = normalise(cert.commonName);
    if (cn === host || wildcardMatches(cn, host)) return { matched: true, by: 'common-name', presented: cert.commonName };
  }
  if (cert.dnsNames.length === 0) {
    return {
      matched: false,
      reason: cert.commonName
        ? `the certificate has no DNS names and its subject CN "${cert.commonName}" is not ${host}`
        : 'the certificate names no host at all',
    };
  }
  return { matched: false, reason: `the certificate names ${cert.dnsNames.join(', ')}, not ${host}` };
}

function wildcardMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return false;
  const suffix = pattern.slice(2);
  if (!suffix.includes('.')) return false; // "*.com": too broad to honour
  if (suffix.includes('*')) return false;
  const dot = host.indexOf('.');
  if (dot <= 0) return false;
  return host.slice(dot + 1) === suffix;
}

function normalise(s: string): string {
  const t = s.trim().toLowerCase();
  return t.endsWith('.') ? t.slice(0, -1) : t;
}

function canonicalIp(ip: string): string {
  if (net.isIPv4(ip)) return ip;
  // Expand IPv6 so that "::1" and "0:0:0:0:0:0:0:1" compare equal.
  const [head, tail] = ip.toLowerCase().split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((x) => x.replace(/^0+(?=.)/, '')).join(':');
}

/** Parses node's subjectAltName string ("DNS:a.example, IP Address:127.0.0.1, ..."). */
export function parseSubjectAltName(san: string | undefined): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames: string[] = [];
  const ipAddresses: string[] = [];
  if (!san) return { dnsNames, ipAddresses };
  for (const part of san.split(/,\s*/)) {
    if (part.startsWith('DNS:')) dnsNames.push(part.slice(4).replace(/^"|"$/g, ''));
    else if (part.startsWith('IP Address:')) ipAddresses.push(part.slice(11));
  }
  return { dnsNames, ipAddresses };
}
