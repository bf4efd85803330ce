// RFC 1939 §5 RSET: unmark every deleted message.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'RSET',
  phases: ['transaction'],
  async handle(s) {
    if (s.state.phase !== 'transaction') return;
    s.state.maildrop.reset();
    const [count, size] = s.state.maildrop.stat();
    s.ok(`${count} messages (${size} octets).`);
  },
});
