// RFC 1939 §7 UIDL [msg]: unique-ids stable across sessions.
import { multiLine, okLine } from '../../../wire/pop3/command.js';
import { defineCommand } from '../spec.js';
import { uniqueId } from '../maildrop.js';

export default defineCommand({
  name: 'UIDL',
  phases: ['transaction'],
  capability: () => 'UIDL',
  async handle(s, cmd) {
    if (s.state.phase !== 'transaction') return;
    const drop = s.state.maildrop;
    const validity = drop.mailbox.uidValidity;
    if (cmd.msg !== null) {
      s.ok(`${cmd.msg} ${uniqueId(drop.get(cmd.msg).uid, validity)}`);
      return;
    }
    s.send(okLine('Unique-ID listing follows') + multiLine(drop.visible().map((m) => `${m.msg} ${uniqueId(m.record.uid, validity)}`)));
  },
});
