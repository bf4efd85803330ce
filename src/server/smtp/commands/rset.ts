// RFC 5321 §4.1.1.5 RSET: drop the transaction, keep the greeting and the login.
import { defineCommand } from '../spec.js';

export default defineCommand({
  verb: 'RSET',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    const g = s.greeted;
    if (g) g.tx = null;
    s.reply(250, '2.0.0', 'Ok');
  },
});
