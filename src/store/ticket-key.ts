// The TLS session-ticket key kept in the store (MailStore.ticketKey): Node's SecureContext takes
// 48 bytes (16 name, 16 HMAC, 16 AES; RFC 5077 §4's recommended layout).
import { StoreError } from './types.js';

export const TICKET_KEY_BYTES = 48;

export function checkMaxAge(maxAgeMs: number): void {
  if (!Number.isSafeInteger(maxAgeMs) || maxAgeMs <= 0) throw new StoreError('INVALID', 'The ticket key age must be a positive number of milliseconds.');
}
