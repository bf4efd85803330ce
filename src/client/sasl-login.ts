// Logging in with SASL, shared by IMAP AUTHENTICATE (RFC 9051 §6.2.2), POP3 AUTH (RFC 5034)
// and SMTP AUTH (RFC 4954). Each protocol frames the exchange its own way (a SaslChannel); the
// mechanism choice, the exchange loop and the OAuth token refresh are the same everywhere.
//
// The choice (wire/sasl's pickMechanism): channel-bound SCRAM, SCRAM, then PLAIN/LOGIN — and
// the cleartext ones, which hand the server a reusable secret, only on an encrypted connection
// or with allowCleartextPassword. Bearer tokens are just as reusable, so the same rule holds.
import { createClientExchange, pickMechanism, type ClientCredentials, type SaslClientExchange } from '../wire/sasl/client.js';
import type { SaslServerError } from '../wire/sasl/client-types.js';
import type { ChannelBinding } from '../wire/sasl/types.js';
import { MailClientError, type MailClientErrorDetails } from './errors.js';

export type SaslServerStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'done'; ok: boolean; text: string; data?: Buffer; details?: MailClientErrorDetails };

export interface SaslChannel {
  /** The start command may carry the initial response (SMTP AUTH, POP3 AUTH, IMAP SASL-IR). */
  readonly initialResponse: boolean;
  /** Longest start command the protocol allows, CRLF included (POP3 255, SMTP 512): a longer
   * initial response is sent as the answer to the server's first, empty challenge instead
   * (RFC 5034 §4, RFC 4954 §4). */
  readonly maxStartLength?: number;
  /** Sends the start command; `initial` is base64, "=" for an empty response, or null. Logs the
   * command with the response redacted. */
  start(mechanism: string, initial: string | null): void;
  /** Sends one base64 response line ("*" cancels); logged as "***". */
  respond(line: string): void;
  next(): Promise<SaslServerStep>;
}

const CLEARTEXT = new Set(['PLAIN', 'LOGIN', 'XOAUTH2', 'OAUTHBEARER']);

export interface MechanismContext {
  encrypted: boolean;
  allowCleartext: boolean;
  channelBinding: ChannelBinding | undefined;
  where: string;
  details: MailClientErrorDetails;
}

/**
 * The mechanism to use, or an error in words. `wanted` forces one (it must be offered and, if
 * cleartext, allowed).
 */
export function chooseMechanism(offered: readonly string[], ctx: MechanismContext, kind: 'password' | 'oauth', wanted?: string): string {
  const upper = offered.map((m) => m.toUpperCase());
  const cleartextOk = ctx.encrypted || ctx.allowCleartext;
  if (wanted) {
    const w = wanted.toUpperCase();
    if (!upper.includes(w)) {
      throw new MailClientError('no-mechanism', `${ctx.where} does not offer ${w} here (it offers ${upper.join(', ') || 'no login mechanism'})`, ctx.details);
    }
    if (CLEARTEXT.has(w) && !cleartextOk) throw cleartextRefused([w], ctx);
    return w;
  }
  const picked = pickMechanism(upper, { hasChannelBinding: ctx.channelBinding !== undefined, allowCleartext: cleartextOk, oauth: kind === 'oauth' });
  if (picked) return picked;
  const usable = kind === 'oauth' ? ['OAUTHBEARER', 'XOAUTH2'] : ['PLAIN', 'LOGIN'];
  const blockedCleartext = upper.filter((m) => usable.includes(m));
  if (blockedCleartext.length > 0 && !cleartextOk) throw cleartextRefused(blockedCleartext, ctx);
  const want = kind === 'oauth' ? 'an OAuth 2.0 token (OAUTHBEARER or XOAUTH2)' : 'a password';
  if (upper.length === 0) {
    return throwNoMechanism(`${ctx.where} offers no login mechanism on this connection${ctx.encrypted ? '' : ' (servers often offer them only after STARTTLS)'}`, ctx);
  }
  return throwNoMechanism(`none of the mechanisms ${ctx.where} offers (${upper.join(', ')}) works with ${want}`, ctx);
}

function throwNoMechanism(text: string, ctx: MechanismContext): never {
  throw new MailClientError('no-mechanism', text, ctx.details);
}

export function cleartextRefused(mechanisms: string[], ctx: MechanismContext): MailClientError {
  return new MailClientError(
    'cleartext-refused',
    `${ctx.where} offers only ${mechanisms.join(', ')} on this unencrypted connection, which would send the secret in clear; use security 'tls' or 'starttls', or set allowCleartextPassword: true if you accept that`,
    ctx.details,
  );
}

