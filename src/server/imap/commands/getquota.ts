// RFC 9208 §4.2 GETQUOTA.
import { ImapError } from '../errors.js';
import { quotaResponse, quotaRootName } from '../quota.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'GETQUOTA',
  states: ['authenticated', 'selected'],
  capabilities: () => ['QUOTA', 'QUOTA=RES-STORAGE', 'QUOTA=RES-MESSAGE'],
  async handle(s, cmd, tag) {
    const { access, names } = s.requireAuthenticated();
    const accounts = [access.owner, ...(await names.delegated())];
    const account = accounts.find((a) => quotaRootName(s, a.id, a.address) === cmd.root);
    if (!account) throw new ImapError('NO', `No such quota root: ${cmd.root}`, 'NONEXISTENT');
    s.push(await quotaResponse(s, cmd.root, account.id));
    s.ok(tag, 'Getquota completed.');
  },
});
