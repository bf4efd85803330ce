// UIDVALIDITY for a new mailbox (RFC 9051 §2.3.1.1): a name must never again be paired with a
// UIDVALIDITY it had before, even after DELETE and CREATE. The stores keep one counter per
// database and hand out max(last + 1, now in seconds): strictly increasing (so unique for every
// name, whatever renames and deletes happen) and, like Dovecot's and Cyrus', close to the time
// the mailbox was made, so a restored backup does not reuse values clients have cached.
import { MAX_UINT32 } from './validate.js';
import { StoreError } from './types.js';

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

export function checkUidValidity(value: number): number {
  if (value > MAX_UINT32) {
    throw new StoreError('INVALID', 'UIDVALIDITY values are exhausted (they are 32-bit).');
  }
  return value;
}
