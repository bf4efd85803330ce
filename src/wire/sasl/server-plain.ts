/** PLAIN, server side (RFC 4616). */
import { decodeUtf8 } from './bytes.js';
import { failure, notScram, type SaslServerExchange, type ServerStep } from './server-types.js';

/**
 * RFC 4616 §2: each field MUST be accepted up to 255 octets; beyond that a server may refuse.
 * We allow long passwords (app passwords, tokens) but not unbounded input.
 */
export const MAX_PLAIN_MESSAGE = 4096;

/** Parses "[authzid] NUL authcid NUL passwd" (RFC 4616 §2). */
export function parsePlainMessage(data: Buffer): ServerStep {
  if (data.length > MAX_PLAIN_MESSAGE) return failure('malformed', 'PLAIN message too long');
  const first = data.indexOf(0);
  const second = first < 0 ? -1 : data.indexOf(0, first + 1);
  if (second < 0) return failure('malformed', 'PLAIN message must be authzid NUL authcid NUL password');
  if (data.indexOf(0, second + 1) >= 0) return failure('malformed', 'PLAIN message has more than two NUL separators');
  const authzid = decodeUtf8(data.subarray(0, first));
  const authcid = decodeUtf8(data.subarray(first + 1, second));
  const password = decodeUtf8(data.subarray(second + 1));
  if (authzid === null || authcid === null || password === null) return failure('malformed', 'PLAIN message is not valid UTF-8');
  // authcid = 1*SAFE, passwd = 1*SAFE: neither may be empty.
  if (authcid === '') return failure('malformed', 'PLAIN message has an empty user name');
  if (password === '') return failure('malformed', 'PLAIN message has an empty password');
  return { type: 'check-password', authcid, authzid, password };
}

export class PlainServerExchange implements SaslServerExchange {
  readonly mechanism = 'PLAIN';
  private state: 'start' | 'awaiting-response' | 'done' = 'start';

  step(clientData: Buffer | null): ServerStep {
    if (this.state === 'start' && clientData === null) {
      // No initial response: RFC 4422 §5 — the server sends an empty challenge.
      this.state = 'awaiting-response';
      return { type: 'challenge', data: Buffer.alloc(0) };
    }
    if (this.state === 'done' || clientData === null) {
      this.state = 'done';
      return failure('malformed', 'PLAIN exchange is already complete');
    }
    this.state = 'done';
    return parsePlainMessage(clientData);
  }

  provideScramCredentials(): ServerStep {
    this.state = 'done';
    return notScram(this.mechanism);
  }
}
