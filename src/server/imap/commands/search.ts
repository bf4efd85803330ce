// RFC 9051 §6.4.4 SEARCH (and UID SEARCH): CHARSET UTF-8/US-ASCII, ESEARCH return options
// (RFC 4731), SAVE to "$" (RFC 5182), MODSEQ (RFC 7162). IMAP4rev2 clients always get ESEARCH.
import { formatNumberSet } from '../../../wire/imap/sequence-set.js';
import { quote } from '../../../wire/imap/response.js';
import { ImapError } from '../errors.js';
import { evaluateSearch } from '../search-eval.js';
import { defineCommand } from '../spec.js';

export function checkCharset(charset: string | null): void {
  if (charset === null) return;
  const c = charset.toUpperCase();
  if (c !== 'UTF-8' && c !== 'US-ASCII') throw new ImapError('NO', `Unsupported charset ${charset}.`, 'BADCHARSET', '(UTF-8 US-ASCII)');
}

export default defineCommand({
  name: 'SEARCH',
  states: ['selected'],
  capabilities: () => ['ESEARCH', 'SEARCHRES', 'WITHIN'],
  holdsExpunges: (cmd) => !cmd.uid,
  async handle(s, cmd, tag) {
    const mb = s.requireSelected();
    checkCharset(cmd.charset);
    const save = cmd.returns?.includes('SAVE') ?? false;
    let result;
    try {
      result = await evaluateSearch(s, mb, cmd.criteria);
    } catch (err) {
      if (save) s.savedSearch = []; // RFC 5182 §2.1: a failed SAVE leaves "$" empty
      throw err;
    }
    if (result.usedModseq) s.enabled.add('CONDSTORE');
    const uids = result.uids;
    const numbers = cmd.uid ? uids : uids.map((u) => mb.seqOf(u));
    const records = result.records ?? [];
    const modseq = result.usedModseq && records.length > 0 ? records.reduce((m, r) => Math.max(m, r.modseq), 0) : null;
    const returns = cmd.returns ?? (s.rev2 ? ['ALL'] : null);
    if (save) {
      const only = returns!.filter((o) => o !== 'SAVE');
      // RFC 5182 §2.4: with MIN and/or MAX (and nothing else) only those are saved.
      if (only.length > 0 && only.every((o) => o === 'MIN' || o === 'MAX') && uids.length > 0) {
        const picked = [];
        if (only.includes('MIN')) picked.push(uids[0]!);
        if (only.includes('MAX')) picked.push(uids[uids.length - 1]!);
        s.savedSearch = [...new Set(picked)].sort((a, b) => a - b);
      } else s.savedSearch = uids;
    }
    if (returns === null) {
      s.push(`* SEARCH${numbers.map((n) => ' ' + n).join('')}${modseq !== null ? ` (MODSEQ ${modseq})` : ''}\r\n`);
    } else {
      const shown = returns.filter((o) => o !== 'SAVE');
      if (shown.length > 0 || !save) s.push(esearchLine(tag, cmd.uid, shown.length ? shown : ['ALL'], numbers, modseq));
    }
    s.ok(tag, 'Search completed.');
  },
});

export function esearchLine(tag: string, uid: boolean, returns: string[], numbers: number[], modseq: number | null): string {
  const parts = [`* ESEARCH (TAG ${quote(tag)})`];
  if (uid) parts.push('UID');
  const sorted = [...numbers].sort((a, b) => a - b);
  if (returns.includes('MIN') && sorted.length) parts.push(`MIN ${sorted[0]}`);
  if (returns.includes('MAX') && sorted.length) parts.push(`MAX ${sorted[sorted.length - 1]}`);
  if (returns.includes('ALL') && sorted.length) parts.push(`ALL ${formatNumberSet(sorted)}`);
  if (returns.includes('COUNT')) parts.push(`COUNT ${sorted.length}`);
  if (modseq !== null) parts.push(`MODSEQ ${modseq}`);
  return parts.join(' ') + '\r\n';
}
