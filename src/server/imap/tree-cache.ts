// Parsed MIME trees by blob id, kept in memory for the FETCHes that follow one another (a
// client fetching ENVELOPE then BODYSTRUCTURE then BODY[1]). Trees are immutable (content
// addressed), so one cache serves every session of the process.
import type { MailStore } from '../../store/types.js';
import type { MimePart } from '../../wire/mime/types.js';

const MAX_ENTRIES = 4096;
const cache = new Map<string, MimePart>();

export async function mimeTrees(store: MailStore, blobIds: readonly string[]): Promise<Map<string, MimePart>> {
  const out = new Map<string, MimePart>();
  const missing: string[] = [];
  for (const id of blobIds) {
    const t = cache.get(id);
    if (t) {
      // Refresh its place (Map keeps insertion order: the oldest entries go first).
      cache.delete(id);
      cache.set(id, t);
      out.set(id, t);
    } else if (!out.has(id)) missing.push(id);
  }
  if (missing.length > 0) {
    const got = await store.getMimeTrees([...new Set(missing)]);
    for (const [id, t] of got) {
      out.set(id, t);
      cache.set(id, t);
    }
    while (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return out;
}
