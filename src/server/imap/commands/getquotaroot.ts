// RFC 9208 §4.3 GETQUOTAROOT: the mailbox's root and that root's usage and limits.
import { astring, quote, toBytes } from '../../../wire/imap/response.js';
import { encodeWireName } from '../mailbox-names.js';
import { quotaResponse, quotaRootName } from '../quota.js';
import { findMailbox } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'GETQUOTAROOT',
  states: ['authenticated', 'selected'],
  async handle(s, cmd, tag) {
    const found = await findMailbox(s, cmd.mailbox);
    const account = found.resolved.account;
    const root = quotaRootName(s, account.id, account.address);
    const name = toBytes(astring(encodeWireName(found.name, s.utf8), s.utf8)).toString('utf8');
    s.push(`* QUOTAROOT ${name} ${quote(root)}\r\n`);
    s.push(await quotaResponse(s, root, account.id));
    s.ok(tag, 'Getquotaroot completed.');
  },
});
