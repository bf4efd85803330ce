// RFC 5321 §4.1.1.1 HELO: a session without extensions (no parameters on MAIL/RCPT).
import { defineCommand } from '../spec.js';
import { answerGreeting } from './greeting.js';

export default defineCommand({
  verb: 'HELO',
  modes: ['submission', 'smtp'],
  async handle(s, cmd) {
    answerGreeting(s, 'HELO', cmd.domain);
  },
});
