/**
 * EXTERNAL, client side (RFC 4422 Appendix A): identity comes from outside SASL (a TLS client
 * certificate); the message is the requested authorization identity, empty for "derive it".
 */
import { OneShotClientExchange } from './client-one-shot.js';

export class ExternalClientExchange extends OneShotClientExchange {
  readonly mechanism = 'EXTERNAL';
  constructor(private readonly authzid: string) {
    super();
  }
  protected message(): Buffer {
    return Buffer.from(this.authzid, 'utf8');
  }
}
