// A minimal DER reader (X.690 §8, §10) for the two structures the probe looks inside:
// OpenSSL's serialized SSL_SESSION (what node's getSession() returns) and an X.509
// certificate's outer signatureAlgorithm (RFC 5280 §4.1.1.2), which node:crypto does not expose.

export interface Tlv {
  /** The identifier octet (class, constructed bit, tag number < 31). */
  tag: number;
  value: Buffer;
  /** Offset just past this element. */
  end: number;
}

/** Reads one element at `offset`; null when truncated or using forms DER forbids. */
export function readTlv(buf: Buffer, offset: number): Tlv | null {
  if (offset + 2 > buf.length) return null;
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) return null; // high tag numbers: not used in these structures
  let len = buf[offset + 1]!;
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > buf.length) return null; // indefinite length is BER, not DER
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i]!;
    p += n;
  }
  if (p + len > buf.length) return null;
  return { tag, value: buf.subarray(p, p + len), end: p + len };
}

/** The elements directly inside a constructed value. */
export function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  let p = 0;
  while (p < value.length) {
    const t = readTlv(value, p);
    if (!t) break;
    out.push(t);
    p = t.end;
  }
  return out;
}

function unsignedInteger(value: Buffer): bigint {
  let n = 0n;
  for (const b of value) n = (n << 8n) | BigInt(b);
  return n;
}

export interface SessionFields {
  /** SSL_SESSION flags; bit 0 (SSL_SESS_FLAG_EXTMS) says the session used Extended Master Secret. */
  flags: bigint;
  /** Whether the session carries a ticket (tag [10], tlsext_tick). */
  hasTicket: boolean;
  /** Session ID length (0 when the server gave none). */
  sessionIdLength: number;
  /** ssl_version, e.g. 0x0303 for TLS 1.2. */
  sslVersion?: number;
}

/**
 * Fields of OpenSSL's SSL_SESSION_ASN1 (ssl/ssl_asn1.c): SEQUENCE { version INTEGER,
 * ssl_version INTEGER, cipher OCTET STRING, session_id OCTET STRING, master_key OCTET STRING,
 * ... [10] tlsext_tick, ... [13] flags ... }. Null when the blob is not such a sequence.
 */
export function readSessionFields(der: Buffer): SessionFields | null {
  const top = readTlv(der, 0);
  if (!top || top.tag !== 0x30) return null;
  const items = children(top.value);
  if (items.length < 5) return null;
  // OpenSSL omits flags when they are zero (ASN1_EXP_OPT_EMBED), so absent means 0.
  const out: SessionFields = { flags: 0n, hasTicket: false, sessionIdLength: items[3]!.value.length };
  if (items[1]!.tag === 0x02) out.sslVersion = Number(unsignedInteger(items[1]!.value));
  for (const item of items.slice(5)) {
    if (item.tag === 0xaa) out.hasTicket = true; // [10] EXPLICIT OCTET STRING
    if (item.tag === 0xad) {
      // [13] EXPLICIT INTEGER
      const inner = readTlv(item.value, 0);
      if (inner && inner.tag === 0x02) out.flags = unsignedInteger(inner.value);
    }
  }
  return out;
}

export const SSL_SESS_FLAG_EXTMS = 1n;

/** Dotted form of an OBJECT IDENTIFIER value (X.690 §8.19). */
export function oidToString(value: Buffer): string {
  if (value.length === 0) return '';
  const first = value[0]!;
  const parts: number[] = [first < 80 ? Math.floor(first / 40) : 2, first < 80 ? first % 40 : first - 80];
  let n = 0;
  for (const b of value.subarray(1)) {
    n = n * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

const SIGNATURE_ALGORITHMS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.3.101.112': 'Ed25519',
  '1.3.101.113': 'Ed448',
};

/** The certificate's signatureAlgorithm (Certificate ::= SEQUENCE { tbs, signatureAlgorithm,
 * signatureValue }), by name when known, else the dotted OID. */
export function certificateSignatureAlgorithm(certDer: Buffer): string | null {
  const top = readTlv(certDer, 0);
  if (!top || top.tag !== 0x30) return null;
  const parts = children(top.value);
  const alg = parts[1];
  if (!alg || alg.tag !== 0x30) return null;
  const oid = children(alg.value)[0];
  if (!oid || oid.tag !== 0x06) return null;
  const dotted = oidToString(oid.value);
  return SIGNATURE_ALGORITHMS[dotted] ?? dotted;
}
