// RFC 9051 §6.4.1 CLOSE: expunge \Deleted messages silently (read-write only), then unselect.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'CLOSE',
  states: ['selected'],
  async handle(s, _cmd, tag) {
    const mb = s.requireSelected();
    if (!mb.readOnly) {
      const store = s.requireAuthenticated().access.store;
      const deleted = (await store.listMessages(mb.id)).filter((m) => m.flags.includes('\\Deleted') && mb.seqOf(m.uid) > 0).map((m) => m.uid);
      if (deleted.length > 0) await store.expunge(mb.id, deleted);
    }
    s.unselect();
    s.ok(tag, 'Close completed.');
  },
});
