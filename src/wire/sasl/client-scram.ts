/**
 * SCRAM, client side (RFC 5802, RFC 7677; channel binding per RFC 5929 / RFC 9266).
 *
 * The client proves it knows the password and, in the last step, makes the server prove it
 * knows the stored keys (the server signature). Success reported without that proof means a
 * fake server, so finish() refuses it.
 */
import { randomBytes } from 'node:crypto';
import type { ClientStep, SaslClientExchange, SaslServerError } from './client-types.js';
import { clientProof, keysFromSaltedPassword, safeEqual, saltedPassword, serverSignature } from './scram-crypto.js';
import {
  decodeScramText,
  formatClientFinalWithoutProof,
  formatClientFirstBare,
  formatGs2Header,
  isValidNonce,
  parseServerFinal,
  parseServerFirst,
  type CbFlag,
} from './scram-messages.js';
import { preparePassword, saslprep } from './saslprep.js';
import type { ChannelBinding, ScramHash } from './types.js';

/**
 * A server picks the iteration count and the client pays for it: a hostile server could ask for
 * billions. This bounds the work one login can cost (RFC 5802 §9 leaves the limit to the client).
 */
export const MAX_CLIENT_ITERATIONS = 1_000_000;

export interface ScramClientOptions {
  hash: ScramHash;
  plus: boolean;
  username: string;
  password: string;
  authzid?: string;
  /** Required for -PLUS; for the non-PLUS variant its presence makes the gs2 flag "y". */
  channelBinding?: ChannelBinding;
  nonce?: () => string;
}

export function scramMechanismName(hash: ScramHash, plus: boolean): string {
  const base = `SCRAM-${hash === 'sha1' ? 'SHA-1' : hash === 'sha256' ? 'SHA-256' : 'SHA-512'}`;
  return plus ? `${base}-PLUS` : base;
}

const SERVER_ERROR_TEXT: Record<string, string> = {
  'invalid-proof': 'wrong user name or password',
  'unknown-user': 'wrong user name or password',
  'channel-bindings-dont-match': 'the TLS channel binding does not match: someone may be intercepting the connection',
  'server-does-support-channel-binding': 'the server supports channel binding: someone may have removed it from the mechanism list',
  'channel-binding-not-supported': 'the server does not support channel binding',
  'unsupported-channel-binding-type': 'the server does not support this channel binding type',
  'extensions-not-supported': 'the server does not support a SCRAM extension the client used',
  'invalid-encoding': 'the server could not parse the SCRAM message',
  'invalid-username-encoding': 'the server could not parse the user name',
  'no-resources': 'the server is out of resources',
};

type State =
  | { kind: 'initial' }
  | { kind: 'first-sent' }
  | { kind: 'final-sent'; expectedSignature: Buffer }
  | { kind: 'verified'; signature: Buffer }
  | { kind: 'ended' };

export class ScramClientExchange implements SaslClientExchange {
  readonly mechanism: string;
  serverError: SaslServerError | null = null;
  private state: State = { kind: 'initial' };
  private readonly gs2Header: string;
  private readonly clientFirstBare: string;
  private readonly clientNonce: string;

  constructor(private readonly options: ScramClientOptions) {
    this.mechanism = scramMechanismName(options.hash, options.plus);
    if (options.plus && !options.channelBinding) throw new TypeError(`${this.mechanism} needs the connection's channel binding`);
    // RFC 5802 §6: "p" uses channel binding; "y" says the client could but believes the server
    // cannot (it did not offer -PLUS), so a server that does can detect the downgrade; "n" no support.
    const flag: CbFlag = options.plus ? 'p' : options.channelBinding ? 'y' : 'n';
    this.gs2Header = formatGs2Header(flag, options.plus ? (options.channelBinding?.type ?? null) : null, options.authzid ?? '');
    this.clientNonce = (options.nonce ?? (() => randomBytes(18).toString('base64')))();
    if (!isValidNonce(this.clientNonce)) throw new TypeError('SCRAM client nonce must be printable ASCII without ","');
    // RFC 5802 §5.1: the client SHOULD SASLprep the username as a query string.
    const prepared = saslprep(options.username, { allowUnassigned: true });
    this.clientFirstBare = formatClientFirstBare(prepared.ok ? prepared.value : options.username, this.clientNonce);
  }

  private clientFirst(): Buffer {
    return Buffer.from(this.gs2Header + this.clientFirstBare, 'utf8');
  }

  initialResponse(): Buffer {
    if (this.state.kind === 'initial') this.state = { kind: 'first-sent' };
    return this.clientFirst();
  }

