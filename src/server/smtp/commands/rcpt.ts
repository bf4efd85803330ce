// RFC 5321 §4.1.1.3 RCPT TO:<forward-path> [params]: one recipient, decided now (unknown
// mailboxes and relaying are refused here, never bounced later). NOTIFY/ORCPT (RFC 3461) on
// submission.
import { BadSequence, SmtpError, TooManyRecipients } from '../errors.js';
import { resolveRecipient } from '../policy.js';
import { defineCommand } from '../spec.js';
import { dsnOffered } from './mail.js';

export default defineCommand({
  verb: 'RCPT',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s, cmd) {
    const g = s.greeted;
    if (!g) throw new BadSequence(`Send ${s.lmtp ? 'LHLO' : 'EHLO'} first.`);
    const tx = g.tx;
    if (!tx) throw new BadSequence('Need MAIL before RCPT.');
    if (tx.chunks) throw new BadSequence('RCPT is not allowed during a BDAT transfer.');
    if (!s.extended && cmd.params.keywords.length) throw new SmtpError(555, '5.5.4', 'RCPT parameters need EHLO.');
    if (!dsnOffered(s) && cmd.params.keywords.length) throw new SmtpError(555, '5.5.4', 'DSN parameters are not supported here.');
    if (cmd.to.utf8 && !tx.params.smtputf8) throw new SmtpError(553, '5.6.7', 'A non-ASCII address needs SMTPUTF8 on MAIL FROM.');
    const max = s.settings().maxRecipients;
    if (tx.recipients.length >= max) throw new TooManyRecipients(max);
    const accepted = await resolveRecipient(s.ctx, s.mode, cmd.to, cmd.postmaster, cmd.params);
    tx.recipients.push(accepted);
    s.reply(250, '2.1.5', `Recipient <${accepted.address}> OK`);
  },
});
