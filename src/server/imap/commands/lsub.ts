// RFC 3501 §6.3.9 LSUB (IMAP4rev1; RFC 9051 replaced it with LIST (SUBSCRIBED)).
import { astring, toBytes } from '../../../wire/imap/response.js';
import { DELIMITER, decodeWireName, encodeWireName, patternMatcher } from '../mailbox-names.js';
import { listNodes, nodeAttributes } from '../listing.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'LSUB',
  states: ['authenticated', 'selected'],
  async handle(s, cmd, tag) {
    const { access, names } = s.requireAuthenticated();
    const match = patternMatcher(decodeWireName(cmd.reference, s.utf8) + decodeWireName(cmd.pattern, s.utf8));
    for (const node of await listNodes(access, names)) {
      if (!node.mailbox?.subscribed || !match(node.name)) continue;
      const attrs = nodeAttributes(node, { subscribed: false });
      const name = toBytes(astring(encodeWireName(node.name, s.utf8), s.utf8)).toString('utf8');
      s.push(`* LSUB (${attrs.join(' ')}) "${DELIMITER}" ${name}\r\n`);
    }
    s.ok(tag, 'Lsub completed.');
  },
});
