// RFC 1939 §5 STAT.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'STAT',
  phases: ['transaction'],
  async handle(s) {
    if (s.state.phase !== 'transaction') return;
    const [count, size] = s.state.maildrop.stat();
    s.ok(`${count} ${size}`);
  },
});
