// Placeholder replaced below.
import type { ServerContext } from '../common/context.js';
export function startQueueRunner(_ctx: ServerContext): () => Promise<void> {
  return async () => {};
}
