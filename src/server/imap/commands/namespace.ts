// RFC 2342 / RFC 9051 §6.3.10 NAMESPACE: personal "" and the other users' namespace, under which
// the mailboxes of accounts this user holds FullAccess on are listed.
import { defineCommand } from '../spec.js';
import { DELIMITER, OTHER_USERS } from '../mailbox-names.js';

export default defineCommand({
  name: 'NAMESPACE',
  states: ['authenticated', 'selected'],
  capabilities: () => ['NAMESPACE'],
  async handle(s, _cmd, tag) {
    s.push(`* NAMESPACE (("" "${DELIMITER}")) (("${OTHER_USERS}${DELIMITER}" "${DELIMITER}")) NIL\r\n`);
    s.ok(tag, 'NAMESPACE completed.');
  },
});
