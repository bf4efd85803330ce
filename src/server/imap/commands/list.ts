// RFC 9051 §6.3.9 LIST with RFC 5258 LIST-EXTENDED (selection and return options, several
// patterns), RFC 5819 LIST-STATUS and RFC 6154 SPECIAL-USE.
import { astring, toBytes } from '../../../wire/imap/response.js';
import { DELIMITER, decodeWireName, encodeWireName, patternMatcher } from '../mailbox-names.js';
import { listNodes, nodeAttributes } from '../listing.js';
import { statusLine } from '../status-items.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'LIST',
  states: ['authenticated', 'selected'],
  capabilities: () => ['LIST-EXTENDED', 'LIST-STATUS', 'SPECIAL-USE', 'CHILDREN'],
  async handle(s, cmd, tag) {
    const { access, names } = s.requireAuthenticated();
    const reference = decodeWireName(cmd.reference, s.utf8);
    // RFC 9051 §6.3.9: an empty pattern asks for the delimiter and the root of the reference.
    if (cmd.patterns.length === 1 && cmd.patterns[0] === '') {
      s.push(`* LIST (\\Noselect) "${DELIMITER}" ""\r\n`);
      s.ok(tag, 'List completed.');
      return;
    }
    const matchers = cmd.patterns.filter((p) => p !== '').map((p) => patternMatcher(reference + tryDecode(p, s.utf8)));
    const subscribedOnly = cmd.selection.includes('SUBSCRIBED');
    const specialOnly = cmd.selection.includes('SPECIAL-USE');
    const recursive = cmd.selection.includes('RECURSIVEMATCH');
    const showSubscribed = subscribedOnly || cmd.returns.subscribed;
    for (const node of await listNodes(access, names)) {
      if (!matchers.some((m) => m(node.name))) continue;
      let childInfo = false;
      if (subscribedOnly && !node.mailbox?.subscribed) {
        if (!(recursive && node.subscribedChild)) continue;
        childInfo = true;
      }
      if (specialOnly && !node.mailbox?.specialUse) continue;
      const attrs = nodeAttributes(node, { subscribed: showSubscribed });
      const name = toBytes(astring(encodeWireName(node.name, s.utf8), s.utf8)).toString('utf8');
      s.push(`* LIST (${attrs.join(' ')}) "${DELIMITER}" ${name}${childInfo ? ' ("CHILDINFO" ("SUBSCRIBED"))' : ''}\r\n`);
      if (cmd.returns.status && node.mailbox) {
        s.push(await statusLine(s, node.name, node.mailbox, cmd.returns.status));
      }
    }
    s.ok(tag, 'List completed.');
  },
});

/** Patterns may hold wildcards, which modified UTF-7 leaves alone. */
function tryDecode(pattern: string, utf8: boolean): string {
  try {
    return decodeWireName(pattern, utf8);
  } catch {
    return pattern;
  }
}
