// What FETCH reads over and over, kept in memory for the whole process: parsed MIME trees and the
// header bytes of messages (clients list folders by fetching the same few header fields of the
// same messages again and again — Dovecot keeps these in its index cache file). Both are
// immutable per blob (content addressed), so every session shares them.
import type { MailStore } from '../../store/types.js';
import type { MimePart } from '../../wire/mime/types.js';

const MAX_TREES = 16_384;
const MAX_HEADER_BYTES = 32 * 1024 * 1024;
/** Headers larger than this are not kept (they would push out hundreds of ordinary ones). */
const MAX_ONE_HEADER = 64 * 1024;

const trees = new Map<string, MimePart>();
const headers = new Map<string, Buffer>();
let headerBytes = 0;

export async function mimeTrees(store: MailStore, blobIds: readonly string[]): Promise<Map<string, MimePart>> {
  const out = new Map<string, MimePart>();
  const missing: string[] = [];
  for (const id of blobIds) {
    const t = trees.get(id);
    if (t) {
      // Refresh its place (a Map iterates in insertion order: the oldest go first).
      trees.delete(id);
      trees.set(id, t);
      out.set(id, t);
    } else if (!out.has(id)) missing.push(id);
  }
  if (missing.length > 0) {
    const got = await store.getMimeTrees([...new Set(missing)]);
    for (const [id, t] of got) {
      out.set(id, t);
      trees.set(id, t);
    }
    while (trees.size > MAX_TREES) trees.delete(trees.keys().next().value!);
  }
  return out;
}

/** The message's bytes up to its body (offsets in its tree stay valid), if cached. */
export function cachedHeader(blobId: string): Buffer | undefined {
  const h = headers.get(blobId);
  if (h) {
    headers.delete(blobId);
    headers.set(blobId, h);
  }
  return h;
}

export function rememberHeader(blobId: string, raw: Buffer, tree: MimePart): void {
  if (tree.bodyStart > MAX_ONE_HEADER || headers.has(blobId)) return;
  const copy = Buffer.from(raw.subarray(0, tree.bodyStart)); // not a view: the full message may go
  headers.set(blobId, copy);
  headerBytes += copy.length;
  while (headerBytes > MAX_HEADER_BYTES) {
    const [oldest, buf] = headers.entries().next().value!;
    headers.delete(oldest);
    headerBytes -= buf.length;
  }
}
