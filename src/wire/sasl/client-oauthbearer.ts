/**
 * OAUTHBEARER, client side (RFC 7628 §3.1):
 *   gs2-header kvsep *(key "=" value kvsep) kvsep, with kvsep = %x01,
 * e.g. "n,a=user@example.com,^Ahost=server.example.com^Aport=143^Aauth=Bearer TOKEN^A^A".
 * On a refused token the server sends an error JSON challenge (§3.2.2) and the client MUST
 * answer with a single %x01 (§3.2.3) before the server fails the exchange.
 */
import { OneShotClientExchange } from './client-one-shot.js';
import type { ClientStep } from './client-types.js';
import { parseOAuthErrorChallenge } from './oauth-error.js';
import { formatGs2Header } from './scram-messages.js';

export function formatOauthbearerMessage(opts: { authzid: string; token: string; host?: string; port?: number }): Buffer {
  // No channel binding: OAUTHBEARER's gs2 flag is "n" (RFC 7628 §3.1, no -PLUS variant exists).
  let text = `${formatGs2Header('n', null, opts.authzid)}\x01`;
  if (opts.host !== undefined) text += `host=${opts.host}\x01`;
  if (opts.port !== undefined) text += `port=${opts.port}\x01`;
  text += `auth=Bearer ${opts.token}\x01\x01`;
  return Buffer.from(text, 'utf8');
}

export class OauthbearerClientExchange extends OneShotClientExchange {
  readonly mechanism = 'OAUTHBEARER';
  private errorAnswered = false;

  constructor(private readonly opts: { authzid: string; token: string; host?: string; port?: number }) {
    super();
  }

  protected message(): Buffer {
    return formatOauthbearerMessage(this.opts);
  }

  protected override onChallengeAfterMessage(serverData: Buffer): ClientStep {
    if (this.errorAnswered) return this.error(this.serverError?.message ?? 'OAUTHBEARER: unexpected challenge');
    this.errorAnswered = true;
    this.serverError = parseOAuthErrorChallenge(serverData);
    return { type: 'respond', data: Buffer.from([0x01]), serverError: this.serverError };
  }
}
