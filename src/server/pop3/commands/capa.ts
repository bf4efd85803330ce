// RFC 2449 §5 CAPA, derived from the registry and the session's state.
import { multiLine, okLine } from '../../../wire/pop3/command.js';
import { defineCommand } from '../spec.js';
import { capabilities } from '../registry.js';

export default defineCommand({
  name: 'CAPA',
  phases: ['authorization', 'transaction'],
  async handle(s) {
    s.send(okLine('Capability list follows') + multiLine(capabilities(s)));
  },
});
