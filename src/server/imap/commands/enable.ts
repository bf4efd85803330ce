// RFC 5161 ENABLE (authenticated state only): CONDSTORE, QRESYNC (RFC 7162 §3.2.3, implies
// CONDSTORE), UTF8=ACCEPT (RFC 6855) and IMAP4rev2 (RFC 9051 §6.3.1). Unknown names are ignored;
// * ENABLED lists only what this command newly switched on.
import { defineCommand } from '../spec.js';

const KNOWN: Record<string, string> = { CONDSTORE: 'CONDSTORE', QRESYNC: 'QRESYNC', 'UTF8=ACCEPT': 'UTF8=ACCEPT', IMAP4REV2: 'IMAP4rev2' };

export default defineCommand({
  name: 'ENABLE',
  states: ['authenticated'],
  capabilities: () => ['ENABLE', 'UTF8=ACCEPT'],
  async handle(s, cmd, tag) {
    const now: string[] = [];
    for (const c of cmd.capabilities) {
      const name = KNOWN[c];
      if (!name || s.enabled.has(c)) continue;
      s.enabled.add(c);
      now.push(name);
      if (c === 'QRESYNC' && !s.enabled.has('CONDSTORE')) s.enabled.add('CONDSTORE');
    }
    s.push(`* ENABLED${now.map((n) => ' ' + n).join('')}\r\n`);
    s.ok(tag, 'ENABLE completed.');
  },
});
