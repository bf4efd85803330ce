/** PLAIN, client side (RFC 4616 §2): "[authzid] NUL authcid NUL passwd". */
import { OneShotClientExchange } from './client-one-shot.js';

export function formatPlainMessage(authzid: string, username: string, password: string): Buffer {
  return Buffer.from(`${authzid}\0${username}\0${password}`, 'utf8');
}

export class PlainClientExchange extends OneShotClientExchange {
  readonly mechanism = 'PLAIN';
  constructor(private readonly creds: { username: string; password: string; authzid?: string }) {
    super();
  }
  protected message(): Buffer {
    return formatPlainMessage(this.creds.authzid ?? '', this.creds.username, this.creds.password);
  }
}
