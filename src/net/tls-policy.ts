// One TLS policy for every listener (DESIGN §2): versions, ciphers, the certificate, and strict
// ALPN — a client that offers ALPN must offer this protocol's own ID, or the handshake is
// refused (ALPACA cross-protocol defence, RFC 7301 §3.2 no_application_protocol).
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import type { CertificatePair } from './certificate.js';
import { TlsSessionCache } from './tls-session-cache.js';

export type AlpnId = 'imap' | 'pop3' | 'smtp' | 'lmtp';

export interface TlsPolicyOptions {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  ciphers?: string;
  /** 48 bytes; tickets made with them resume on every node that has them. Default: random. */
  ticketKeys?: Buffer;
}

export class TlsPolicy {
  private context: tls.SecureContext;
  private pair: CertificatePair;
  private readonly sessionCaches = new Map<AlpnId, TlsSessionCache>();

  constructor(pair: CertificatePair, private readonly options: TlsPolicyOptions) {
    this.options = { ...options };
    this.pair = pair;
    this.context = this.makeContext(pair);
  }

  /** Swaps the certificate for new handshakes; sessions already open keep theirs. */
  reload(pair: CertificatePair): void {
    this.context = this.makeContext(pair);
    this.pair = pair;
  }

  /** The key tickets are sealed with (the same across certificate reloads). */
  get ticketKeys(): Buffer {
    return this.context.context.getTicketKeys() as Buffer;
  }

  /** Seals new tickets with this key; tickets sealed with the previous one no longer resume. */
  setTicketKeys(keys: Buffer): void {
    this.options.ticketKeys = keys;
    this.context = this.makeContext(this.pair);
  }

  get certificatePem(): string {
    return this.pair.cert;
  }

  get secureContext(): tls.SecureContext {
    return this.context;
  }

  /** The TLS 1.2 session-ID cache of one protocol (made on first use). */
  sessionCache(alpn: AlpnId): TlsSessionCache {
    let cache = this.sessionCaches.get(alpn);
    if (!cache) this.sessionCaches.set(alpn, cache = new TlsSessionCache());
    return cache;
  }

  /** Options for a server-side TLSSocket (implicit TLS and STARTTLS alike). */
  serverOptions(alpn: AlpnId): tls.TlsOptions {
    return {
      // Session-ID resumption asks this server's listeners (see tls-session-cache.ts).
      server: this.sessionCache(alpn).holder,
      SNICallback: (_servername, cb) => cb(null, this.context),
      secureContext: this.context,
      minVersion: this.options.minVersion,
      maxVersion: this.options.maxVersion,
      ...(this.options.ciphers ? { ciphers: this.options.ciphers } : {}),
      // RFC 7301: only our own protocol; undefined makes OpenSSL send no_application_protocol.
      ALPNCallback: ({ protocols }: { servername: string; protocols: string[] }) =>
        protocols.includes(alpn) ? alpn : undefined,
    } as tls.TlsOptions;
  }

  private makeContext(pair: CertificatePair): tls.SecureContext {
    return tls.createSecureContext({
      cert: pair.cert,
      key: pair.key,
      minVersion: this.options.minVersion,
      maxVersion: this.options.maxVersion,
      ...(this.options.ciphers ? { ciphers: this.options.ciphers } : {}),
      // OpenSSL resumes a session only within the context it was made in (SSL_set_session_id_context).
      sessionIdContext: 'postern',
      // Without a given key each context draws its own, and a certificate reload would void
      // every ticket: keep the first one drawn.
      ticketKeys: this.options.ticketKeys ??= randomBytes(48),
    });
  }
}
