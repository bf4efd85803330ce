/**
 * SCRAM, server side (RFC 5802, RFC 7677 for SHA-256, RFC 9266 / RFC 5929 channel bindings).
 *
 * Flow: step(client-first) → need-scram-credentials → provideScramCredentials() → challenge
 * (server-first) → step(client-final) → success with the server-final-message, or failure.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { DEFAULT_SALT_LENGTH, DEFAULT_SCRAM_ITERATIONS, type ScramCredentials } from './credentials.js';
import { HASH_LENGTH, safeEqual, serverSignature, verifyClientProof } from './scram-crypto.js';
import {
  decodeScramText,
  formatServerFinal,
  formatServerFirst,
  isValidNonce,
  parseClientFinal,
  parseClientFirst,
  type ClientFirstMessage,
  type CodecResult,
} from './scram-messages.js';
import { saslprep } from './saslprep.js';
import { AUTH_FAILED_MESSAGE, failure, type SaslFailureReason, type SaslServerExchange, type ServerStep } from './server-types.js';
import type { ChannelBinding, ScramHash } from './types.js';

export interface ScramServerOptions {
  hash: ScramHash;
  /** The -PLUS variant: channel binding is required and `channelBinding` must be given. */
  plus: boolean;
  /**
   * The TLS connection's channel binding. For the non-PLUS variant its presence means the server
   * offers -PLUS on this connection, so a client's "y" flag signals a downgrade (RFC 5802 §6).
   */
  channelBinding?: ChannelBinding;
  /** The server's part of the nonce (printable ASCII without ","); random by default. */
  nonce?: () => string;
  /** Salt shown for an unknown user; must be stable per name. Default: HMAC of the name with a per-process key. */
  fakeSalt?: (authcid: string) => Buffer;
  /** Iteration count shown for an unknown user; default DEFAULT_SCRAM_ITERATIONS. */
  fakeIterations?: number;
}

// One random key per process: a fake salt is stable for a name for the process lifetime. A
// caller that needs stability across restarts passes fakeSalt with a persistent secret.
const FAKE_SALT_KEY = randomBytes(32);
function defaultFakeSalt(authcid: string): Buffer {
  return createHmac('sha256', FAKE_SALT_KEY).update(authcid, 'utf8').digest().subarray(0, DEFAULT_SALT_LENGTH);
}

function defaultNonce(): string {
  return randomBytes(18).toString('base64');
}

type State =
  | { kind: 'start' }
  | { kind: 'awaiting-client-first' }
  | { kind: 'awaiting-credentials'; first: ClientFirstMessage; authcid: string }
  | {
      kind: 'awaiting-client-final';
      first: ClientFirstMessage;
      authcid: string;
      serverFirst: string;
      nonce: string;
      storedKey: Buffer;
      serverKey: Buffer;
      knownUser: boolean;
    }
  | { kind: 'done' };

export class ScramServerExchange implements SaslServerExchange {
  readonly mechanism: string;
  private state: State = { kind: 'start' };

  constructor(private readonly options: ScramServerOptions) {
    const base = `SCRAM-${options.hash === 'sha1' ? 'SHA-1' : options.hash === 'sha256' ? 'SHA-256' : 'SHA-512'}`;
    this.mechanism = options.plus ? `${base}-PLUS` : base;
    if (options.plus && !options.channelBinding) throw new TypeError(`${this.mechanism} needs the connection's channel binding`);
  }

  step(clientData: Buffer | null): ServerStep {
    const state = this.state;
    switch (state.kind) {
      case 'start':
        if (clientData === null) {
          // No initial response: RFC 4422 §5 — send an empty challenge for the client-first-message.
          this.state = { kind: 'awaiting-client-first' };
          return { type: 'challenge', data: Buffer.alloc(0) };
        }
        return this.onClientFirst(clientData);
      case 'awaiting-client-first':
        return clientData === null ? this.fail('malformed', 'response missing') : this.onClientFirst(clientData);
      case 'awaiting-credentials':
        return this.fail('malformed', 'a response arrived before the server looked up the credentials');
      case 'awaiting-client-final':
        return clientData === null ? this.fail('malformed', 'response missing') : this.onClientFinal(state, clientData);
      case 'done':
        return this.fail('malformed', `${this.mechanism} exchange is already complete`);
    }
  }

