// RFC 2033 §4.1 LHLO: LMTP's EHLO.
import { defineCommand } from '../spec.js';
import { answerGreeting } from './greeting.js';

export default defineCommand({
  verb: 'LHLO',
  modes: ['lmtp'],
  async handle(s, cmd) {
    answerGreeting(s, 'LHLO', cmd.domain);
  },
});
