// RFC 1939 §5 RETR: the whole message, dot-stuffed, written with backpressure.
import { dotStuff } from '../../../wire/pop3/dot-stuffing.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'RETR',
  phases: ['transaction'],
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    const drop = s.state.maildrop;
    const record = drop.get(cmd.msg);
    const raw = await drop.read(cmd.msg);
    s.log.server(`+OK ${record.size} octets [message body]`);
    s.conn.write(`+OK ${record.size} octets\r\n`);
    s.conn.write(dotStuff(raw));
    await s.conn.writeAsync(TERMINATOR);
  },
});

const TERMINATOR = Buffer.from('.\r\n');
