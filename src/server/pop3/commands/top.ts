// RFC 1939 §7 TOP msg n: the header, the blank line and n lines of the body. A prefix cut at a
// line end of a dot-transparent message is dot-transparent too.
import { dotStuff, topOfMessage } from '../../../wire/pop3/dot-stuffing.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'TOP',
  phases: ['transaction'],
  capability: () => 'TOP',
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    const { raw, dotTransparent } = await s.state.maildrop.read(cmd.msg);
    const top = topOfMessage(raw, cmd.lines);
    s.log.server(`+OK top of message follows [${cmd.lines} lines]`);
    await s.conn.writeAsync(['+OK Top of message follows\r\n', dotTransparent ? top : dotStuff(top), TERMINATOR]);
  },
});

const TERMINATOR = Buffer.from('.\r\n');
