// What the scanner needs from each mail protocol: read the greeting, list capabilities, ask for
// STARTTLS (also pipelined, for the injection test), log in, and leave. One implementation per
// protocol in this folder; the scanner never speaks a protocol itself.
import type { ByteSink, ClientConnection, Resettable } from '../../client/tls.js';

export type ProtocolId = 'smtp' | 'imap' | 'pop3' | 'ftp';

export interface Greeting {
  /** The server accepts the session (220, * OK, +OK, ...). */
  ok: boolean;
  /** The greeting as one line of text (code and all), for the banner column. */
  text: string;
  /** IMAP PREAUTH: logged in before any credentials — worth a line in the report. */
  preauth?: boolean;
}

export interface Capabilities {
  /** Capability lines as the server listed them (EHLO keywords, IMAP atoms, CAPA lines, FEAT). */
  list: string[];
  /** Whether the server offers its STARTTLS command (STARTTLS, STLS, AUTH TLS); null = unknown
   * (the server has no capability command, e.g. POP3 without CAPA). */
  starttls: boolean | null;
  /** SASL mechanisms offered (upper-case). */
  authMechanisms: string[];
  /** Cleartext password methods offered right now: LOGIN (IMAP, no LOGINDISABLED), USER
   * (POP3), AUTH PLAIN/LOGIN (any). FTP reports null here and is tested by USER instead. */
  cleartextMethods: string[] | null;
}

export interface StartTlsAnswer {
  accepted: boolean;
  /** The reply as text ("220 2.0.0 Ready to start TLS"). */
  reply: string;
}

export interface LoginOutcome {
  ok: boolean;
  /** "PLAIN", "SCRAM-SHA-256", "LOGIN command", "USER/PASS". */
  method: string;
  reply: string;
}

export interface ProtocolSession {
  /** The reply decoder: reset before a TLS handshake; push replays bytes read while sniffing. */
  readonly decoder: Resettable & ByteSink;
  greeting(): Promise<Greeting>;
  capabilities(): Promise<Capabilities>;
  startTls(): Promise<StartTlsAnswer>;
  /**
   * Sends STARTTLS and a harmless second command in one write (RFC 3207 §5 / CVE-2011-0411
   * test). Returns the STARTTLS answer; the second command's reply, if the server is
   * vulnerable, comes later inside TLS.
   */
  startTlsPipelined(): Promise<StartTlsAnswer>;
  /** The command pipelined by startTlsPipelined, for evidence. */
  readonly pipelinedCommand: string;
  /** Reads one reply if one arrives within ms (used after the handshake: anything here was not
   * asked for over TLS). */
  unsolicited(ms: number): Promise<string | null>;
  /** Logs in with the best method offered (see login.ts for the choice). */
  login(user: string, password: string, caps: Capabilities, options: LoginOptions): Promise<LoginOutcome | { skipped: string }>;
  /** Cleartext login allowed before TLS? FTP only: sends USER with a name that is not a real
   * account and reads whether the server asks for a password. */
  probeCleartextUser?(): Promise<{ accepted: boolean; reply: string }>;
  quit(): Promise<void>;
}

export interface LoginOptions {
  /** The connection is encrypted (TLS or STARTTLS done). */
  encrypted: boolean;
  /** The user allows cleartext credentials on an unencrypted connection. */
  allowCleartext: boolean;
  /** Channel binding for SCRAM-PLUS (tls-exporter, TLS 1.3), when available. */
  channelBinding?: { type: 'tls-exporter'; data: Buffer };
}

export interface ProtocolDriver {
  readonly id: ProtocolId;
  /** ALPN protocol ID (IANA registry; RFC 7301): imap, pop3, smtp, ftp. */
  readonly alpn: string;
  /** SMTP needs EHLO before STARTTLS; the others do not. */
  readonly capabilitiesBeforeStartTls: boolean;
  /** The STARTTLS command word, for messages. */
  readonly starttlsCommand: string;
  open(conn: ClientConnection, timeoutMs: number): ProtocolSession;
}
