// Connection options shared by ImapClient, Pop3Client and SmtpClient, and how `security` and
// the port resolve to a connection plan.
//
// The rule that matters (seed 001, RFC 8314 §3): implicit TLS and STARTTLS are different
// protocols on different ports. 'auto' maps the implicit-TLS ports (465, 993, 995) to 'tls' and
// every other port to 'starttls' *required*; it never falls back to cleartext, which is where
// MailKit's and Nodemailer's defaults go wrong (a stripped STARTTLS silently downgrades them).
import type { PeerCertificate } from 'node:tls';
import type { TlsInfo, TlsVersion } from './tls.js';
import type { ProtocolLogger } from './logger.js';
import type { ProtocolName } from './errors.js';

export type Security = 'tls' | 'starttls' | 'none' | 'auto';

export interface ClientTlsOptions {
  /** Trusted CA certificates (PEM); replaces the system store. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Name sent in SNI and checked against the certificate. Default: the host (IP: no SNI). */
  servername?: string;
  /** Pin the protocol range, e.g. minVersion 'TLSv1.2' (seed 000) or min = max = 'TLSv1.3'. */
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  /** Certificates are verified by default. false accepts any certificate — then pin one with
   * checkCertificate, or accept that anyone on the path can read the session. */
  rejectUnauthorized?: boolean;
  /**
   * Runs after every handshake with the server's certificate. Throw, or return an Error or a
   * string (the reason), to refuse it: the connection is closed with 'certificate-rejected'.
   * Use it to pin a fingerprint or check a policy the CA store cannot express.
   */
  checkCertificate?: (certificate: PeerCertificate, info: TlsInfo) => void | string | Error | Promise<void | string | Error>;
  /** ALPN protocol IDs to offer. Default: the protocol's own ID ("imap", "pop3", "smtp"), which
   * lets a server refuse a cross-protocol connection (ALPACA); false offers none. */
  alpn?: string[] | false;
}

export interface ClientOptions {
  host: string;
  /** Default: 993/995/465 for 'tls' (and 'auto'), 143/110/587 otherwise. */
  port?: number;
  /** 'auto' (default): implicit TLS on 465/993/995, otherwise STARTTLS required. */
  security?: Security;
  tls?: ClientTlsOptions;
  /** Source address for the connection. */
  localAddress?: string;
  /** TCP connect plus TLS handshake, in ms (default 15 s). */
  connectTimeoutMs?: number;
  /** How long the server may stay silent while an answer is due, in ms (default 60 s). */
  timeoutMs?: number;
  /** How long to wait for the greeting, in ms (default 15 s). */
  greetingTimeoutMs?: number;
  /**
   * Allow sending a password or bearer token over an unencrypted connection (security 'none').
   * Default false: login() then uses only challenge-response mechanisms (SCRAM), and fails
   * with 'cleartext-refused' when the server offers nothing else.
   */
  allowCleartextPassword?: boolean;
  /** Protocol log (credentials redacted). */
  logger?: ProtocolLogger;
  /** Cancels connect(). */
  signal?: AbortSignal;
}

export interface ProtocolProfile {
  protocol: ProtocolName;
  /** Ports where TLS comes first (RFC 8314 §7: 465 submissions, 993 imaps, 995 pop3s). */
  implicitPort: number;
  plainPort: number;
  /** RFC 7301 ALPN ID. */
  alpn: string;
  /** What the STARTTLS command is called, for messages. */
  starttlsName: string;
}

export const PROFILES: Readonly<Record<ProtocolName, ProtocolProfile>> = Object.freeze({
  imap: { protocol: 'imap', implicitPort: 993, plainPort: 143, alpn: 'imap', starttlsName: 'STARTTLS' },
  pop3: { protocol: 'pop3', implicitPort: 995, plainPort: 110, alpn: 'pop3', starttlsName: 'STLS' },
  smtp: { protocol: 'smtp', implicitPort: 465, plainPort: 587, alpn: 'smtp', starttlsName: 'STARTTLS' },
});

/** The implicit-TLS ports of every mail protocol (and FTPS 990): 'auto' means TLS there. */
export const IMPLICIT_TLS_PORTS: ReadonlySet<number> = new Set([465, 993, 995, 990]);

export type Plan = 'tls' | 'starttls' | 'none';

export interface ResolvedEndpoint {
  host: string;
  port: number;
  plan: Plan;
  /** The user's own setting, for messages ("security: 'auto'"). */
  security: Security;
}

export function resolveEndpoint(profile: ProtocolProfile, options: ClientOptions): ResolvedEndpoint {
  const security = options.security ?? 'auto';
  if (!['tls', 'starttls', 'none', 'auto'].includes(security)) {
    throw new TypeError(`security must be 'tls', 'starttls', 'none' or 'auto', not ${JSON.stringify(security)}`);
  }
  if (!options.host) throw new TypeError('host is required');
  let port = options.port;
  let plan: Plan;
  if (security === 'auto') {
    port ??= profile.implicitPort;
    plan = IMPLICIT_TLS_PORTS.has(port) ? 'tls' : 'starttls';
  } else {
    plan = security;
    port ??= security === 'tls' ? profile.implicitPort : profile.plainPort;
  }
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new TypeError(`port must be 1-65535, not ${port}`);
  return { host: options.host, port, plan, security };
}

export const DEFAULT_CONNECT_TIMEOUT = 15_000;
export const DEFAULT_TIMEOUT = 60_000;
export const DEFAULT_GREETING_TIMEOUT = 15_000;
