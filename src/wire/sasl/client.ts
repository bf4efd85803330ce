/**
 * SASL client side: mechanism choice and exchange creation for the client library (IMAP, POP3,
 * SMTP). Pure state machines; the protocol code does base64 and the transport.
 */
import { CramMd5ClientExchange } from './client-cram-md5.js';
import { ExternalClientExchange } from './client-external.js';
import { LoginClientExchange } from './client-login.js';
import { OauthbearerClientExchange } from './client-oauthbearer.js';
import { PlainClientExchange } from './client-plain.js';
import { ScramClientExchange } from './client-scram.js';
import { Xoauth2ClientExchange } from './client-xoauth2.js';
import type { ClientCredentials, SaslClientExchange } from './client-types.js';
import type { ScramHash } from './types.js';

export type { ClientStep, SaslClientExchange, SaslServerError, ClientCredentials } from './client-types.js';
export type { ChannelBinding } from './types.js';

/**
 * Password mechanisms, strongest first: channel-bound SCRAM (defeats a man in the middle even
 * with a mis-issued certificate), then SCRAM (password never sent), then the cleartext ones.
 * CRAM-MD5 is supported but never chosen automatically (RFC 6331: historic, needs
 * plaintext-equivalent storage, open to offline dictionary attacks).
 */
export const CLIENT_PREFERENCE: readonly string[] = Object.freeze([
  'SCRAM-SHA-512-PLUS',
  'SCRAM-SHA-256-PLUS',
  'SCRAM-SHA-1-PLUS',
  'SCRAM-SHA-512',
  'SCRAM-SHA-256',
  'SCRAM-SHA-1',
  'PLAIN',
  'LOGIN',
]);

/** Token mechanisms, for when the caller has an OAuth 2.0 bearer token instead of a password. */
export const OAUTH_PREFERENCE: readonly string[] = Object.freeze(['OAUTHBEARER', 'XOAUTH2']);

/** Mechanisms that hand the server a reusable secret in clear (password or bearer token). */
const CLEARTEXT = new Set(['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2']);

/**
 * Chooses the strongest offered mechanism we can use. Names compare case-insensitively; the
 * result is upper-case. -PLUS needs channel binding; cleartext mechanisms (and bearer tokens,
 * which are just as reusable) need allowCleartext, i.e. a TLS connection or explicit consent.
 */
export function pickMechanism(
  offered: readonly string[],
  options: { hasChannelBinding: boolean; allowCleartext: boolean; oauth?: boolean },
): string | null {
  const available = new Set(offered.map((m) => m.toUpperCase()));
  const candidates = options.oauth ? OAUTH_PREFERENCE : CLIENT_PREFERENCE;
  for (const name of candidates) {
    if (!available.has(name)) continue;
    if (name.endsWith('-PLUS') && !options.hasChannelBinding) continue;
    if (CLEARTEXT.has(name) && !options.allowCleartext) continue;
    return name;
  }
  return null;
}

const SCRAM = /^SCRAM-SHA-(1|256|512)(-PLUS)?$/;

/**
 * Starts an exchange for `mechanism` (case-insensitive). Returns null when the mechanism is
 * unknown or the credentials it needs are missing: a password (PLAIN, LOGIN, SCRAM, CRAM-MD5),
 * a token (XOAUTH2, OAUTHBEARER), or channel binding (-PLUS).
 */
export function createClientExchange(mechanism: string, creds: ClientCredentials): SaslClientExchange | null {
  const name = mechanism.toUpperCase();
  const { username, password, token } = creds;
  const scram = SCRAM.exec(name);
  if (scram) {
    const plus = scram[2] !== undefined;
    if (password === undefined || (plus && !creds.channelBinding)) return null;
    const hash: ScramHash = scram[1] === '1' ? 'sha1' : scram[1] === '256' ? 'sha256' : 'sha512';
    return new ScramClientExchange({
      hash,
      plus,
      username,
      password,
      ...(creds.authzid !== undefined && { authzid: creds.authzid }),
      ...(creds.channelBinding !== undefined && { channelBinding: creds.channelBinding }),
      ...(creds.nonce !== undefined && { nonce: creds.nonce }),
    });
  }
  switch (name) {
    case 'PLAIN':
      return password === undefined ? null : new PlainClientExchange({ username, password, ...(creds.authzid !== undefined && { authzid: creds.authzid }) });
    case 'LOGIN':
      return password === undefined ? null : new LoginClientExchange({ username, password, initialResponse: creds.loginInitialResponse ?? false });
    case 'CRAM-MD5':
      return password === undefined ? null : new CramMd5ClientExchange({ username, password });
    case 'XOAUTH2':
      return token === undefined ? null : new Xoauth2ClientExchange({ username, token });
    case 'OAUTHBEARER':
      return token === undefined
        ? null
        : new OauthbearerClientExchange({
            // RFC 7628 §3.1 puts the user in the gs2 authzid; servers (Gmail, Dovecot) expect it there.
            authzid: creds.authzid ?? username,
            token,
            ...(creds.host !== undefined && { host: creds.host }),
            ...(creds.port !== undefined && { port: creds.port }),
          });
    case 'EXTERNAL':
      return new ExternalClientExchange(creds.authzid ?? '');
    default:
      return null;
  }
}
