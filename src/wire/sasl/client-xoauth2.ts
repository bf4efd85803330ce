/**
 * XOAUTH2, client side (Google's format, developers.google.com/gmail/imap/xoauth2-protocol):
 * "user=" user ^A "auth=Bearer " token ^A ^A. On a refused token the server sends an error
 * JSON as a challenge; the client answers with an empty response and the server then fails.
 */
import { OneShotClientExchange } from './client-one-shot.js';
import type { ClientStep } from './client-types.js';
import { parseOAuthErrorChallenge } from './oauth-error.js';

export function formatXoauth2Message(username: string, token: string): Buffer {
  return Buffer.from(`user=${username}\x01auth=Bearer ${token}\x01\x01`, 'utf8');
}

export class Xoauth2ClientExchange extends OneShotClientExchange {
  readonly mechanism = 'XOAUTH2';
  private errorAnswered = false;

  constructor(private readonly creds: { username: string; token: string }) {
    super();
  }

  protected message(): Buffer {
    return formatXoauth2Message(this.creds.username, this.creds.token);
  }

  protected override onChallengeAfterMessage(serverData: Buffer): ClientStep {
    if (this.errorAnswered) return this.error(this.serverError?.message ?? 'XOAUTH2: unexpected challenge');
    this.errorAnswered = true;
    this.serverError = parseOAuthErrorChallenge(serverData);
    return { type: 'respond', data: Buffer.alloc(0), serverError: this.serverError };
  }
}
