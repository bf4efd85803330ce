// RFC 9051 §6.3.12 APPEND with UIDPLUS's APPENDUID (RFC 4315), APPENDLIMIT (RFC 7889), BINARY
// literal8 (RFC 3516), UTF8 (RFC 6855 §4) and the account's quota (RFC 9208 [OVERQUOTA]).
import { normalizeFlags } from '../../../store/validate.js';
import { ImapError } from '../errors.js';
import { checkQuota } from '../quota.js';
import { findMailbox, settleSelected } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  capabilities: (s) => [`APPENDLIMIT=${s.appendLimit()}`],
  async handle(s, cmd, tag) {
    const store = s.requireAuthenticated().access.store;
    const found = await findMailbox(s, cmd.mailbox, 'TRYCREATE');
    if (cmd.message.length === 0) throw new ImapError('NO', 'Cannot save an empty message.', 'CANNOT');
    if (cmd.message.length > s.appendLimit()) throw new ImapError('NO', 'Message too large.', 'TOOBIG');
    let flags: string[];
    try {
      // \Recent is the server's to set (RFC 3501 §2.3.2).
      flags = normalizeFlags(cmd.flags.filter((f) => f.toLowerCase() !== '\\recent'));
    } catch (err) {
      throw new ImapError('BAD', (err as Error).message);
    }
    await checkQuota(s, found.resolved.account.id, cmd.message.length, 1);
    const result = await store.append(found.mailbox.id, {
      raw: cmd.message,
      flags,
      ...(cmd.date ? { internalDate: cmd.date } : {}),
    });
    await settleSelected(s, found.mailbox.id, result.modseq);
    s.ok(tag, 'Append completed.', 'APPENDUID', `${result.uidValidity} ${result.uid}`);
  },
});
