// Every POP3 command, once. CAPA is derived from this list (DESIGN §1: no second list).
import type { Pop3CommandName } from '../../wire/pop3/command.js';
import type { Pop3CommandSpec } from './spec.js';
import type { Pop3Session } from './session.js';
import apop from './commands/apop.js';
import auth from './commands/auth.js';
import capa from './commands/capa.js';
import dele from './commands/dele.js';
import list from './commands/list.js';
import noop from './commands/noop.js';
import pass from './commands/pass.js';
import quit from './commands/quit.js';
import retr from './commands/retr.js';
import rset from './commands/rset.js';
import stat from './commands/stat.js';
import stls from './commands/stls.js';
import top from './commands/top.js';
import uidl from './commands/uidl.js';
import user from './commands/user.js';

const COMMANDS: Pop3CommandSpec[] = [capa, stls, user, pass, apop, auth, stat, list, uidl, retr, top, dele, rset, noop, quit] as Pop3CommandSpec[];
const BY_NAME = new Map<string, Pop3CommandSpec>(COMMANDS.map((c) => [c.name, c]));

export function findCommand(name: Pop3CommandName): Pop3CommandSpec | undefined {
  return BY_NAME.get(name);
}

/** RFC 2449 capabilities for the session's current state. */
export function capabilities(s: Pop3Session): string[] {
  const phase = s.state.phase;
  const fromCommands = COMMANDS
    .filter((c) => c.capability && (phase === 'authorization' ? true : c.phases.includes('transaction')))
    .map((c) => c.capability!(s))
    .filter((c): c is string => c !== null);
  return [...fromCommands, 'RESP-CODES', 'AUTH-RESP-CODE', 'PIPELINING', 'EXPIRE NEVER', 'LOGIN-DELAY 0', 'IMPLEMENTATION postern'];
}
