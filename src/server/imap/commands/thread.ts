// RFC 5256 THREAD=ORDEREDSUBJECT and THREAD=REFERENCES (and UID THREAD).
import { evaluateSearch, sentTime } from '../search-eval.js';
import { defineCommand } from '../spec.js';
import { formatThreads, orderedSubjectThreads, referencesThreads, type ThreadInput } from '../thread.js';
import { mimeTrees } from '../message-cache.js';
import { checkCharset } from './search.js';

const MSGID = /<[^<>]*>/g;

export default defineCommand({
  name: 'THREAD',
  states: ['selected'],
  capabilities: () => ['THREAD=ORDEREDSUBJECT', 'THREAD=REFERENCES'],
  holdsExpunges: (cmd) => !cmd.uid,
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    checkCharset(cmd.charset);
    const found = await evaluateSearch(s, mb, cmd.search);
    const records = found.records ?? await s.requireAuthenticated().access.store.getMessages(mb.id, found.uids);
    const trees = await mimeTrees(s.requireAuthenticated().access.store, records.map((r) => r.blobId));
    const inputs: ThreadInput[] = records.map((r) => {
      const t = trees.get(r.blobId) ?? null;
      const h = (k: string) => t?.headers.find((f) => f.key === k)?.value ?? null;
      const refs = h('references')?.match(MSGID) ?? [];
      const inReplyTo = h('in-reply-to')?.match(MSGID)?.[0];
      return {
        id: cmd.uid ? r.uid : mb.seqOf(r.uid),
        messageId: h('message-id')?.match(MSGID)?.[0] ?? null,
        references: refs.length ? refs : inReplyTo ? [inReplyTo] : [],
        subject: h('subject'),
        date: sentTime(t, r.internalDate),
      };
    });
    const threads = cmd.algorithm === 'ORDEREDSUBJECT' ? orderedSubjectThreads(inputs) : referencesThreads(inputs);
    s.push(`* THREAD ${formatThreads(threads)}\r\n`);
    s.ok(tag, 'Thread completed.');
  },
});
