// An IMAP command is data (DESIGN §1): one spec per command file, listed in registry.ts. The
// grammar lives in wire/imap (command-parser.ts); a spec says where the command is valid, what
// it adds to CAPABILITY, and handles the typed command.
import type { ImapCommand, ImapCommandName } from '../../wire/imap/command.js';
import type { ImapSession } from './session.js';

/** RFC 9051 §3 states a command may be used in. */
export type ImapStateName = 'not-authenticated' | 'authenticated' | 'selected';

export interface ImapCommandSpec<N extends ImapCommandName = ImapCommandName> {
  name: N;
  states: readonly ImapStateName[];
  /** Capability names this command contributes right now (none: empty list). */
  capabilities?: (session: ImapSession) => string[];
  /**
   * RFC 9051 §7.5.1 / RFC 3501 §7.4.1: no EXPUNGE may be sent while FETCH, STORE or SEARCH (by
   * sequence number) runs, or message numbers would shift under the client.
   */
  holdsExpunges?: (command: Extract<ImapCommand, { name: N }>) => boolean;
  handle(session: ImapSession, command: Extract<ImapCommand, { name: N }>, tag: string): Promise<void>;
}

export function defineCommand<N extends ImapCommandName>(spec: ImapCommandSpec<N>): ImapCommandSpec<N> {
  return spec;
}
