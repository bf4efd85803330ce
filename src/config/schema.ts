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
export const imapSchema = protocolSection({ plainPort: 143, tlsPort: 993, banner: 'The postern IMAP4 service is ready.' });
export const submissionSchema = protocolSection({ plainPort: 587, tlsPort: 465, banner: 'The postern SMTP submission service is ready.' });
export type ProtocolSettings = z.infer<typeof pop3Schema>;

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
  lmtp: z.object({
    enabled: z.boolean().default(true),
    bindings: z.array(binding).default(['127.0.0.1:24']),
    protocolLog: z.boolean().default(false),
  }).strict().default({ enabled: true, bindings: ['127.0.0.1:24'], protocolLog: false }),
}).strict();

export type PosternConfigInput = z.input<typeof configSchema>;
export type PosternConfig = z.output<typeof configSchema>;
