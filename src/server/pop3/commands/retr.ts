// RFC 1939 §5 RETR: the whole message, dot-stuffed, written with backpressure. A message that
// delivery found dot-transparent goes out as stored, unscanned and uncopied.
import { dotStuff } from '../../../wire/pop3/dot-stuffing.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'RETR',
  phases: ['transaction'],
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    const drop = s.state.maildrop;
    const record = drop.get(cmd.msg);
    const { raw, dotTransparent } = await drop.read(cmd.msg);
    s.log.server(`+OK ${record.size} octets [message body]`);
    await s.conn.writeAsync([`+OK ${record.size} octets\r\n`, dotTransparent ? raw : dotStuff(raw), TERMINATOR]);
  },
});

const TERMINATOR = Buffer.from('.\r\n');
