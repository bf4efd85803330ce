// postern/client: IMAP, POP3 and SMTP clients that never confuse implicit TLS with STARTTLS,
// never downgrade to plaintext on their own, verify certificates, and say what went wrong in
// words. Messages are built and parsed with postern/mime (MailBuilder, parseMessage), also
// re-exported here for convenience.
export { ImapClient } from './imap.js';
export type {
  AppendOptions,
  AppendResult,
  BodyStructure,
  CallOptions,
  CopyUid,
  EnvelopeAddress,
  FetchOptions,
  FetchQuery,
  FetchedMessage,
  IdleOptions,
  ImapClientOptions,
  ImapEvent,
  ListEntry,
  LoginOptions,
  MailboxInfo,
  MailboxStatus,
  MessageEnvelope,
  NamespaceEntry,
  Namespaces,
  SearchCriteria,
  SelectOptions,
  SequenceInput,
  SpecialUse,
  StoreOptions,
  StoreResult,
} from './imap-types.js';
export { Pop3Client, type Pop3ClientOptions } from './pop3.js';
export {
  SmtpClient,
  type SmtpClientOptions,
  type Envelope,
  type DsnOptions,
  type MessageInput,
  type SendOptions,
  type SendResult,
  type RecipientRefusal,
} from './smtp.js';
export { SmtpPool, type SmtpPoolOptions, type SmtpAuth } from './smtp-pool.js';
export { MailClientError, isMailClientError, type MailClientErrorCode, type ProtocolName } from './errors.js';
export { consoleProtocolLogger, type ProtocolLogEntry, type ProtocolLogger } from './logger.js';
export { resolveEndpoint, IMPLICIT_TLS_PORTS, type ClientOptions, type ClientTlsOptions, type Security } from './options.js';
export type { TokenSource } from './sasl-login.js';
// The FTPS client (client/ftp.ts) ships in the same package entry.
export { FtpClient, FtpError, type FtpConnectOptions } from './ftp.js';
export type { TlsInfo, TlsVersion } from './tls.js';
export { MailBuilder, parseMessage, type ParsedMessage, type AddressInput, type AttachmentInput } from '../wire/mime/index.js';
