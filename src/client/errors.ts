// One error type for the client library: a stable machine code for programs, a sentence for
// people. The sentence says what happened on the wire and what to change ("port 587 answered in
// plaintext … it expects STARTTLS, not implicit TLS"), never just an OpenSSL or reply code.

export type MailClientErrorCode =
  /** DNS, refused, unreachable, reset before anything was said. */
  | 'connect-failed'
  /** security 'tls' on a port that speaks plaintext first (it expects STARTTLS). */
  | 'expects-starttls'
  /** security 'starttls'/'none' on a port that expects a TLS handshake first (implicit TLS). */
  | 'expects-implicit-tls'
  /** The TLS handshake failed for another reason (alert, version range, protocol error). */
  | 'tls-failed'
  /** The certificate is untrusted, expired or names another host. */
  | 'certificate-untrusted'
  /** tls.checkCertificate refused the certificate. */
  | 'certificate-rejected'
  /** security 'starttls' (or 'auto' on a non-TLS port) and the server does not offer it. */
  | 'starttls-not-offered'
  /** The server offered STARTTLS and then refused it. */
  | 'starttls-refused'
  /** Logging in would send a password or token in clear, and that was not allowed. */
  | 'cleartext-refused'
  /** No mechanism the server offers is one we can use with the given credentials. */
  | 'no-mechanism'
  /** The server refused the credentials. */
  | 'auth-failed'
  /** The server refused the OAuth 2.0 token (expired or revoked) and no fresh one came. */
  | 'token-rejected'
  /** A command was answered NO/BAD, -ERR, or an SMTP 4xx/5xx reply. */
  | 'command-failed'
  /** The server said something that does not parse, or closed in mid-reply. */
  | 'protocol-error'
  /** The server's greeting refused the session (SMTP 554, IMAP BYE, POP3 -ERR). */
  | 'greeting-refused'
  /** The connection closed (by the server, or by close()) while a call was pending. */
  | 'connection-closed'
  | 'timeout'
  | 'aborted'
  /** SMTP: larger than the server's SIZE limit (checked before DATA). */
  | 'message-too-large'
  /** SMTP: every recipient was refused (or one was, with requireAllRecipients). */
  | 'recipients-refused'
  /** SMTP: the message or envelope needs an extension (8BITMIME, SMTPUTF8) the server lacks. */
  | 'extension-unsupported'
  /** The call needs a state the client is not in (not logged in, no mailbox selected). */
  | 'invalid-state';

export type ProtocolName = 'imap' | 'pop3' | 'smtp';

export interface MailClientErrorDetails {
  protocol?: ProtocolName;
  host?: string;
  port?: number;
  /** The command that failed, credentials redacted ("AUTHENTICATE PLAIN ***"). */
  command?: string;
  /** The server's answer as text. */
  response?: string;
  /** IMAP response code ("AUTHENTICATIONFAILED"), POP3 code ("SYS/TEMP"). */
  responseCode?: string;
  /** SMTP reply code (550) and enhanced status code ("5.7.1"). */
  smtpCode?: number;
  enhancedCode?: string;
  /** IMAP tagged status. */
  status?: 'NO' | 'BAD';
  /** SMTP: the connection failed after the end of the data was sent, so the server may have
   * queued the message; resending risks a duplicate. */
  deliveryUncertain?: boolean;
  cause?: unknown;
}

export class MailClientError extends Error {
  readonly code: MailClientErrorCode;
  readonly protocol?: ProtocolName;
  readonly host?: string;
  readonly port?: number;
  readonly command?: string;
  readonly response?: string;
  readonly responseCode?: string;
  readonly smtpCode?: number;
  readonly enhancedCode?: string;
  readonly status?: 'NO' | 'BAD';
  readonly deliveryUncertain?: boolean;

  constructor(code: MailClientErrorCode, message: string, details: MailClientErrorDetails = {}) {
    super(message, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = 'MailClientError';
    this.code = code;
    const { cause: _cause, ...rest } = details;
    Object.assign(this, rest);
  }

  /** A temporary failure worth retrying later (SMTP 4xx, POP3 [SYS/TEMP], IMAP [UNAVAILABLE],
   * timeouts and dropped connections). */
  get temporary(): boolean {
    if (this.smtpCode !== undefined) return this.smtpCode >= 400 && this.smtpCode < 500;
    if (this.responseCode === 'SYS/TEMP' || this.responseCode === 'IN-USE' || this.responseCode === 'UNAVAILABLE' || this.responseCode === 'INUSE') return true;
    return this.code === 'timeout' || this.code === 'connection-closed' || this.code === 'connect-failed';
  }
}

export function isMailClientError(err: unknown, code?: MailClientErrorCode): err is MailClientError {
  return err instanceof MailClientError && (code === undefined || err.code === code);
}

/** "30 s", "1500 ms": durations in messages. */
export function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
