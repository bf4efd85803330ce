// `postern queue list|flush|remove`: the outgoing queue as an admin sees it (Postfix's mailq,
// postqueue -f, postsuper -d). Works on the data directory whether or not a server runs; a
// running server picks up a flush at its next look at the queue (within a second).
import type { QueueEntry, QueueStore } from '../store/queue-types.js';
import { checkQueueId, QueueError } from '../store/queue-types.js';
import { AdminError } from './accounts.js';

export interface QueueView {
  id: string;
  sender: string;
  size: number;
  queuedAt: string;
  attempts: number;
  nextAttemptAt: string;
  lastError: string | null;
  recipients: Array<{ address: string; state: string; lastResult: string | null }>;
}

export function queueView(e: QueueEntry): QueueView {
  return {
    id: e.id,
    sender: e.sender ?? '<>',
    size: e.size,
    queuedAt: e.createdAt.toISOString(),
    attempts: e.attempts,
    nextAttemptAt: e.nextAttemptAt.toISOString(),
    lastError: e.lastError,
    recipients: e.recipients.map((r) => ({ address: r.address, state: r.state, lastResult: r.lastResult })),
  };
}

function age(from: Date, now: Date): string {
  const s = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** mailq-style text: one block per message, pending recipients with their last result. */
export function formatQueue(entries: QueueEntry[], now = new Date()): string {
  if (entries.length === 0) return 'The queue is empty.\n';
  const lines: string[] = [];
  for (const e of entries) {
    const next = e.nextAttemptAt <= now ? 'due now' : `next try in ${age(now, e.nextAttemptAt)}`;
    lines.push(`${e.id}  ${String(e.size).padStart(8)}  queued ${age(e.createdAt, now)} ago  ${e.attempts} attempt${e.attempts === 1 ? '' : 's'}, ${next}  from <${e.sender ?? ''}>`);
    for (const r of e.recipients) {
      lines.push(`    ${r.state.padEnd(9)} <${r.address}>${r.lastResult ? `  (${r.lastResult})` : ''}`);
    }
  }
  const n = entries.length;
  lines.push(`-- ${n} message${n === 1 ? '' : 's'} in the queue, ${entries.reduce((k, e) => k + e.size, 0)} octets.`);
  return lines.join('\n') + '\n';
}

export async function flushQueue(queue: QueueStore, id?: string): Promise<number> {
  try {
    const n = await queue.flush(id === undefined ? undefined : checkQueueId(id));
    if (id !== undefined && n === 0) throw new AdminError(`No message ${id.toUpperCase()} in the queue: see postern queue list.`);
    return n;
  } catch (err) {
    if (err instanceof QueueError) throw new AdminError(err.message);
    throw err;
  }
}

/** Removes the named messages (or all); returns the ids removed. Nothing is bounced. */
export async function removeFromQueue(queue: QueueStore, ids: string[] | 'all'): Promise<string[]> {
  const targets = ids === 'all' ? (await queue.list()).map((e) => e.id) : ids;
  if (targets.length === 0 && ids !== 'all') throw new AdminError('Name the messages to remove (ids from postern queue list), or give --all.');
  const removed: string[] = [];
  const missing: string[] = [];
  for (const id of targets) {
    let qid: string;
    try {
      qid = checkQueueId(id);
    } catch (err) {
      throw new AdminError((err as Error).message);
    }
    if (await queue.remove(qid)) removed.push(qid);
    else missing.push(qid);
  }
  if (missing.length) throw new AdminError(`Not in the queue: ${missing.join(', ')}${removed.length ? ` (removed ${removed.join(', ')})` : ''}; see postern queue list.`);
  return removed;
}
