// Reads the server's side of a TLS handshake from the raw bytes (pure, incremental), for what
// node:tls does not expose: the ServerHello's extensions (Extended Master Secret, RFC 7627, is
// extension 23), the session ID length, plaintext alerts (RFC 8446 §6, RFC 5246 §7.2), and
// whether the peer speaks TLS at all (a "220 " where a record header should be).
//
// Record layer: RFC 5246 §6.2.1 / RFC 8446 §5.1 — type(1) version(2) length(2) fragment.
// Handshake: RFC 8446 §4 — msg_type(1) length(3) body; ServerHello is type 2. Everything after
// the ServerHello is encrypted in TLS 1.3 and after ChangeCipherSpec in TLS 1.2, so parsing
// stops there; input beyond maxBytes is ignored, keeping memory bounded.

export interface ServerHelloInfo {
  /** legacy_version from the message (0x0303 for TLS 1.2 and 1.3). */
  legacyVersion: number;
  /** The negotiated version: supported_versions (ext 43) if present, else legacyVersion. */
  version: number;
  versionName: string;
  sessionIdLength: number;
  cipherSuite: number;
  /** Extension types in the order sent. */
  extensions: number[];
  /** RFC 7627 extended_master_secret (23) echoed. */
  extendedMasterSecret: boolean;
  /** RFC 5077 session_ticket (35) echoed: the server will send a NewSessionTicket (TLS 1.2). */
  sessionTicket: boolean;
  /** RFC 5746 renegotiation_info (65281) echoed. */
  secureRenegotiation: boolean;
  /** RFC 8446 §4.1.3: a HelloRetryRequest carries this special random. */
  helloRetryRequest: boolean;
}

export interface TlsAlert {
  level: number;
  description: number;
  name: string;
}

export interface ServerFlight {
  /** False when the first bytes are not a TLS record header (a plaintext banner, HTTP, ...). */
  looksLikeTls: boolean | null;
  serverHello?: ServerHelloInfo;
  /** Alerts seen in plaintext records. */
  alerts: TlsAlert[];
  /** Whether a Certificate message (type 11) was seen in plaintext (TLS 1.2 and lower). */
  certificateSeen: boolean;
  /** Bytes seen in total. */
  bytes: number;
}

const HRR_RANDOM = Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex');

export const ALERT_NAMES: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed', 22: 'record_overflow',
  40: 'handshake_failure', 41: 'no_certificate', 42: 'bad_certificate', 43: 'unsupported_certificate',
  44: 'certificate_revoked', 45: 'certificate_expired', 46: 'certificate_unknown', 47: 'illegal_parameter',
  48: 'unknown_ca', 49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error', 70: 'protocol_version',
  71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback', 90: 'user_canceled',
  100: 'no_renegotiation', 109: 'missing_extension', 110: 'unsupported_extension', 112: 'unrecognized_name',
  113: 'bad_certificate_status_response', 115: 'unknown_psk_identity', 116: 'certificate_required',
  120: 'no_application_protocol',
};

export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0300: return 'SSLv3';
    case 0x0301: return 'TLSv1';
    case 0x0302: return 'TLSv1.1';
    case 0x0303: return 'TLSv1.2';
    case 0x0304: return 'TLSv1.3';
    default: return `0x${v.toString(16).padStart(4, '0')}`;
  }
}

export class ServerFlightReader {
  private buf: Buffer = Buffer.alloc(0);
  private hs: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly maxBytes: number;
  readonly flight: ServerFlight = { looksLikeTls: null, alerts: [], certificateSeen: false, bytes: 0 };

