// RFC 5321 §3.5.3 VRFY: we do not confirm addresses (it would let anyone harvest them), and
// answer 252 as the RFC suggests: the address may still be tried with RCPT.
import { defineCommand } from '../spec.js';

export default defineCommand({
  verb: 'VRFY',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    s.reply(252, '2.5.0', 'Cannot VRFY user, but will accept a message and attempt delivery.');
  },
});
