// RFC 1939 §6 QUIT: in TRANSACTION, enter UPDATE and remove the marked messages atomically.
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'QUIT',
  phases: ['authorization', 'transaction'],
  async handle(s) {
    if (s.state.phase === 'transaction') {
      const { maildrop } = s.state;
      const marked = maildrop.deletedCount;
      try {
        const removed = await maildrop.commit();
        s.ok(`Logging out${marked ? `, ${removed} message${removed === 1 ? '' : 's'} deleted` : ''}.`);
      } catch (err) {
        s.ctx.logger.error({ err }, 'pop3 update failed');
        s.err('Some deleted messages were not removed; nothing was deleted.', 'SYS/TEMP');
      }
    } else {
      s.ok('Logging out.');
    }
    s.close();
  },
});
