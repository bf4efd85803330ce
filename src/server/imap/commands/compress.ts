// RFC 4978 COMPRESS=DEFLATE: after the tagged OK both directions are raw DEFLATE streams.
import { ImapError } from '../errors.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'COMPRESS',
  states: ['authenticated', 'selected'],
  capabilities: (s) => (s.compressed ? [] : ['COMPRESS=DEFLATE']),
  async handle(s, cmd, tag) {
    if (cmd.mechanism !== 'DEFLATE') throw new ImapError('BAD', `Unknown compression mechanism ${cmd.mechanism}.`);
    if (s.compressed) throw new ImapError('NO', 'Compression is already active.', 'COMPRESSIONACTIVE');
    s.ok(tag, 'DEFLATE active.');
    s.compressed = true;
    s.conn.startDeflate();
  },
});
