// A POP3 command is data (DESIGN §1): one spec per command file, listed in registry.ts.
import type { Pop3Command, Pop3CommandName } from '../../wire/pop3/command.js';
import type { Pop3Session } from './session.js';

export type Pop3Phase = 'authorization' | 'transaction';

export interface Pop3CommandSpec<N extends Pop3CommandName = Pop3CommandName> {
  name: N;
  /** RFC 1939 states the command is valid in. */
  phases: readonly Pop3Phase[];
  /** The CAPA line this command contributes right now (RFC 2449), or null. */
  capability?: (session: Pop3Session) => string | null;
  handle(session: Pop3Session, command: Extract<Pop3Command, { name: N }>): Promise<void>;
}

export function defineCommand<N extends Pop3CommandName>(spec: Pop3CommandSpec<N>): Pop3CommandSpec<N> {
  return spec;
}
