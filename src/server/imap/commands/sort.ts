// RFC 5256 SORT (and UID SORT), with SORT=DISPLAY (RFC 5957).
import { evaluateSearch } from '../search-eval.js';
import { sortRecords } from '../sort.js';
import { defineCommand } from '../spec.js';
import { mimeTrees } from '../message-cache.js';
import { checkCharset } from './search.js';

export default defineCommand({
  name: 'SORT',
  states: ['selected'],
  capabilities: () => ['SORT', 'SORT=DISPLAY'],
  holdsExpunges: (cmd) => !cmd.uid,
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    checkCharset(cmd.charset);
    const found = await evaluateSearch(s, mb, cmd.search);
    const records = found.records ?? await s.requireAuthenticated().access.store.getMessages(mb.id, found.uids);
    const needTrees = cmd.criteria.some((c) => c.key !== 'ARRIVAL' && c.key !== 'SIZE');
    const trees = needTrees ? await mimeTrees(s.requireAuthenticated().access.store, records.map((r) => r.blobId)) : new Map();
    const sorted = sortRecords(records, cmd.criteria, trees, (uid) => mb.seqOf(uid));
    s.push(`* SORT${sorted.map((r) => ' ' + (cmd.uid ? r.uid : mb.seqOf(r.uid))).join('')}\r\n`);
    s.ok(tag, 'Sort completed.');
  },
});
