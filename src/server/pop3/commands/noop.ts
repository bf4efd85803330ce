// RFC 1939 §5 NOOP.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'NOOP',
  phases: ['transaction'],
  async handle(s) {
    s.ok('');
  },
});
