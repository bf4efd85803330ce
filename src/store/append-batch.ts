// MULTIAPPEND batches (MailStore.appendBatch), the part both stores share: check every message
// before anything is written, and parse each new content once — outside the transaction — for
// the MIME cache and the dot-transparency bit.
import { isDotTransparent } from '../wire/pop3/dot-stuffing.js';
import { blobIdOf } from './blob.js';
import { indexMessage, type MessageIndexEntry } from './message-index.js';
import { StoreError, type AppendInput, type Flag } from './types.js';
import { checkInternalDate, checkRaw, normalizeFlags } from './validate.js';

export interface BatchItem {
  raw: Buffer;
  flags: Flag[];
  internalDate: Date;
  blobId: string;
  /** Set for the first message of each content not yet indexed; null otherwise. */
  entry: MessageIndexEntry | null;
  dotTransparent: boolean | null;
}

export function checkBatch(inputs: AppendInput[]): BatchItem[] {
  if (!Array.isArray(inputs)) throw new StoreError('INVALID', 'The messages must be a list.');
  return inputs.map((input) => {
    checkRaw(input.raw);
    return {
      raw: input.raw,
      flags: normalizeFlags(input.flags),
      internalDate: checkInternalDate(input.internalDate),
      blobId: blobIdOf(input.raw),
      entry: null,
      dotTransparent: null,
    };
  });
}

/** Parses the contents `known` does not hold, each once. */
export function indexNew(items: BatchItem[], known: (blobId: string) => boolean): void {
  const done = new Set<string>();
  for (const item of items) {
    if (done.has(item.blobId) || known(item.blobId)) continue;
    done.add(item.blobId);
    item.entry = indexMessage(item.raw);
    item.dotTransparent = isDotTransparent(item.raw);
  }
}
