/**
 * LOGIN, client side (draft-murchison-sasl-login-00): answer "Username:" with the user name and
 * "Password:" with the password. Servers word the prompts differently ("User Name", localised
 * text), so the prompt decides when it clearly names one, else the order does.
 */
import type { ClientStep, SaslClientExchange } from './client-types.js';

export class LoginClientExchange implements SaslClientExchange {
  readonly mechanism = 'LOGIN';
  readonly serverError = null;
  private usernameSent = false;
  private passwordSent = false;
  private ended = false;

  constructor(private readonly creds: { username: string; password: string; initialResponse: boolean }) {}

  initialResponse(): Buffer | null {
    if (!this.creds.initialResponse) return null;
    this.usernameSent = true;
    return Buffer.from(this.creds.username, 'utf8');
  }

  step(serverData: Buffer): ClientStep {
    if (this.ended) return this.error('LOGIN exchange is already complete');
    const prompt = serverData.toString('latin1').toLowerCase();
    const wantsPassword = prompt.includes('pass') || (!prompt.includes('user') && this.usernameSent);
    if (wantsPassword) {
      if (this.passwordSent) return this.error('LOGIN: the server asked for the password twice');
      this.passwordSent = true;
      return { type: 'respond', data: Buffer.from(this.creds.password, 'utf8') };
    }
    if (this.usernameSent) return this.error('LOGIN: the server asked for the user name twice');
    this.usernameSent = true;
    return { type: 'respond', data: Buffer.from(this.creds.username, 'utf8') };
  }

  finish(): ClientStep {
    if (this.ended) return this.error('LOGIN exchange is already complete');
    this.ended = true;
    return { type: 'done' };
  }

  private error(message: string): ClientStep {
    this.ended = true;
    return { type: 'error', message };
  }
}
