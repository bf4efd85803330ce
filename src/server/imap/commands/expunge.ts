// RFC 9051 §6.4.3 EXPUNGE and RFC 4315 UID EXPUNGE: removes \Deleted messages (only those in
// the set for UID EXPUNGE) and tells the client, as EXPUNGE or, with QRESYNC, VANISHED.
import { ImapError } from '../errors.js';
import { resolveSet } from '../message-set.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'EXPUNGE',
  states: ['selected'],
  capabilities: () => ['UIDPLUS'],
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    const store = s.requireAuthenticated().access.store;
    if (mb.readOnly) throw new ImapError('NO', 'Mailbox is read-only.', 'CANNOT');
    // UID EXPUNGE reads only its set; EXPUNGE the whole mailbox.
    const candidates = cmd.set ? await store.getMessages(mb.id, resolveSet(mb, cmd.set, true, s.savedSearch)) : await store.listMessages(mb.id);
    const doomed = candidates.filter((m) => m.flags.includes('\\Deleted') && mb.seqOf(m.uid) > 0).map((m) => m.uid);
    const removed = doomed.length > 0 ? await store.expunge(mb.id, doomed) : [];
    s.pushAll(mb.remove(removed, s.qresync));
    s.ok(tag, 'Expunge completed.');
  },
});