  step(serverData: Buffer): ClientStep {
    const state = this.state;
    switch (state.kind) {
      case 'initial':
        // No SASL-IR: the server's first challenge is empty, answered with client-first.
        if (serverData.length !== 0) return this.error(`${this.mechanism}: the server sent data before the client's first message`);
        this.state = { kind: 'first-sent' };
        return { type: 'respond', data: this.clientFirst() };
      case 'first-sent':
        return this.onServerFirst(serverData);
      case 'final-sent': {
        const verdict = this.verifyServerFinal(serverData, state.expectedSignature);
        if (verdict.type !== 'done') return verdict;
        // The server-final-message came as a challenge: answer it with an empty response.
        this.state = { kind: 'verified', signature: state.expectedSignature };
        return { type: 'respond', data: Buffer.alloc(0) };
      }
      case 'verified':
        return this.error(`${this.mechanism}: unexpected challenge after the server's signature`);
      case 'ended':
        return this.error(`${this.mechanism} exchange is already complete`);
    }
  }

  finish(additionalData?: Buffer): ClientStep {
    const state = this.state;
    const hasData = additionalData !== undefined && additionalData.length > 0;
    if (state.kind === 'final-sent') {
      if (!hasData) return this.error('the server reported success without proving it knows the password: it may be a fake server');
      const verdict = this.verifyServerFinal(additionalData, state.expectedSignature);
      if (verdict.type === 'done') this.state = { kind: 'ended' };
      return verdict;
    }
    if (state.kind === 'verified') {
      // Already verified from a challenge; success data, if any, must be the same proof.
      if (hasData) {
        const verdict = this.verifyServerFinal(additionalData, state.signature);
        if (verdict.type !== 'done') return verdict;
      }
      this.state = { kind: 'ended' };
      return { type: 'done' };
    }
    if (state.kind === 'ended') return this.error(`${this.mechanism} exchange is already complete`);
    return this.error('the server reported success before the SCRAM exchange completed: it may be a fake server');
  }

  private onServerFirst(data: Buffer): ClientStep {
    const text = decodeScramText(data);
    if (!text.ok) return this.error(`${this.mechanism}: ${text.message}`);
    const parsed = parseServerFirst(text.value);
    if (!parsed.ok) return this.error(`${this.mechanism}: ${parsed.message}`);
    const { nonce, salt, iterations } = parsed.value;
    // RFC 5802 §5.1 "r": the server's nonce starts with ours and adds its own part.
    if (!nonce.startsWith(this.clientNonce) || nonce.length === this.clientNonce.length) {
      return this.error(`${this.mechanism}: the server's nonce does not extend the client's`);
    }
    if (iterations > MAX_CLIENT_ITERATIONS) {
      return this.error(`${this.mechanism}: the server asks for ${iterations} iterations, more than the ${MAX_CLIENT_ITERATIONS} allowed`);
    }
    const { hash } = this.options;
    const keys = keysFromSaltedPassword(hash, saltedPassword(hash, preparePassword(this.options.password), salt, iterations));
    const gs2 = Buffer.from(this.gs2Header, 'utf8');
    const cbInput = this.options.plus && this.options.channelBinding ? Buffer.concat([gs2, this.options.channelBinding.data]) : gs2;
    const withoutProof = formatClientFinalWithoutProof(cbInput, nonce);
    const authMessage = `${this.clientFirstBare},${text.value},${withoutProof}`;
    const proof = clientProof(hash, keys, authMessage);
    this.state = { kind: 'final-sent', expectedSignature: serverSignature(hash, keys.serverKey, authMessage) };
    return { type: 'respond', data: Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8') };
  }

  /** Checks a server-final-message; returns done when the signature matches. Does not change state on success. */
  private verifyServerFinal(data: Buffer, expected: Buffer): ClientStep {
    const text = decodeScramText(data);
    if (!text.ok) return this.error(`${this.mechanism}: ${text.message}`);
    const parsed = parseServerFinal(text.value);
    if (!parsed.ok) return this.error(`${this.mechanism}: ${parsed.message}`);
    if (parsed.value.kind === 'error') {
      const value = parsed.value.error;
      this.serverError = { message: SERVER_ERROR_TEXT[value] ?? `the server refused the login (${value})`, status: value, tokenRejected: false };
      return this.error(this.serverError.message);
    }
    if (!safeEqual(parsed.value.signature, expected)) {
      return this.error('the server signature is wrong: the server does not know the password, it may be a fake server');
    }
    return { type: 'done' };
  }

  private error(message: string): ClientStep {
    this.state = { kind: 'ended' };
    return { type: 'error', message };
  }
}
