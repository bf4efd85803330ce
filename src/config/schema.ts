// postern.yaml schema (DESIGN §2). Settings carry the names Exchange admins know
// (Get-PopSettings / Get-ImapSettings); unknown keys are refused so a typo never silently
// falls back to a default.
import { z } from 'zod';
import { parseDuration } from './duration.js';

export const LOGIN_TYPES = ['SecureLogin', 'PlainTextAuthentication', 'PlainTextLogin'] as const;
export type LoginType = (typeof LOGIN_TYPES)[number];

export const TLS_VERSIONS = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];

export const PROTOCOLS = ['imap', 'pop3', 'submission', 'smtp', 'lmtp'] as const;
export type ProtocolName = (typeof PROTOCOLS)[number];
export type MailAccessProtocol = 'imap' | 'pop3' | 'submission';

/** "90s", "1m", "00:30:00" → milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  if (typeof v === 'number') return v * 1000; // bare numbers are seconds
  const ms = parseDuration(v);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration: write 90s, 1m, 30m, 2h or 00:30:00` });
    return z.NEVER;
  }
  return ms;
});

/** "[::]:143", "0.0.0.0:143", "127.0.0.1:0", "localhost:1143". */
const BINDING = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+|[A-Za-z0-9.-]+):(\d{1,5})$/;
const binding = z.string().refine((s) => {
  const m = BINDING.exec(s);
  return m !== null && Number(m[2]) <= 65535;
}, { message: 'a binding is ADDRESS:PORT, e.g. "0.0.0.0:993", "[::]:993" or "127.0.0.1:0" (port 0 = any free port)' });

const cidr = z.string().refine((s) => /^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(s), {
  message: 'a network is ADDRESS or ADDRESS/PREFIX, e.g. "10.0.0.0/8" or "::1"',
});

function protocolSection(defaults: { plainPort: number; tlsPort: number; banner: string }) {
  return z.object({
    enabled: z.boolean().default(true),
    unencryptedOrTLSBindings: z.array(binding).default([`[::]:${defaults.plainPort}`, `0.0.0.0:${defaults.plainPort}`]),
    sslBindings: z.array(binding).default([`[::]:${defaults.tlsPort}`, `0.0.0.0:${defaults.tlsPort}`]),
    banner: z.string().regex(/^[^\r\n]*$/, 'a banner is one line').max(400).default(defaults.banner),
    loginType: z.enum(LOGIN_TYPES).default('SecureLogin'),
    authenticatedConnectionTimeout: duration.default(30 * 60_000),
    preAuthenticatedConnectionTimeout: duration.default(60_000),
    protocolLog: z.boolean().default(false),
    /** Simultaneous sessions of one user from one IP address (Dovecot's mail_max_userip_connections). */
    maxConnectionsPerUserIp: z.number().int().min(1).default(10),
  }).strict();
}

