// RFC 9208 §4.1 SETQUOTA: limits are the administrator's (postern.yaml), not the user's.
import { ImapError } from '../errors.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'SETQUOTA',
  states: ['authenticated', 'selected'],
  async handle() {
    throw new ImapError('NO', 'Quota limits are set by the administrator.', 'NOPERM');
  },
});
