// RFC 3030 BDAT size [LAST]: the message in exact-length chunks, no dot-stuffing. A chunk is
// always read in full, even when the command is refused (§2: the size says where the next
// command starts). After a failed chunk the transaction is over (§4.2: the client must not
// send more chunks); the rest of what it sends is read and refused.
import { BadSequence, MessageTooLarge, SmtpError } from '../errors.js';
import { defineCommand } from '../spec.js';
import type { SmtpSession } from '../session.js';
import { finishTransaction } from './data.js';

/** Largest piece of a chunk held in the framer at once. */
const SLICE = 1 << 20;

/** Reads `size` bytes of chunk data, giving each piece to `sink`; false when the client left. */
async function readChunk(s: SmtpSession, size: number, sink: (piece: Buffer) => void): Promise<boolean> {
  let left = size;
  while (left > 0) {
    s.conn.expectBytes(Math.min(left, SLICE));
    const frame = await s.conn.nextFrame();
    if (!frame || frame.kind !== 'bytes') return false;
    sink(frame.data);
    left -= frame.data.length;
  }
  return true;
}

export default defineCommand({
  verb: 'BDAT',
  modes: ['submission', 'smtp', 'lmtp'],
  ehlo: () => ['CHUNKING', 'BINARYMIME'],
  async handle(s, cmd) {
    const g = s.greeted;
    const tx = g?.tx ?? null;
    const refusal = !g ? new BadSequence(`Send ${s.lmtp ? 'LHLO' : 'EHLO'} first.`)
      : !tx ? new BadSequence('Need MAIL and RCPT before BDAT.')
      : tx.recipients.length === 0 ? new SmtpError(554, '5.5.1', 'No valid recipients.')
      : null;
    if (refusal || !g || !tx) {
      if (!(await readChunk(s, cmd.size, () => {}))) return;
      throw refusal;
    }
    const max = s.ctx.limits().maxMessageSize;
    const chunks = tx.chunks ?? (tx.chunks = { parts: [], size: 0, failure: null });
    const ok = await readChunk(s, cmd.size, (piece) => {
      chunks.size += piece.length;
      if (chunks.size > max) {
        chunks.failure ??= new MessageTooLarge(max).reply;
        chunks.parts.length = 0;
      } else {
        chunks.parts.push(piece);
      }
    });
    if (!ok) { g.tx = null; return; }
    if (chunks.failure) {
      g.tx = null;
      if (cmd.last) await finishTransaction(s, tx, null, chunks.failure);
      else s.replySpec(chunks.failure);
      return;
    }
    if (!cmd.last) {
      s.reply(250, '2.0.0', `${cmd.size} octets received`);
      return;
    }
    g.tx = null;
    await finishTransaction(s, tx, Buffer.concat(chunks.parts, chunks.size), null);
  },
});