export const pop3Schema = protocolSection({ plainPort: 110, tlsPort: 995, banner: 'The postern POP3 service is ready.' });
/** "2GB", "500MB", "10240KB" or a number of octets → octets; 0 means no limit. */
const size = z.union([z.number().int().min(0), z.string()]).transform((v, ctx) => {
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB)?\s*$/i.exec(v);
  if (!m) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a size: write 0, 500MB, 2GB or a number of octets` });
    return z.NEVER;
  }
  const unit = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 }[(m[2] ?? 'B').toUpperCase() as 'B'];
  return Math.round(Number(m[1]) * unit);
});

export const imapSchema = protocolSection({ plainPort: 143, tlsPort: 993, banner: 'The postern IMAP4 service is ready.' }).extend({
  /** How often an idling client hears "* OK Still here" (RFC 2177 clients on NAT'd networks). */
  idleKeepaliveInterval: duration.default(2 * 60_000),
  /** Mailbox size limit (IMAP QUOTA STORAGE, RFC 9208), e.g. "2GB"; 0 = none. */
  storageQuota: size.default(0),
  /** Message count limit (IMAP QUOTA MESSAGE); 0 = none. */
  messageQuota: z.number().int().min(0).default(0),
}).strict();
export type ProtocolSettings = z.infer<typeof pop3Schema>;

// ---- SMTP (issue #4): submission extras, inbound MX, smarthost relay --------------------------

/** Who an authenticated user may name in MAIL FROM and From: (Exchange's Send As). */
export const SEND_AS_POLICIES = ['own', 'fullAccess', 'any'] as const;
export type SendAsPolicy = (typeof SEND_AS_POLICIES)[number];

/** RFC 5321 §4.5.3.1.8 asks for at least 100 recipients per message. */
const maxRecipients = z.number().int().min(1).max(100_000).default(100);

export const submissionSchema = protocolSection({ plainPort: 587, tlsPort: 465, banner: 'The postern SMTP submission service is ready.' }).extend({
  maxRecipients,
  /** own: the user's own addresses; fullAccess: also mailboxes they hold FullAccess on; any: no check. */
  sendAs: z.enum(SEND_AS_POLICIES).default('fullAccess'),
});
export type SubmissionSettings = z.infer<typeof submissionSchema>;

const domainName = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, 'a domain such as example.test')
  .transform((d) => d.toLowerCase());

/** Inbound SMTP (the MX on port 25): off unless this section is present. */
export const smtpSchema = z.object({
  enabled: z.boolean().default(true),
  bindings: z.array(binding).default(['[::]:25', '0.0.0.0:25']),
  banner: z.string().regex(/^[^\r\n]*$/, 'a banner is one line').max(400).default('The postern SMTP service is ready.'),
  maxRecipients,
  /** RFC 5321 §4.5.3.2.7 suggests 5 minutes for the server's timeout. */
  connectionTimeout: duration.default(5 * 60_000),
  protocolLog: z.boolean().default(false),
}).strict();
export type SmtpSettings = z.infer<typeof smtpSchema>;

export const RELAY_SECURITY = ['tls', 'starttls', 'none'] as const;
export type RelaySecurity = (typeof RELAY_SECURITY)[number];

/** The smarthost every non-local recipient is relayed through (seed 001: often implicit TLS only). */
export const relaySchema = z.object({
  host: z.string().min(1),
  /** Default by security: tls 465, starttls 587, none 25. */
  port: z.number().int().min(1).max(65535).optional(),
  /** tls: implicit TLS (465); starttls: STARTTLS required, never a silent plaintext fallback; none: plaintext. */
  security: z.enum(RELAY_SECURITY).default('starttls'),
  auth: z.object({
    username: z.string().min(1),
    password: z.string().optional(),
    /** A file holding the password (first line), relative to the config file. */
    passwordFile: z.string().optional(),
  }).strict().refine((a) => (a.password === undefined) !== (a.passwordFile === undefined), {
    message: 'give relay.auth.password or relay.auth.passwordFile (one of them)',
  }).optional(),
  /** Check the smarthost's certificate against the system CAs (or relay.ca) and its name. */
  verifyCertificate: z.boolean().default(true),
  /** PEM file of CA certificates to trust instead of the system store, relative to the config. */
  ca: z.string().optional(),
  /** Name the certificate must carry; default: host. */
  servername: z.string().optional(),
  /** Waits before each retry; the last one repeats until expiry. */
  retry: z.array(duration).min(1).default([60_000, 5 * 60_000, 15 * 60_000, 30 * 60_000, 3_600_000, 2 * 3_600_000, 4 * 3_600_000]),
  /** A message not delivered within this time is bounced (RFC 5321 §4.5.4.1: 4-5 days). */
  expiry: duration.default(5 * 86_400_000),
  /**
   * Still not delivered after this long: the sender is told once, per recipient, that it is
   * delayed and still being retried (RFC 3464 "delayed"; Exchange's DelayNotificationTimeout,
   * 4 hours). Only for recipients whose NOTIFY includes DELAY or is absent; 0 turns it off.
   */
  delayNotification: duration.default(4 * 3_600_000),
  /** Parallel connections to the smarthost. */
  concurrency: z.number().int().min(1).max(64).default(4),
  connectTimeout: duration.default(30_000),
  /** Per-command timeout (RFC 5321 §4.5.3.2 gives 5 min to 10 min; we are less patient). */
  commandTimeout: duration.default(120_000),
}).strict();
export type RelaySettings = z.infer<typeof relaySchema>;

export const configSchema = z.object({
  hostname: z.string().min(1).regex(/^[A-Za-z0-9.-]+$/, 'a host name such as mail.example.test').optional(),
  /** Data directory, relative to the config file. */
  data: z.string().min(1).optional(),
  store: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('sqlite') }).strict(),
    z.object({ kind: z.literal('postgres'), url: z.string().min(1), schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional() }).strict(),
  ]).default({ kind: 'sqlite' }),
  tls: z.object({
    cert: z.string().optional(),
    key: z.string().optional(),
    minVersion: z.enum(TLS_VERSIONS).default('TLSv1.2'),
    maxVersion: z.enum(TLS_VERSIONS).default('TLSv1.3'),
    /** OpenSSL cipher list for TLS ≤ 1.2; default: Node's. */
    ciphers: z.string().optional(),
  }).strict().refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: 'tls.cert and tls.key go together: name both PEM files, or neither for a self-signed certificate',
  }).default({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' }),
  /** Networks whose clients count as secure without TLS. Empty by default: not even loopback. */
  trustedNetworks: z.array(cidr).default([]),
  auth: z.object({
    /** Domain used for bare SAM-name logins ("alice"); default: any domain, if the name is unique. */
    defaultDomain: z.string().min(1).optional(),
    /** Constant delay before any failed login is answered. */
    failureDelay: duration.default(2000),
    lockout: z.object({
      threshold: z.number().int().min(1).default(5),
      window: duration.default(5 * 60_000),
      duration: duration.default(15 * 60_000),
    }).strict().default({ threshold: 5, window: 300_000, duration: 900_000 }),
    /** Exchange bars admin accounts from POP3 and IMAP; set true to allow them. */
    allowAdminMailAccess: z.boolean().default(false),
    /** Scheme for new password hashes: argon2id (OWASP's first choice) or scrypt. */
    passwordScheme: z.enum(['argon2id', 'scrypt']).default('argon2id'),
    /** argon2id cost; OWASP's minimum is m=19 MiB, t=2, p=1. */
    argon2: z.object({
      memoryKiB: z.number().int().min(1024).default(19456),
      iterations: z.number().int().min(1).default(2),
      parallelism: z.number().int().min(1).default(1),
    }).strict().default({ memoryKiB: 19456, iterations: 2, parallelism: 1 }),
    /** scrypt cost; OWASP's minimum is N=2^17, r=8, p=1. */
    scrypt: z.object({
      logN: z.number().int().min(10).max(22).default(17),
      r: z.number().int().min(1).default(8),
      p: z.number().int().min(1).default(1),
    }).strict().default({ logN: 17, r: 8, p: 1 }),
    /** PBKDF2 iterations for new SCRAM-SHA-256 keys (RFC 7677 minimum 4096). */
    scramIterations: z.number().int().min(4096).default(10_000),
    /** How long a verified password is remembered (as Dovecot's auth_cache_ttl); 0 = never. */
    credentialCacheTtl: duration.default(60 * 60_000),
  }).strict().default({
    failureDelay: 2000, lockout: { threshold: 5, window: 300_000, duration: 900_000 }, allowAdminMailAccess: false,
    passwordScheme: 'argon2id', argon2: { memoryKiB: 19456, iterations: 2, parallelism: 1 }, scrypt: { logN: 17, r: 8, p: 1 }, scramIterations: 10_000, credentialCacheTtl: 3_600_000,
  }),
  limits: z.object({
    /** Longest command line accepted after login; pre-auth lines are capped lower. */
    maxLineLength: z.number().int().min(512).default(65536),
    maxPreAuthLineLength: z.number().int().min(256).default(8192),
    maxConnectionsPerIp: z.number().int().min(1).default(100),
    maxBadCommands: z.number().int().min(1).default(20),
    /** Largest message accepted (APPEND, DATA, deliver). */
    maxMessageSize: z.number().int().min(1024).default(50 * 1024 * 1024),
  }).strict().default({
    maxLineLength: 65536, maxPreAuthLineLength: 8192, maxConnectionsPerIp: 100, maxBadCommands: 20,
    maxMessageSize: 50 * 1024 * 1024,
  }),
  imap: imapSchema.default(imapSchema.parse({})),
  pop3: pop3Schema.default(pop3Schema.parse({})),
  submission: submissionSchema.default(submissionSchema.parse({})),
  smtp: smtpSchema.optional(),
  relay: relaySchema.optional(),
  /** Domains this server is the final destination for, beside the domains of its accounts. */
  acceptedDomains: z.array(domainName).default([]),
  lmtp: z.object({
    enabled: z.boolean().default(true),
    bindings: z.array(binding).default(['127.0.0.1:24']),
    protocolLog: z.boolean().default(false),
  }).strict().default({ enabled: true, bindings: ['127.0.0.1:24'], protocolLog: false }),
}).strict();

export type PosternConfigInput = z.input<typeof configSchema>;
export type PosternConfig = z.output<typeof configSchema>;
