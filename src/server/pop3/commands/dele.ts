// RFC 1939 §5 DELE: only marks; the store is changed at QUIT.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'DELE',
  phases: ['transaction'],
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    s.state.maildrop.markDeleted(cmd.msg);
    s.ok(`Message ${cmd.msg} deleted.`);
  },
});
