// RFC 5321 §4.1.1.1 EHLO: start a session with extensions (not on LMTP, RFC 2033 §4.1).
import { defineCommand } from '../spec.js';
import { answerGreeting } from './greeting.js';

export default defineCommand({
  verb: 'EHLO',
  modes: ['submission', 'smtp'],
  async handle(s, cmd) {
    answerGreeting(s, 'EHLO', cmd.domain);
  },
});
