// SORT (RFC 5256 §3) and SORT=DISPLAY (RFC 5957): keys from the records and cached MIME trees,
// ties broken by message sequence number.
import type { MessageRecord } from '../../store/types.js';
import type { SortCriterion } from '../../wire/imap/command.js';
import { parseAddressList, type Address } from '../../wire/mime/address.js';
import type { MimePart } from '../../wire/mime/types.js';
import { baseSubject } from './base-subject.js';
import { sentTime } from './search-eval.js';

function firstMailbox(tree: MimePart | null, key: string): { local: string; display: string } {
  const f = tree?.headers.find((h) => h.key === key);
  if (!f) return { local: '', display: '' };
  const list: Address[] = parseAddressList(f.value);
  for (const a of list) {
    const m = a.kind === 'group' ? a.members[0] : a;
    if (m) {
      const name = m.name;
      return { local: (m.raw.local ?? '').toLowerCase(), display: (name || m.address || '').toLowerCase() };
    }
  }
  return { local: '', display: '' };
}

type Key = string | number;

export function sortRecords(records: MessageRecord[], criteria: SortCriterion[], trees: Map<string, MimePart>, seqOf: (uid: number) => number): MessageRecord[] {
  const keyed = records.map((r) => {
    const tree = trees.get(r.blobId) ?? null;
    const keys: Key[] = criteria.map((c) => {
      switch (c.key) {
        case 'ARRIVAL': return r.internalDate.getTime();
        case 'DATE': return sentTime(tree, r.internalDate);
        case 'SIZE': return r.size;
        case 'SUBJECT': return baseSubject(tree?.headers.find((h) => h.key === 'subject')?.value ?? null).base;
        case 'FROM': return firstMailbox(tree, 'from').local;
        case 'TO': return firstMailbox(tree, 'to').local;
        case 'CC': return firstMailbox(tree, 'cc').local;
        case 'DISPLAYFROM': return firstMailbox(tree, 'from').display;
        case 'DISPLAYTO': return firstMailbox(tree, 'to').display;
      }
    });
    return { r, keys, seq: seqOf(r.uid) };
  });
  keyed.sort((a, b) => {
    for (let i = 0; i < criteria.length; i++) {
      const x = a.keys[i]!;
      const y = b.keys[i]!;
      const c = x < y ? -1 : x > y ? 1 : 0;
      if (c !== 0) return criteria[i]!.reverse ? -c : c;
    }
    return a.seq - b.seq;
  });
  return keyed.map((k) => k.r);
}