  provideScramCredentials(creds: ScramCredentials | null): ServerStep {
    const state = this.state;
    if (state.kind !== 'awaiting-credentials') return this.fail('malformed', 'SCRAM credentials were not asked for');
    const hashLength = HASH_LENGTH[this.options.hash];
    let salt: Buffer;
    let iterations: number;
    let storedKey: Buffer;
    let serverKey: Buffer;
    if (creds === null) {
      // Unknown user: show a salt and count that look like a real account's and fail only at the
      // proof, with keys nobody can match (RFC 5802 §9 / §5.1 "unknown-user" is thus never sent).
      salt = (this.options.fakeSalt ?? defaultFakeSalt)(state.authcid);
      iterations = this.options.fakeIterations ?? DEFAULT_SCRAM_ITERATIONS;
      storedKey = randomBytes(hashLength);
      serverKey = randomBytes(hashLength);
    } else {
      if (creds.storedKey.length !== hashLength || creds.serverKey.length !== hashLength) {
        return this.fail('unsupported', `the stored credentials are not ${this.mechanism} credentials`);
      }
      if (creds.salt.length === 0 || !Number.isSafeInteger(creds.iterations) || creds.iterations < 1) {
        return this.fail('unsupported', 'the stored SCRAM credentials are invalid');
      }
      ({ salt, iterations, storedKey, serverKey } = creds);
    }
    const serverNonce = (this.options.nonce ?? defaultNonce)();
    if (!isValidNonce(serverNonce)) throw new TypeError('SCRAM server nonce must be printable ASCII without ","');
    const nonce = state.first.nonce + serverNonce;
    const serverFirst = formatServerFirst(nonce, salt, iterations);
    this.state = {
      kind: 'awaiting-client-final',
      first: state.first,
      authcid: state.authcid,
      serverFirst,
      nonce,
      storedKey,
      serverKey,
      knownUser: creds !== null,
    };
    return { type: 'challenge', data: Buffer.from(serverFirst, 'utf8') };
  }

  private onClientFirst(data: Buffer): ServerStep {
    const parsed = parseText(data, parseClientFirst);
    if (!parsed.ok) return this.codecFailure(parsed);
    const first = parsed.value;
    const cbProblem = this.checkChannelBindingFlag(first);
    if (cbProblem !== null) return this.fail('channel-binding', cbProblem);
    // RFC 5802 §5.1: the server MUST SASLprep the username as a query string (or compare
    // SASLprep-aware), and SHOULD abort when that fails or yields an empty string.
    const prepared = saslprep(first.username, { allowUnassigned: true });
    if (!prepared.ok || prepared.value === '') return this.fail('malformed', 'the user name is not a valid SASLprep string');
    this.state = { kind: 'awaiting-credentials', first, authcid: prepared.value };
    return { type: 'need-scram-credentials', authcid: prepared.value, authzid: first.gs2.authzid };
  }

  /** RFC 5802 §6: which gs2 flags this mechanism accepts on this connection. */
  private checkChannelBindingFlag(first: ClientFirstMessage): string | null {
    const { cbFlag, cbName } = first.gs2;
    const cb = this.options.channelBinding;
    if (this.options.plus) {
      if (cbFlag !== 'p') return `${this.mechanism} requires channel binding, but the client did not use it`;
      if (cbName !== cb?.type) return `channel binding type "${cbName}" is not supported here; use "${cb?.type}"`;
      return null;
    }
    if (cbFlag === 'p') return `the client asked for channel binding with ${this.mechanism}; use ${this.mechanism}-PLUS`;
    // "y": the client supports channel binding but believes the server does not. When this server
    // does offer -PLUS, someone removed it from the mechanism list: a downgrade attack.
    if (cbFlag === 'y' && cb !== undefined) return `the server supports channel binding (${this.mechanism}-PLUS): possible downgrade attack`;
    return null;
  }

  private onClientFinal(state: Extract<State, { kind: 'awaiting-client-final' }>, data: Buffer): ServerStep {
    const parsed = parseText(data, parseClientFinal);
    if (!parsed.ok) return this.codecFailure(parsed);
    const final = parsed.value;
    if (final.nonce !== state.nonce) return this.fail('malformed', 'the client-final-message carries the wrong nonce');
    // c= must be base64(gs2-header [+ cb-data]) (RFC 5802 §7 channel-binding).
    const gs2 = Buffer.from(state.first.gs2.text, 'utf8');
    const expected = state.first.gs2.cbFlag === 'p' && this.options.channelBinding
      ? Buffer.concat([gs2, this.options.channelBinding.data])
      : gs2;
    if (!safeEqual(final.channelBinding, expected)) {
      return this.fail('channel-binding', 'channel binding data does not match this connection');
    }
    const authMessage = `${state.first.bare},${state.serverFirst},${final.withoutProof}`;
    const proofOk = verifyClientProof(this.options.hash, state.storedKey, final.proof, authMessage);
    if (!proofOk || !state.knownUser) {
      return this.fail(state.knownUser ? 'bad-proof' : 'unknown-user', AUTH_FAILED_MESSAGE);
    }
    this.state = { kind: 'done' };
    const signature = serverSignature(this.options.hash, state.serverKey, authMessage);
    return {
      type: 'success',
      authcid: state.authcid,
      authzid: state.first.gs2.authzid,
      additionalData: Buffer.from(formatServerFinal(signature), 'utf8'),
    };
  }

  private codecFailure(result: Extract<CodecResult<unknown>, { ok: false }>): ServerStep {
    return this.fail(result.error === 'extension' ? 'unsupported' : 'malformed', result.message);
  }

  private fail(reason: SaslFailureReason, message: string): ServerStep {
    this.state = { kind: 'done' };
    return failure(reason, message);
  }
}

function parseText<T>(data: Buffer, parse: (text: string) => CodecResult<T>): CodecResult<T> {
  const text = decodeScramText(data);
  return text.ok ? parse(text.value) : text;
}
