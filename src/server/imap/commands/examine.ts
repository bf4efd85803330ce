// RFC 9051 §6.3.3 EXAMINE: SELECT, read-only.
import { defineCommand } from '../spec.js';
import { selectMailbox } from './select.js';

export default defineCommand({
  name: 'EXAMINE',
  states: ['authenticated', 'selected'],
  handle: selectMailbox,
});