export interface ExchangeResult {
  ok: boolean;
  text: string;
  mechanism: string;
  serverError: SaslServerError | null;
  details?: MailClientErrorDetails;
}

/** Runs one exchange over `channel`. */
export async function runExchange(channel: SaslChannel, exchange: SaslClientExchange): Promise<ExchangeResult> {
  let initial: string | null = null;
  let deferred: string | null = null;
  if (channel.initialResponse) {
    const ir = exchange.initialResponse();
    // RFC 4954 §4: "=" stands for an empty initial response.
    if (ir !== null) initial = ir.length === 0 ? '=' : ir.toString('base64');
    const max = channel.maxStartLength;
    if (initial !== null && max !== undefined && `AUTH ${exchange.mechanism} ${initial}\r\n`.length > max) {
      deferred = initial === '=' ? '' : initial;
      initial = null;
    }
  }
  channel.start(exchange.mechanism, initial);
  for (let round = 0; round < 16; round++) {
    const step = await channel.next();
    if (step.kind === 'challenge' && deferred !== null) {
      channel.respond(deferred);
      deferred = null;
      continue;
    }
    if (step.kind === 'done') {
      if (!step.ok) return { ok: false, text: step.text, mechanism: exchange.mechanism, serverError: exchange.serverError, ...(step.details && { details: step.details }) };
      const fin = exchange.finish(step.data);
      if (fin.type === 'error') {
        // SCRAM: the server said yes without proving it knows our key — not the real server.
        return { ok: false, text: `${step.text} — but ${fin.message}`, mechanism: exchange.mechanism, serverError: { message: fin.message, tokenRejected: false } };
      }
      return { ok: true, text: step.text, mechanism: exchange.mechanism, serverError: null };
    }
    const next = exchange.step(step.data);
    if (next.type === 'respond') channel.respond(next.data.toString('base64'));
    else if (next.type === 'done') channel.respond('');
    else channel.respond('*'); // cancel (RFC 4954 §4, RFC 9051 §6.2.2); the server then fails the command
  }
  return { ok: false, text: 'the SASL exchange did not end after 16 rounds', mechanism: exchange.mechanism, serverError: null };
}

export function makeExchange(mechanism: string, creds: ClientCredentials, ctx: MechanismContext): SaslClientExchange {
  const exchange = createClientExchange(mechanism, { ...creds, ...(ctx.channelBinding && { channelBinding: ctx.channelBinding }) });
  if (!exchange) throw new MailClientError('no-mechanism', `${mechanism} cannot be used with these credentials`, ctx.details);
  return exchange;
}

/** The error for a failed login, with the server's reason when it gave one. */
export function authFailed(result: ExchangeResult, ctx: MechanismContext, user: string): MailClientError {
  const why = result.serverError?.message ?? result.text;
  return new MailClientError('auth-failed', `${ctx.where} refused the login of ${user} with ${result.mechanism}: ${why}`, {
    ...ctx.details,
    ...result.details,
    command: `AUTHENTICATE ${result.mechanism}`,
    response: result.text,
  });
}

/** A token, or a function that returns one; called again (with { expired: true }) when the
 * server says the token it got has expired or was revoked. */
export type TokenSource = string | ((info: { expired: boolean; attempt: number }) => string | Promise<string>);

/**
 * OAuth 2.0 login with one refresh: when the server rejects the token (RFC 7628 §3.2.2
 * invalid_token, Google's 401) and the caller gave a function, it is asked for a fresh token
 * and the login is tried once more.
 */
export async function oauthLogin(tokens: TokenSource, attempt: (token: string) => Promise<ExchangeResult>, ctx: MechanismContext, user: string): Promise<ExchangeResult> {
  const get = async (expired: boolean, n: number): Promise<string> => {
    const t = typeof tokens === 'string' ? tokens : await tokens({ expired, attempt: n });
    if (typeof t !== 'string' || t.length === 0) throw new TypeError('the token source gave no token');
    return t;
  };
  let result = await attempt(await get(false, 1));
  if (result.ok) return result;
  const rejected = result.serverError?.tokenRejected ?? false;
  if (rejected && typeof tokens === 'function') {
    result = await attempt(await get(true, 2));
    if (result.ok) return result;
  }
  if (result.serverError?.tokenRejected) {
    const hint = typeof tokens === 'function' ? 'a fresh token was refused as well' : 'pass a function that returns a fresh token to refresh it automatically';
    throw new MailClientError('token-rejected', `${ctx.where} refused the OAuth 2.0 token for ${user} (${result.serverError.message}); ${hint}`, {
      ...ctx.details,
      command: `AUTHENTICATE ${result.mechanism}`,
      response: result.text,
    });
  }
  throw authFailed(result, ctx, user);
}
