// One TLS policy for every listener (DESIGN §2): versions, ciphers, the certificate, and strict
// ALPN — a client that offers ALPN must offer this protocol's own ID, or the handshake is
// refused (ALPACA cross-protocol defence, RFC 7301 §3.2 no_application_protocol).
import tls from 'node:tls';
import type { CertificatePair } from './certificate.js';

export type AlpnId = 'imap' | 'pop3' | 'smtp' | 'lmtp';

export interface TlsPolicyOptions {
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  ciphers?: string;
}

export class TlsPolicy {
  private context: tls.SecureContext;
  private pair: CertificatePair;

  constructor(pair: CertificatePair, private readonly options: TlsPolicyOptions) {
    this.pair = pair;
    this.context = this.makeContext(pair);
  }

  /** Swaps the certificate for new handshakes; sessions already open keep theirs. */
  reload(pair: CertificatePair): void {
    this.context = this.makeContext(pair);
    this.pair = pair;
  }

  get certificatePem(): string {
    return this.pair.cert;
  }

  get secureContext(): tls.SecureContext {
    return this.context;
  }

  /** Options for a tls.Server (implicit TLS) or a server-side TLSSocket (STARTTLS). */
  serverOptions(alpn: AlpnId): tls.TlsOptions {
    return {
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
    });
  }
}
