// RFC 5321 §4.1.1.9 NOOP.
import { defineCommand } from '../spec.js';

export default defineCommand({
  verb: 'NOOP',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    s.reply(250, '2.0.0', 'Ok');
  },
});
