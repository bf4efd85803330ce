// RFC 5321 §3.5.2 EXPN: mailing lists are not disclosed (§7.3 allows disabling it).
import { defineCommand } from '../spec.js';

export default defineCommand({
  verb: 'EXPN',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    s.reply(502, '5.5.1', 'EXPN is disabled on this server.');
  },
});
