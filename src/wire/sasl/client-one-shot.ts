/**
 * Shared shape of the client mechanisms that send one message and are done: PLAIN, EXTERNAL,
 * XOAUTH2, OAUTHBEARER. The message goes either as the initial response or in answer to the
 * server's first, empty challenge (RFC 4422 §5 when the protocol has no SASL-IR).
 */
import type { ClientStep, SaslClientExchange, SaslServerError } from './client-types.js';

export abstract class OneShotClientExchange implements SaslClientExchange {
  abstract readonly mechanism: string;
  serverError: SaslServerError | null = null;
  protected sent = false;
  private ended = false;

  protected abstract message(): Buffer;

  /** A non-empty challenge after the message was sent; the base treats it as a protocol error. */
  protected onChallengeAfterMessage(_serverData: Buffer): ClientStep {
    return this.error(`${this.mechanism}: the server sent an unexpected challenge`);
  }

  initialResponse(): Buffer | null {
    this.sent = true;
    return this.message();
  }

  step(serverData: Buffer): ClientStep {
    if (this.ended) return this.error(`${this.mechanism} exchange is already complete`);
    if (!this.sent) {
      // The server's first challenge (empty for these mechanisms; RFC 4616 §2 for PLAIN).
      this.sent = true;
      return { type: 'respond', data: this.message() };
    }
    return this.onChallengeAfterMessage(serverData);
  }

  finish(): ClientStep {
    if (this.ended) return this.error(`${this.mechanism} exchange is already complete`);
    this.ended = true;
    return { type: 'done' };
  }

  protected error(message: string): ClientStep {
    this.ended = true;
    return { type: 'error', message };
  }
}
