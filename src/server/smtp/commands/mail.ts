// RFC 5321 §4.1.1.2 MAIL FROM:<reverse-path> [params]: starts a transaction. Parameters of
// SIZE (RFC 1870), BODY (RFC 6152 / RFC 3030), SMTPUTF8 (RFC 6531), RET/ENVID (RFC 3461, on
// submission), AUTH= (RFC 4954 §5, accepted and not trusted). On submission the sender must be
// an address the user may send as.
import { AuthenticationRequired, BadSequence, MessageTooLarge, SenderNotAllowed, SmtpError, TlsRequired } from '../errors.js';
import { maySendAs } from '../policy.js';
import { defineCommand } from '../spec.js';
import type { SmtpSession } from '../session.js';

/** DSN (RFC 3461) is offered where we may have to report: submission (we relay). */
export function dsnOffered(s: SmtpSession): boolean {
  return s.mode === 'submission';
}

const DSN_MAIL_PARAMS = ['RET', 'ENVID'];

export default defineCommand({
  verb: 'MAIL',
  modes: ['submission', 'smtp', 'lmtp'],
  ehlo: (s) => [`SIZE ${s.ctx.limits().maxMessageSize}`, '8BITMIME', 'SMTPUTF8', ...(dsnOffered(s) ? ['DSN'] : [])],
  async handle(s, cmd) {
    const g = s.greeted;
    if (!g) throw new BadSequence(`Send ${s.lmtp ? 'LHLO' : 'EHLO'} first.`);
    if (g.tx) throw new BadSequence('Sender already specified; send RSET to start over.');
    if (s.mode === 'submission' && !g.access) {
      throw s.settings().loginType === 'SecureLogin' && !s.secure ? new TlsRequired() : new AuthenticationRequired();
    }
    const p = cmd.params;
    if (!s.extended && p.keywords.length) throw new SmtpError(555, '5.5.4', 'MAIL parameters need EHLO.');
    if (!dsnOffered(s) && p.keywords.some((k) => DSN_MAIL_PARAMS.includes(k))) throw new SmtpError(555, '5.5.4', 'DSN parameters are not supported here.');
    const max = s.ctx.limits().maxMessageSize;
    if (p.size !== null && p.size > max) throw new MessageTooLarge(max);
    if (cmd.from?.utf8 && !p.smtputf8) throw new SmtpError(553, '5.6.7', 'A non-ASCII address needs the SMTPUTF8 parameter.');
    if (s.mode === 'submission' && g.access) {
      const policy = s.settings().sendAs;
      if (cmd.from === null) {
        if (policy !== 'any') throw new SmtpError(553, '5.7.1', 'The null sender <> is for bounces; submit mail from your own address.');
      } else if (!(await maySendAs(g.access, cmd.from.address, policy))) {
        throw new SenderNotAllowed(cmd.from.address, 'envelope');
      }
    }
    g.tx = { id: s.newMessageId(), from: cmd.from, params: p, recipients: [], chunks: null };
    s.reply(250, '2.1.0', `Sender <${cmd.from?.address ?? ''}> OK`);
  },
});
