// RFC 1939 §7 TOP msg n: the header, the blank line and n lines of the body.
import { dotStuff, topOfMessage } from '../../../wire/pop3/dot-stuffing.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'TOP',
  phases: ['transaction'],
  capability: () => 'TOP',
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    const raw = await s.state.maildrop.read(cmd.msg);
    s.log.server(`+OK top of message follows [${cmd.lines} lines]`);
    await s.conn.writeAsync(Buffer.concat([Buffer.from('+OK Top of message follows\r\n'), dotStuff(topOfMessage(raw, cmd.lines)), Buffer.from('.\r\n')]));
  },
});
