// The selected-mailbox view on its own: the sequence map, the queue of other sessions' changes
// and the untagged responses it turns into, including at sizes where a careless spread of
// arguments would overflow the stack.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChangeListener, Mailbox, MailboxChange, MailStore } from '../../../src/store/types.js';
import { SelectedMailbox } from '../../../src/server/imap/selected.js';

const BOX: Mailbox = { id: 1, accountId: 1, name: 'INBOX', specialUse: null, subscribed: true, uidValidity: 7, uidNext: 1, highestModseq: 1, messageCount: 0, totalSize: 0 };

type Emitted = { kind: 'append' | 'expunge'; uid: number; modseq: number } | { kind: 'flags'; uid: number; modseq: number; flags: string[] };

function setup(uids: number[]): { mb: SelectedMailbox; emit: (c: Emitted) => void } {
  let listener: ChangeListener = () => {};
  const store = { feed: { subscribe: (_id: number, l: ChangeListener) => { listener = l; return () => {}; } } } as unknown as MailStore;
  const mb = new SelectedMailbox({ ...BOX, uidNext: (uids[uids.length - 1] ?? 0) + 1 }, 'INBOX', { uids, firstUnseenUid: null, keywords: [], highestMessageModseq: 1 }, false, Infinity);
  mb.listen(store, 1, () => {});
  return { mb, emit: (c) => listener({ mailboxId: 1, ...c } as MailboxChange) };
}

const rules = { expunges: true, condstore: false, qresync: false, rev2: false };
const flagsLine = (f: string[]) => `(${f.join(' ')})`;

describe('selected mailbox view', () => {
  test('expunges are numbered highest first, so each number is right when it is read', () => {
    const { mb, emit } = setup([3, 5, 8, 9]);
    emit({ kind: 'expunge', uid: 5, modseq: 2 });
    emit({ kind: 'expunge', uid: 9, modseq: 3 });
    assert.deepEqual(mb.takeUpdates(rules, flagsLine), ['* 4 EXPUNGE\r\n', '* 2 EXPUNGE\r\n']);
    assert.deepEqual(mb.uids, [3, 8]);
  });

  test('held expunges keep the numbering; new messages still get EXISTS counting them', () => {
    const { mb, emit } = setup([1, 2]);
    emit({ kind: 'expunge', uid: 1, modseq: 2 });
    emit({ kind: 'append', uid: 3, modseq: 3 });
    assert.deepEqual(mb.takeUpdates({ ...rules, expunges: false }, flagsLine), ['* 3 EXISTS\r\n', '* 1 RECENT\r\n']);
    assert.equal(mb.seqOf(2), 2);
    assert.deepEqual(mb.takeUpdates(rules, flagsLine), ['* 1 EXPUNGE\r\n']);
    assert.equal(mb.seqOf(3), 2);
  });

  test('a message that came and went before the client heard of it is never mentioned', () => {
    const { mb, emit } = setup([1]);
    emit({ kind: 'append', uid: 2, modseq: 2 });
    emit({ kind: 'flags', uid: 2, modseq: 3, flags: ['\\Seen'] });
    emit({ kind: 'expunge', uid: 2, modseq: 4 });
    assert.deepEqual(mb.takeUpdates(rules, flagsLine), []);
  });

  test('the feed\'s echo of this session\'s own flag change is dropped', () => {
    const { mb, emit } = setup([1]);
    mb.noteOwnChanges([{ mailboxId: 1, uid: 1, modseq: 5, flags: ['\\Seen'], internalDate: new Date(), size: 1, blobId: 'x' }]);
    emit({ kind: 'flags', uid: 1, modseq: 5, flags: ['\\Seen'] });
    assert.deepEqual(mb.takeUpdates(rules, flagsLine), []);
    emit({ kind: 'flags', uid: 1, modseq: 6, flags: [] });
    assert.deepEqual(mb.takeUpdates(rules, flagsLine), ['* 1 FETCH (FLAGS ())\r\n']);
  });

  test('150,000 expunges at once become 150,000 lines (or one VANISHED) without overflowing the stack', () => {
    const uids = Array.from({ length: 150_000 }, (_, i) => i + 1);
    const { mb, emit } = setup(uids);
    for (let i = 0; i < uids.length; i++) emit({ kind: 'expunge', uid: uids[i]!, modseq: i + 2 });
    const lines = mb.takeUpdates(rules, flagsLine);
    assert.equal(lines.length, 150_000);
    assert.equal(lines[0], '* 150000 EXPUNGE\r\n');
    const q = setup(uids);
    for (let i = 0; i < uids.length; i++) q.emit({ kind: 'expunge', uid: uids[i]!, modseq: i + 2 });
    assert.deepEqual(q.mb.takeUpdates({ ...rules, qresync: true }, flagsLine), ['* VANISHED 1:150000\r\n']);
  });
});
