// `postern settings get|set PROTOCOL`: the config sections in the shape Exchange admins know
// from Get-PopSettings / Set-ImapSettings. `set` edits postern.yaml in place (comments kept),
// validating the whole file first; a running server picks the change up for new connections.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseDocument, type Document } from 'yaml';
import { validateConfig, type LoadedConfig } from '../config/load.js';
import { formatExchangeDuration } from '../config/duration.js';
import type { PosternConfig, ProtocolName, ProtocolSettings } from '../config/schema.js';
import { certificateName } from '../net/certificate.js';
import { AdminError } from './accounts.js';

const PROTOCOL_LABEL: Record<ProtocolName, string> = { imap: 'IMAP4', pop3: 'POP3', submission: 'SMTP Submission', smtp: 'SMTP', lmtp: 'LMTP' };

export function isProtocolName(p: string): p is ProtocolName {
  return p in PROTOCOL_LABEL;
}

/** Get-PopSettings' fields, in its order. */
export function protocolSettingsView(loaded: LoadedConfig, protocol: ProtocolName, certPem: string | null): Record<string, unknown> {
  const config = loaded.config;
  const cert = certPem ? safeCertName(certPem) : loaded.hostname;
  if (protocol === 'lmtp') {
    return { ProtocolName: 'LMTP', Enabled: config.lmtp.enabled, Bindings: config.lmtp.bindings, ProtocolLogEnabled: config.lmtp.protocolLog };
  }
  if (protocol === 'smtp') {
    // The inbound MX (issue #4): present only when configured.
    const m = config.smtp;
    if (!m) throw new AdminError('smtp (the inbound MX on port 25) is not configured: add an smtp: section with bindings to postern.yaml.');
    return {
      ProtocolName: 'SMTP', Enabled: m.enabled, Bindings: m.bindings, X509CertificateName: cert, Banner: m.banner,
      MaxRecipientsPerMessage: m.maxRecipients, ConnectionTimeout: formatExchangeDuration(m.connectionTimeout), ProtocolLogEnabled: m.protocolLog,
    };
  }
  const section = sectionOf(config, protocol);
  if (!section) throw new AdminError(`${protocol} is not configured in this build: set one of imap, pop3, submission, lmtp.`);
  return {
    ProtocolName: PROTOCOL_LABEL[protocol],
    Enabled: section.enabled,
    UnencryptedOrTLSBindings: section.unencryptedOrTLSBindings,
    SSLBindings: section.sslBindings,
    X509CertificateName: cert,
    Banner: section.banner,
    LoginType: section.loginType,
    AuthenticatedConnectionTimeout: formatExchangeDuration(section.authenticatedConnectionTimeout),
    PreAuthenticatedConnectionTimeout: formatExchangeDuration(section.preAuthenticatedConnectionTimeout),
    ProtocolLogEnabled: section.protocolLog,
    MaxConnectionsPerUserIp: section.maxConnectionsPerUserIp,
  };
}

function sectionOf(config: PosternConfig, protocol: ProtocolName): ProtocolSettings | undefined {
  return (config as unknown as Record<string, ProtocolSettings | undefined>)[protocol];
}

function safeCertName(pem: string): string {
  try {
    return certificateName(pem);
  } catch {
    return '';
  }
}

/** PowerShell's Format-List look: names padded to one column. */
export function formatList(view: Record<string, unknown>): string {
  const width = Math.max(...Object.keys(view).map((k) => k.length));
  return Object.entries(view).map(([k, v]) => `${k.padEnd(width)} : ${formatValue(v)}`).join('\n') + '\n';
}

function formatValue(v: unknown): string {
  if (Array.isArray(v)) return `{${v.join(', ')}}`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/** Coerces a CLI string to the type the schema expects for this key. */
function coerce(key: string, value: string): unknown {
  if (/^(true|false)$/i.test(value) && ['enabled', 'protocolLog'].includes(key)) return value.toLowerCase() === 'true';
  if (['unencryptedOrTLSBindings', 'sslBindings', 'bindings'].includes(key)) {
    return value.trim() === '' ? [] : value.split(',').map((s) => s.trim()).filter(Boolean);
  }
  if ((key === 'maxConnectionsPerUserIp' || key === 'maxRecipients') && /^\d+$/.test(value)) return Number(value);
  return value;
}

/** Applies `--kebab-key value` changes to one section of the config file, validated as a whole. */
export function setProtocolSettings(loaded: LoadedConfig, protocol: ProtocolName, changes: Record<string, string>): string {
  if (Object.keys(changes).length === 0) throw new AdminError('Nothing to change: give at least one setting, e.g. --login-type SecureLogin.');
  const path = loaded.configPath ?? join(loaded.dataDir, 'postern.yaml');
  const doc: Document = existsSync(path) ? parseDocument(readFileSync(path, 'utf8')) : parseDocument('{}\n');
  if (doc.errors.length) throw new AdminError(`${path} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  if (doc.contents === null) doc.contents = doc.createNode({}) as never;
  for (const [key, value] of Object.entries(changes)) doc.setIn([protocol, key], coerce(key, value));
  validateConfig(doc.toJS(), path);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path + '.tmp', doc.toString());
  renameSync(path + '.tmp', path);
  return path;
}

/** "login-type" → "loginType", with Exchange's capitalised acronyms kept ("ssl-bindings" → "sslBindings"). */
export function camelKey(kebab: string): string {
  const special: Record<string, string> = {
    'unencrypted-or-tls-bindings': 'unencryptedOrTLSBindings',
    'ssl-bindings': 'sslBindings',
  };
  return special[kebab] ?? kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
