// RFC 5321 §4.1.1.4 DATA: "354", the message (dot-stuffed, ended only by <CRLF>.<CRLF>: see
// wire/smtp/data.ts on SMTP smuggling), then one reply — or one per recipient on LMTP
// (RFC 2033 §4.2). The 250 is written only after the message is durable.
import { DotReader } from '../../../wire/smtp/data.js';
import type { ReplySpec } from '../../../wire/smtp/command.js';
import { BadSequence, errorReply, MessageTooLarge, SmtpError } from '../errors.js';
import { completeMessage } from '../complete.js';
import { defineCommand } from '../spec.js';
import type { SmtpSession, Transaction } from '../session.js';

/** Answers the end of a message: the replies from completing it, or the error for each recipient. */
export async function finishTransaction(s: SmtpSession, tx: Transaction, message: Buffer | null, failure: ReplySpec | null): Promise<void> {
  let replies: ReplySpec[];
  if (failure || !message) {
    const r = failure ?? { code: 451, enhanced: '4.3.0', text: 'Local error in processing.' };
    replies = s.lmtp ? tx.recipients.map(() => r) : [r];
  } else {
    try {
      replies = await completeMessage(s, tx, message);
    } catch (err) {
      if (!(err instanceof SmtpError)) s.ctx.logger.error({ err, session: s.conn.id, protocol: s.mode }, 'message could not be completed');
      const r = errorReply(err);
      replies = s.lmtp ? tx.recipients.map(() => r) : [r];
    }
  }
  for (const r of replies) s.replySpec(r);
  const ok = replies.filter((r) => r.code < 300).length;
  s.log.event(`message ${tx.id}: ${tx.recipients.length} recipient(s), ${ok} accepted`);
}

export default defineCommand({
  verb: 'DATA',
  modes: ['submission', 'smtp', 'lmtp'],
  async handle(s) {
    const g = s.greeted;
    if (!g) throw new BadSequence(`Send ${s.lmtp ? 'LHLO' : 'EHLO'} first.`);
    const tx = g.tx;
    if (!tx) throw new BadSequence('Need MAIL and RCPT before DATA.');
    if (tx.chunks) throw new BadSequence('DATA is not allowed after BDAT.');
    if (tx.recipients.length === 0) throw new SmtpError(554, '5.5.1', 'No valid recipients.');
    // RFC 3030 §3: a BINARYMIME body can only travel in BDAT chunks.
    if (tx.params.body === 'BINARYMIME') throw new BadSequence('BODY=BINARYMIME needs BDAT, not DATA.');
    const max = s.ctx.limits().maxMessageSize;
    s.reply(354, null, 'End data with <CR><LF>.<CR><LF>');
    // Lines up to the message size limit: a longer one means the message is too large anyway.
    s.conn.setMaxLineLength(max + 1024);
    const reader = new DotReader(max);
    let ended = false;
    try {
      for (;;) {
        const frame = await s.readFrame();
        if (!frame) return; // the client went away mid-message: nothing was accepted
        if (frame.kind === 'line') {
          if (reader.line(frame.line, frame.bareLf)) { ended = true; break; }
        } else if (frame.kind === 'too-long') {
          reader.lineTooLong();
        }
      }
    } finally {
      g.tx = null;
      s.conn.setMaxLineLength(g.access || s.mode !== 'submission' ? s.ctx.limits().maxLineLength : s.ctx.limits().maxPreAuthLineLength);
    }
    if (!ended) return;
    if (reader.hadBareLf) s.log.event('message had lines ending in a bare LF (stored as CRLF)');
    await finishTransaction(s, tx, reader.tooLarge ? null : reader.message(), reader.tooLarge ? new MessageTooLarge(max).reply : null);
  },
});
