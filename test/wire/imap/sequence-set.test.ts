// Sequence sets (RFC 9051 §9): parsing, resolution against a mailbox, compact formatting.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumberSet, parseSequenceSet, resolveRanges, selectSorted } from '../../../src/wire/imap/sequence-set.js';

describe('sequence sets', () => {
  test('the RFC 9051 example "2,4:7,9,12:*" on a 15-message mailbox is 2,4,5,6,7,9,12,13,14,15', () => {
    const set = parseSequenceSet('2,4:7,9,12:*');
    assert.ok(set && set.kind === 'set');
    const ranges = resolveRanges(set, 15);
    assert.deepEqual(ranges, [[2, 2], [4, 7], [9, 9], [12, 15]]);
  });

  test('"*:4" and "4:*" are the same, and "*" on an empty mailbox matches nothing', () => {
    const a = parseSequenceSet('*:4')!;
    const b = parseSequenceSet('4:*')!;
    assert.ok(a.kind === 'set' && b.kind === 'set');
    assert.deepEqual(resolveRanges(a, 10), resolveRanges(b, 10));
    assert.deepEqual(resolveRanges(a, 2), [[2, 4]]);
    assert.deepEqual(resolveRanges(parseSequenceSet('*') as { kind: 'set'; ranges: [] }, 0), []);
  });

  test('1:4294967295 resolves without enumerating, and selects by binary search', () => {
    const set = parseSequenceSet('1:4294967295')!;
    assert.ok(set.kind === 'set');
    const uids = [3, 10, 4000000000];
    const started = Date.now();
    assert.deepEqual(selectSorted(uids, resolveRanges(set, 4000000000)), [0, 1, 2]);
    assert.ok(Date.now() - started < 1000); // enumerating 4e9 numbers would take minutes
  });

  test('100,000 single-number ranges resolve fast', () => {
    const text = Array.from({ length: 100_000 }, (_, i) => String(i * 2 + 1)).join(',');
    const set = parseSequenceSet(text)!;
    assert.ok(set.kind === 'set');
    const uids = Array.from({ length: 1000 }, (_, i) => i + 1);
    const started = Date.now();
    assert.equal(selectSorted(uids, resolveRanges(set, 1000)).length, 500);
    assert.ok(Date.now() - started < 500);
  });

  test('numbers are nz-number: 0, leading zeros and values over 2^32-1 are refused', () => {
    for (const s of ['0', '1:0', '01', '4294967296', '', ',', '1,', '1::2', '1:2:3', '*:*x', '$1']) assert.equal(parseSequenceSet(s), null, s);
    assert.deepEqual(parseSequenceSet('$'), { kind: 'saved' });
  });

  test('formatNumberSet writes runs compactly (UIDPLUS COPYUID, ESEARCH ALL)', () => {
    assert.equal(formatNumberSet([1, 2, 3, 5, 7, 8]), '1:3,5,7:8');
    assert.equal(formatNumberSet([42]), '42');
    assert.equal(formatNumberSet([]), '');
  });
});
