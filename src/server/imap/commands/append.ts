// RFC 9051 §6.3.12 APPEND with UIDPLUS's APPENDUID (RFC 4315), APPENDLIMIT (RFC 7889), BINARY
// literal8 (RFC 3516), UTF8 (RFC 6855 §4), MULTIAPPEND (RFC 3502: several messages, stored all
// or none, APPENDUID with their UID set) and the account's quota (RFC 9208 [OVERQUOTA]).
import type { AppendInput } from '../../../store/types.js';
import { normalizeFlags } from '../../../store/validate.js';
import { formatNumberSet } from '../../../wire/imap/sequence-set.js';
import { ImapError } from '../errors.js';
import { checkQuota } from '../quota.js';
import { findMailbox, settleSelected } from '../resolve.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'APPEND',
  states: ['authenticated', 'selected'],
  capabilities: (s) => [`APPENDLIMIT=${s.appendLimit()}`, 'MULTIAPPEND'],
  async handle(s, cmd, tag) {
    const store = s.requireAuthenticated().access.store;
    const found = await findMailbox(s, cmd.mailbox, 'TRYCREATE');
    const inputs: AppendInput[] = [];
    for (const m of cmd.messages) {
      if (m.message.length === 0) throw new ImapError('NO', 'Cannot save an empty message.', 'CANNOT');
      if (m.message.length > s.appendLimit()) throw new ImapError('NO', 'Message too large.', 'TOOBIG');
      let flags: string[];
      try {
        // \Recent is the server's to set (RFC 3501 §2.3.2).
        flags = normalizeFlags(m.flags.filter((f) => f.toLowerCase() !== '\\recent'));
      } catch (err) {
        throw new ImapError('BAD', (err as Error).message);
      }
      inputs.push({ raw: m.message, flags, ...(m.date ? { internalDate: m.date } : {}) });
    }
    const octets = inputs.reduce((n, i) => n + i.raw.length, 0);
    await checkQuota(s, found.resolved.account.id, octets, inputs.length);
    const results = inputs.length === 1
      ? [await store.append(found.mailbox.id, inputs[0]!)]
      : await store.appendBatch(found.mailbox.id, inputs);
    const last = results[results.length - 1]!;
    await settleSelected(s, found.mailbox.id, last.modseq);
    s.ok(tag, 'Append completed.', 'APPENDUID', `${last.uidValidity} ${formatNumberSet(results.map((r) => r.uid))}`);
  },
});
