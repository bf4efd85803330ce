// A command's sequence set resolved against the client's view of the selected mailbox
// (RFC 9051 §9): message numbers must exist (else BAD), UIDs that do not are ignored, "*" is
// the last one, "$" the saved search result (RFC 5182).
import { resolveRanges, selectSorted, type SequenceSet } from '../../wire/imap/sequence-set.js';
import { BadCommand } from './errors.js';
import type { SelectedMailbox } from './selected.js';

/** The UIDs (ascending) of the messages a set names. */
export function resolveSet(mb: SelectedMailbox, set: SequenceSet, uid: boolean, saved: number[] | null): number[] {
  if (set.kind === 'saved') {
    if (!saved) return [];
    return saved.filter((u) => mb.seqOf(u) > 0);
  }
  if (uid) {
    const ranges = resolveRanges(set, mb.uids[mb.uids.length - 1] ?? 0);
    return selectSorted(mb.uids, ranges).map((i) => mb.uids[i]!);
  }
  const count = mb.exists;
  const raw: Array<[number, number]> = [];
  for (const r of set.ranges) {
    const a = r.from === '*' ? count : r.from;
    const b = r.to === '*' ? count : r.to;
    // A number the client made up is an error; "*" in an empty mailbox simply matches nothing.
    if (r.from !== '*' && r.from > count) throw new BadCommand('Invalid messageset: no such message.');
    if (r.to !== '*' && r.to > count) throw new BadCommand('Invalid messageset: no such message.');
    if (count === 0) continue;
    raw.push([Math.max(1, Math.min(a, b)), Math.max(a, b)]);
  }
  const ranges = resolveRanges({ kind: 'set', ranges: raw.map(([from, to]) => ({ from, to })) }, count);
  const out: number[] = [];
  for (const [lo, hi] of ranges) for (let seq = lo; seq <= hi; seq++) out.push(mb.uids[seq - 1]!);
  return out;
}
