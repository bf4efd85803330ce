// RFC 5321 §4.1.1.8 HELP: the commands this service knows, from the registry.
import { defineCommand } from '../spec.js';
import { verbsFor } from '../registry.js';

export default defineCommand({
  verb: 'HELP',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    s.reply(214, '2.0.0', [`Commands: ${verbsFor(s.mode).join(' ')}`, 'See RFC 5321; postern answers to the commands above.']);
  },
});
