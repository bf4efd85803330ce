// Every IMAP command, once. CAPABILITY is derived from this list and the session's state
// (DESIGN §1: no second list to keep in step).
import type { ImapCommandName } from '../../wire/imap/command.js';
import type { ImapCommandSpec } from './spec.js';
import type { ImapSession } from './session.js';
import append from './commands/append.js';
import authenticate from './commands/authenticate.js';
import capability from './commands/capability.js';
import check from './commands/check.js';
import close from './commands/close.js';
import copy from './commands/copy.js';
import create from './commands/create.js';
import del from './commands/delete.js';
import enable from './commands/enable.js';
import examine from './commands/examine.js';
import expunge from './commands/expunge.js';
import fetch from './commands/fetch.js';
import getquota from './commands/getquota.js';
import getquotaroot from './commands/getquotaroot.js';
import id from './commands/id.js';
import idle from './commands/idle.js';
import list from './commands/list.js';
import login from './commands/login.js';
import logout from './commands/logout.js';
import lsub from './commands/lsub.js';
import move from './commands/move.js';
import namespace from './commands/namespace.js';
import noop from './commands/noop.js';
import rename from './commands/rename.js';
import search from './commands/search.js';
import select from './commands/select.js';
import setquota from './commands/setquota.js';
import sort from './commands/sort.js';
import starttls from './commands/starttls.js';
import status from './commands/status.js';
import store from './commands/store.js';
import subscribe from './commands/subscribe.js';
import thread from './commands/thread.js';
import unselect from './commands/unselect.js';
import unsubscribe from './commands/unsubscribe.js';
import compress from './commands/compress.js';

const COMMANDS = [
  capability, noop, logout, starttls, authenticate, login, id, enable, select, examine, create, del,
  rename, subscribe, unsubscribe, list, lsub, namespace, status, append, idle, check, close, unselect,
  expunge, search, fetch, store, copy, move, sort, thread, getquota, getquotaroot, setquota, compress,
] as unknown as ImapCommandSpec[];

const BY_NAME = new Map<string, ImapCommandSpec>(COMMANDS.map((c) => [c.name, c]));

export function findCommand(name: ImapCommandName): ImapCommandSpec | undefined {
  return BY_NAME.get(name);
}

/** Before login: what a client needs to log in (as Dovecot); after: everything. */
const PRE_AUTH_STATIC = ['SASL-IR', 'LITERAL+', 'ID', 'ENABLE', 'IDLE'];
const POST_AUTH_STATIC = ['LITERAL+'];

export function capabilityList(s: ImapSession): string[] {
  const out = ['IMAP4rev1', 'IMAP4rev2'];
  const seen = new Set(out);
  const add = (c: string) => {
    if (!seen.has(c)) {
      seen.add(c);
      out.push(c);
    }
  };
  if (!s.authenticated) {
    for (const c of PRE_AUTH_STATIC) add(c);
    for (const spec of COMMANDS) {
      if (spec.states.includes('not-authenticated') && spec.capabilities) for (const c of spec.capabilities(s)) add(c);
    }
    return out;
  }
  for (const c of POST_AUTH_STATIC) add(c);
  for (const spec of COMMANDS) if (spec.capabilities) for (const c of spec.capabilities(s)) add(c);
  return out;
}