  constructor(maxBytes = 65_536) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Uint8Array): void {
    this.flight.bytes += chunk.length;
    if (this.done) return;
    if (this.buf.length + chunk.length > this.maxBytes) {
      this.done = true;
      this.buf = Buffer.alloc(0);
      return;
    }
    this.buf = Buffer.concat([this.buf, chunk]);
    this.parseRecords();
  }

  private parseRecords(): void {
    while (!this.done && this.buf.length >= 5) {
      const type = this.buf[0]!;
      const major = this.buf[1]!;
      const len = this.buf.readUInt16BE(3);
      if (this.flight.looksLikeTls === null) {
        // RFC 8446 §5.1: ContentType 20-24, legacy_record_version 0x03xx, length ≤ 2^14 + 2048.
        this.flight.looksLikeTls = type >= 20 && type <= 24 && major === 3 && len <= 18_432;
        if (!this.flight.looksLikeTls) {
          this.done = true;
          return;
        }
      }
      if (this.buf.length < 5 + len) return;
      const body = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      if (type === 21 && body.length >= 2) {
        this.flight.alerts.push({ level: body[0]!, description: body[1]!, name: ALERT_NAMES[body[1]!] ?? `alert_${body[1]}` });
      } else if (type === 22) {
        this.hs = Buffer.concat([this.hs, body]);
        this.parseHandshake();
      } else if (type === 20) {
        // ChangeCipherSpec: what follows is encrypted (TLS 1.2), or it is TLS 1.3 middlebox
        // compatibility noise after the ServerHello. Either way there is nothing more to read.
        if (this.flight.serverHello) this.done = true;
      } else if (type === 23) {
        this.done = true;
      }
    }
  }

  private parseHandshake(): void {
    while (this.hs.length >= 4) {
      const msgType = this.hs[0]!;
      const len = this.hs.readUIntBE(1, 3);
      if (this.hs.length < 4 + len) return;
      const body = this.hs.subarray(4, 4 + len);
      this.hs = this.hs.subarray(4 + len);
      if (msgType === 2) {
        const hello = parseServerHello(body);
        if (hello) {
          if (hello.helloRetryRequest) continue; // a second ServerHello follows (RFC 8446 §4.1.4)
          this.flight.serverHello = hello;
          if (hello.version === 0x0304) {
            this.done = true; // the rest is encrypted
            return;
          }
        }
      } else if (msgType === 11) {
        this.flight.certificateSeen = true;
      } else if (msgType === 14) {
        // ServerHelloDone ends the server's first flight in TLS 1.2.
        this.done = true;
        return;
      }
    }
  }
}

/** Parses a ServerHello body (RFC 5246 §7.4.1.3, RFC 8446 §4.1.3); null when malformed. */
export function parseServerHello(body: Buffer): ServerHelloInfo | null {
  if (body.length < 38) return null;
  const legacyVersion = body.readUInt16BE(0);
  const random = body.subarray(2, 34);
  const sidLen = body[34]!;
  let p = 35 + sidLen;
  if (body.length < p + 3) return null;
  const cipherSuite = body.readUInt16BE(p);
  p += 3; // cipher suite + compression method
  const extensions: number[] = [];
  let version = legacyVersion;
  if (body.length >= p + 2) {
    const extLen = body.readUInt16BE(p);
    p += 2;
    const end = Math.min(body.length, p + extLen);
    while (p + 4 <= end) {
      const type = body.readUInt16BE(p);
      const len = body.readUInt16BE(p + 2);
      const data = body.subarray(p + 4, p + 4 + len);
      extensions.push(type);
      if (type === 43 && data.length >= 2) version = data.readUInt16BE(0); // supported_versions
      p += 4 + len;
    }
  }
  return {
    legacyVersion,
    version,
    versionName: tlsVersionName(version),
    sessionIdLength: sidLen,
    cipherSuite,
    extensions,
    extendedMasterSecret: extensions.includes(23),
    sessionTicket: extensions.includes(35),
    secureRenegotiation: extensions.includes(65281),
    helloRetryRequest: random.equals(HRR_RANDOM),
  };
}

/** Printable rendering of the first bytes a peer sent, for evidence ("220 mail ESMTP…"). */
export function printableExcerpt(bytes: Buffer, max = 48): string {
  const s = bytes.subarray(0, max).toString('latin1');
  const shown = s.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/[^\x20-\x7e\\]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return bytes.length > max ? shown + '…' : shown;
}
