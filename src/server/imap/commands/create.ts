// RFC 9051 §6.3.4 CREATE, with RFC 6154 §3 CREATE-SPECIAL-USE ("USE (\Drafts)") and the new
// mailbox's RFC 8474 MAILBOXID in the tagged OK.
import type { SpecialUse } from '../../../store/types.js';
import { ImapError } from '../errors.js';
import { canonicalName, checkNewName, decodeWireName } from '../mailbox-names.js';
import { mailboxObjectId } from '../object-id.js';
import { defineCommand } from '../spec.js';

const USES = new Map<string, SpecialUse>(['\\Drafts', '\\Sent', '\\Trash', '\\Junk', '\\Archive', '\\All', '\\Flagged'].map((u) => [u.toLowerCase(), u as SpecialUse]));

export default defineCommand({
  name: 'CREATE',
  states: ['authenticated', 'selected'],
  capabilities: () => ['CREATE-SPECIAL-USE'],
  async handle(s, cmd, tag) {
    const { names, access } = s.requireAuthenticated();
    const name = canonicalName(decodeWireName(cmd.mailbox, s.utf8));
    checkNewName(name);
    if (cmd.use.length > 1) throw new ImapError('NO', 'Only one special use per mailbox.', 'USEATTR');
    const use = cmd.use.length ? USES.get(cmd.use[0]!.toLowerCase()) : null;
    if (use === undefined) throw new ImapError('NO', `Unsupported special use ${cmd.use[0]}.`, 'USEATTR');
    const resolved = await names.resolve(name);
    if (!resolved || !resolved.storeName) throw new ImapError('NO', 'Mailboxes cannot be created there.', 'NOPERM');
    if (resolved.storeName === 'INBOX' && (await access.store.getMailbox(resolved.account.id, 'INBOX'))) {
      throw new ImapError('NO', 'Mailbox already exists.', 'ALREADYEXISTS');
    }
    const created = await access.store.createMailbox(resolved.account.id, resolved.storeName, use);
    s.ok(tag, 'Create completed.', 'MAILBOXID', `(${mailboxObjectId(created)})`);
  },
});
