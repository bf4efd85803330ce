/**
 * CRAM-MD5, client side (RFC 2195): answer the server's challenge with
 * "user SP hex(HMAC-MD5(password, challenge))". Historic (RFC 6331 lists its weaknesses); only
 * used when named explicitly, never picked by pickMechanism.
 */
import { createHmac } from 'node:crypto';
import type { ClientStep, SaslClientExchange } from './client-types.js';

export function cramMd5Response(username: string, password: string, challenge: Buffer): Buffer {
  const digest = createHmac('md5', Buffer.from(password, 'utf8')).update(challenge).digest('hex');
  return Buffer.from(`${username} ${digest}`, 'utf8');
}

export class CramMd5ClientExchange implements SaslClientExchange {
  readonly mechanism = 'CRAM-MD5';
  readonly serverError = null;
  private state: 'awaiting-challenge' | 'responded' | 'ended' = 'awaiting-challenge';

  constructor(private readonly creds: { username: string; password: string }) {}

  initialResponse(): null {
    return null;
  }

  step(serverData: Buffer): ClientStep {
    if (this.state !== 'awaiting-challenge') return this.error('CRAM-MD5: the server sent an unexpected second challenge');
    if (serverData.length === 0) return this.error('CRAM-MD5: the server sent an empty challenge');
    this.state = 'responded';
    return { type: 'respond', data: cramMd5Response(this.creds.username, this.creds.password, serverData) };
  }

  finish(): ClientStep {
    if (this.state === 'ended') return this.error('CRAM-MD5 exchange is already complete');
    this.state = 'ended';
    return { type: 'done' };
  }

  private error(message: string): ClientStep {
    this.state = 'ended';
    return { type: 'error', message };
  }
}
