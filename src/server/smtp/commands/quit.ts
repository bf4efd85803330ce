// RFC 5321 §4.1.1.10 QUIT: 221, then close. A transaction not completed is dropped.
import { defineCommand } from '../spec.js';

export default defineCommand({
  verb: 'QUIT',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    s.reply(221, '2.0.0', `${s.ctx.hostname} Bye`);
    s.close();
  },
});
