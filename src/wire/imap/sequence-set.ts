// Sequence sets (RFC 9051 §9 "sequence-set"): "1:4,7,9:*", and "$" for the saved search result
// (RFC 5182 SEARCHRES). Resolution never enumerates a range: "1:4294967295" costs the same as
// "1:2", and a set is resolved against a mailbox's sorted numbers by binary search.

/** One end of a range: a number, or "*" (the largest number in use). */
export type SeqNumber = number | '*';

export type SequenceSet =
  | { kind: 'set'; ranges: Array<{ from: SeqNumber; to: SeqNumber }> }
  | { kind: 'saved' };

export const MAX_NUMBER = 4294967295; // nz-number ≤ 2^32-1 (RFC 9051 §9)

/** Parses a sequence set; null when it is not one (including 0 and numbers over 2^32-1). */
export function parseSequenceSet(text: string): SequenceSet | null {
  if (text === '$') return { kind: 'saved' };
  if (text.length === 0) return null;
  const ranges: Array<{ from: SeqNumber; to: SeqNumber }> = [];
  let i = 0;
  const n = text.length;
  const number = (): SeqNumber | null => {
    if (text.charCodeAt(i) === 0x2a) {
      i++;
      return '*';
    }
    const start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    if (i === start || i - start > 10 || text.charCodeAt(start) === 0x30) return null;
    const v = Number(text.slice(start, i));
    return v > MAX_NUMBER ? null : v;
  };
  for (;;) {
    const from = number();
    if (from === null) return null;
    let to = from;
    if (text.charCodeAt(i) === 0x3a) {
      i++;
      const t = number();
      if (t === null) return null;
      to = t;
    }
    ranges.push({ from, to });
    if (i === n) return { kind: 'set', ranges };
    if (text.charCodeAt(i) !== 0x2c) return null;
    i++;
  }
}

/**
 * The set as sorted, merged, inclusive [low, high] ranges, with "*" read as `max` ("*" in an
 * empty mailbox is 0 and matches nothing). A range written high:low means the same as low:high.
 */
export function resolveRanges(set: Extract<SequenceSet, { kind: 'set' }>, max: number): Array<[number, number]> {
  const raw: Array<[number, number]> = [];
  for (const r of set.ranges) {
    const a = r.from === '*' ? max : r.from;
    const b = r.to === '*' ? max : r.to;
    const lo = Math.min(a, b);
    const hi = Math.max(a, b);
    if (hi < 1) continue;
    raw.push([Math.max(lo, 1), hi]);
  }
  return mergeRanges(raw);
}

export function mergeRanges(raw: Array<[number, number]>): Array<[number, number]> {
  raw.sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const r of raw) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

/** The largest number a set names explicitly (ignoring "*"), for "is this in range" checks. */
export function largestExplicit(set: Extract<SequenceSet, { kind: 'set' }>): number {
  let m = 0;
  for (const r of set.ranges) {
    if (r.from !== '*' && r.from > m) m = r.from;
    if (r.to !== '*' && r.to > m) m = r.to;
  }
  return m;
}

/** Indices into `sorted` (ascending numbers) of the members that fall in `ranges`. */
export function selectSorted(sorted: ArrayLike<number>, ranges: Array<[number, number]>): number[] {
  const out: number[] = [];
  for (const [lo, hi] of ranges) {
    let i = lowerBound(sorted, lo);
    while (i < sorted.length && sorted[i]! <= hi) out.push(i++);
  }
  return out;
}

/** First index whose value is ≥ v. */
export function lowerBound(sorted: ArrayLike<number>, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Compact wire form of ascending numbers: [1,2,3,5] → "1:3,5" (UIDPLUS, ESEARCH, VANISHED). */
export function formatNumberSet(numbers: readonly number[]): string {
  if (numbers.length === 0) return '';
  const parts: string[] = [];
  let start = numbers[0]!;
  let prev = start;
  for (let i = 1; i <= numbers.length; i++) {
    const v = numbers[i];
    if (v !== undefined && v === prev + 1) {
      prev = v;
      continue;
    }
    parts.push(start === prev ? String(start) : `${start}:${prev}`);
    if (v !== undefined) start = prev = v;
  }
  return parts.join(',');
}

/** Every number in resolved ranges, ascending (only for sets already bounded by a mailbox). */
export function expandRanges(ranges: Array<[number, number]>, limit = Infinity): number[] {
  const out: number[] = [];
  for (const [lo, hi] of ranges) {
    for (let v = lo; v <= hi && out.length < limit; v++) out.push(v);
  }
  return out;
}
