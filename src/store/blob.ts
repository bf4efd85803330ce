// Messages are stored once per distinct content: the blob id is the content address.
import { createHash } from 'node:crypto';

/** Lower-case hex SHA-256 of the raw message bytes (MessageRecord.blobId). */
export function blobIdOf(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}
