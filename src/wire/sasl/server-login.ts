/**
 * LOGIN, server side (draft-murchison-sasl-login-00): the server prompts "Username:" then
 * "Password:"; a client may send the username as the initial response.
 */
import { decodeUtf8 } from './bytes.js';
import { failure, notScram, type SaslServerExchange, type ServerStep } from './server-types.js';

export const LOGIN_USERNAME_PROMPT = 'Username:';
export const LOGIN_PASSWORD_PROMPT = 'Password:';
const MAX_LOGIN_FIELD = 1024;

function field(data: Buffer, what: string): string | ServerStep {
  if (data.length === 0) return failure('malformed', `LOGIN: empty ${what}`);
  if (data.length > MAX_LOGIN_FIELD) return failure('malformed', `LOGIN: ${what} too long`);
  const text = decodeUtf8(data);
  if (text === null) return failure('malformed', `LOGIN: ${what} is not valid UTF-8`);
  if (text.includes('\0')) return failure('malformed', `LOGIN: ${what} contains a NUL byte`);
  return text;
}

export class LoginServerExchange implements SaslServerExchange {
  readonly mechanism = 'LOGIN';
  private state: 'start' | 'awaiting-username' | 'awaiting-password' | 'done' = 'start';
  private username = '';

  step(clientData: Buffer | null): ServerStep {
    if (this.state === 'start') {
      if (clientData === null) {
        this.state = 'awaiting-username';
        return { type: 'challenge', data: Buffer.from(LOGIN_USERNAME_PROMPT) };
      }
      return this.takeUsername(clientData);
    }
    if (clientData === null) return this.fail('malformed', 'LOGIN: response missing');
    if (this.state === 'awaiting-username') return this.takeUsername(clientData);
    if (this.state === 'awaiting-password') {
      const password = field(clientData, 'password');
      if (typeof password !== 'string') return this.fail(password);
      this.state = 'done';
      return { type: 'check-password', authcid: this.username, authzid: '', password };
    }
    return this.fail('malformed', 'LOGIN exchange is already complete');
  }

  provideScramCredentials(): ServerStep {
    return this.fail(notScram(this.mechanism));
  }

  private takeUsername(data: Buffer): ServerStep {
    const username = field(data, 'user name');
    if (typeof username !== 'string') return this.fail(username);
    this.username = username;
    this.state = 'awaiting-password';
    return { type: 'challenge', data: Buffer.from(LOGIN_PASSWORD_PROMPT) };
  }

  private fail(stepOrReason: ServerStep | 'malformed', message = ''): ServerStep {
    this.state = 'done';
    return typeof stepOrReason === 'string' ? failure(stepOrReason, message) : stepOrReason;
  }
}
