// Turning socket and TLS failures into sentences. The evidence comes from the wire: the first
// bytes a server sent during a failed handshake tell a plaintext greeting ("220 …", "* OK",
// "+OK") from a TLS alert, and OpenSSL's reason codes tell a version mismatch from an
// untrusted certificate.
import type { ConnectError, TlsHandshakeError } from './tls.js';
import { MailClientError, type MailClientErrorDetails } from './errors.js';
import type { ClientTlsOptions, ProtocolProfile, ResolvedEndpoint } from './options.js';

/** A TLS record header: content type 20-23, then version 3.x (RFC 8446 §5.1). */
export function looksLikeTlsRecord(bytes: Buffer): boolean {
  return bytes.length >= 2 && bytes[0]! >= 0x14 && bytes[0]! <= 0x17 && bytes[1] === 0x03;
}

/** The first bytes as printable text for a message: `220 mx.example ESMTP`. */
export function printableExcerpt(bytes: Buffer, max = 60): string {
  const text = bytes.subarray(0, max).toString('latin1').split(/\r?\n/)[0] ?? '';
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\x20-\x7e]/g, '.');
}

/** What a plaintext mail server says first (RFC 5321 §4.2, RFC 9051 §7.1, RFC 1939 §4). */
const PLAINTEXT_GREETING = /^(?:[1-5]\d\d[ -]|\* (?:OK|PREAUTH|BYE)\b|\+OK\b|-ERR\b)/i;

export function describeConnectError(err: ConnectError, details: MailClientErrorDetails): MailClientError {
  const where = `${details.host}:${details.port}`;
  const text =
    err.code === 'refused' ? `nothing accepts connections on ${where} (connection refused)`
    : err.code === 'timeout' ? `${where} did not answer the TCP connect (${err.message.replace(/^no answer to the TCP connect /, '')})`
    : err.code === 'dns' ? `the host name ${details.host} does not resolve (${err.osCode ?? 'DNS error'})`
    : err.code === 'unreachable' ? `${where} is unreachable from here (${err.osCode ?? 'no route'})`
    : err.code === 'reset' ? `${where} reset the connection while it was being opened`
    : `could not connect to ${where}: ${err.message}`;
  return new MailClientError('connect-failed', text, { ...details, cause: err });
}

const CERT_WORDS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'it is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'its chain ends in a self-signed CA that is not trusted here',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'its issuer is not trusted here (or the server does not send the intermediate certificate)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'its issuer is not trusted here (or the server does not send the intermediate certificate)',
  UNABLE_TO_GET_ISSUER_CERT: 'its issuer is not trusted here',
  CERT_HAS_EXPIRED: 'it has expired',
  CERT_NOT_YET_VALID: 'it is not valid yet (check the clock)',
  CERT_REVOKED: 'it has been revoked',
  ERR_TLS_CERT_ALTNAME_INVALID: 'it names another host',
};

export function describeTlsError(
  err: TlsHandshakeError,
  profile: ProtocolProfile,
  endpoint: ResolvedEndpoint,
  tlsOptions: ClientTlsOptions,
  afterStarttls = false,
): MailClientError {
  const details: MailClientErrorDetails = { protocol: profile.protocol, host: endpoint.host, port: endpoint.port, cause: err };
  const where = `${endpoint.host}:${endpoint.port}`;
  const first = err.firstBytes ?? Buffer.alloc(0);
  const code = err.opensslCode ?? '';
  if (!afterStarttls && first.length > 0 && !looksLikeTlsRecord(first) && PLAINTEXT_GREETING.test(first.toString('latin1'))) {
    // The port greeted us in plaintext while we sent a ClientHello: a STARTTLS port.
    return new MailClientError(
      'expects-starttls',
      `port ${endpoint.port} answered in plaintext ("${printableExcerpt(first)}") instead of a TLS handshake: it expects STARTTLS, not implicit TLS; use security: 'starttls' for ${where}`,
      details,
    );
  }
  if (err.code === 'certificate' || CERT_WORDS[code] !== undefined) {
    const why = CERT_WORDS[code] ?? err.message;
    const name = tlsOptions.servername ?? endpoint.host;
    const hint = code === 'ERR_TLS_CERT_ALTNAME_INVALID'
      ? `connect with the name the certificate carries, or set tls.servername (we checked for "${name}")`
      : 'pass the issuing CA in tls.ca, or pin the certificate with tls.checkCertificate';
    return new MailClientError('certificate-untrusted', `the certificate of ${where} is not trusted: ${why}; ${hint}`, details);
  }
  const versionPinned = tlsOptions.minVersion !== undefined || tlsOptions.maxVersion !== undefined;
  if (/UNSUPPORTED_PROTOCOL|PROTOCOL_VERSION|NO_PROTOCOLS_AVAILABLE|VERSION_TOO_LOW|VERSION_TOO_HIGH|WRONG_SSL_VERSION/.test(code) || (versionPinned && /PROTOCOL_VERSION/.test(err.message))) {
    const range = `${tlsOptions.minVersion ?? 'any'}…${tlsOptions.maxVersion ?? 'any'}`;
    return new MailClientError('tls-failed', `${where} and this client have no TLS version in common (we allow ${range}); ${versionPinned ? 'widen tls.minVersion/maxVersion or upgrade the server' : 'the server only speaks versions this client refuses'}`, details);
  }
  if (/NO_APPLICATION_PROTOCOL/.test(code)) {
    return new MailClientError('tls-failed', `${where} refused our ALPN protocol "${profile.alpn}": it is configured for another protocol (set tls.alpn: false if this is really a ${profile.protocol.toUpperCase()} server)`, details);
  }
  if (err.code === 'alert') {
    const alert = /alert ([a-z ]+)/i.exec(err.message)?.[1]?.trim() ?? code;
    return new MailClientError('tls-failed', `${where} ended the TLS handshake with alert "${alert}"`, details);
  }
  if (err.code === 'timeout') {
    return new MailClientError('tls-failed', `the TLS handshake with ${where} did not finish in time${afterStarttls ? '' : `: the port may expect plaintext first (STARTTLS), try security: 'starttls'`}`, details);
  }
  if ((err.code === 'closed' || err.code === 'reset') && err.bytesReceived === 0) {
    return new MailClientError('tls-failed', `${where} closed the connection during the TLS handshake without a word${afterStarttls ? '' : ': it may not speak TLS on this port'}`, details);
  }
  if (!afterStarttls && first.length > 0 && !looksLikeTlsRecord(first)) {
    return new MailClientError('expects-starttls', `port ${endpoint.port} answered with something that is not TLS ("${printableExcerpt(first)}"): it does not speak implicit TLS; try security: 'starttls' for ${where}`, details);
  }
  return new MailClientError('tls-failed', `the TLS handshake with ${where} failed: ${err.message}`, details);
}
