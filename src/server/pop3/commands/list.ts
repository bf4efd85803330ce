// RFC 1939 §5 LIST [msg].
import { multiLine, okLine } from '../../../wire/pop3/command.js';
import { defineCommand } from '../spec.js';

export default defineCommand({
  name: 'LIST',
  phases: ['transaction'],
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    const drop = s.state.maildrop;
    if (cmd.msg !== null) {
      s.ok(`${cmd.msg} ${drop.get(cmd.msg).size}`);
      return;
    }
    const [count, size] = drop.stat();
    s.send(okLine(`${count} messages (${size} octets)`) + multiLine(drop.visible().map((m) => `${m.msg} ${m.record.size}`)));
  },
});
