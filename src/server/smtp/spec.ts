// An SMTP/LMTP command is data (DESIGN §1): one spec per command file, listed in registry.ts.
// The EHLO/LHLO keywords come from these specs, so there is no second list to keep in step.
import type { SmtpCommand, SmtpVerb } from '../../wire/smtp/command.js';
import type { SmtpMode, SmtpSession } from './session.js';

export interface SmtpCommandSpec<V extends SmtpVerb = SmtpVerb> {
  verb: V;
  /** The services that know this command (LMTP has LHLO, not EHLO; only submission has AUTH). */
  modes: readonly SmtpMode[];
  /** The EHLO keywords this command contributes right now (RFC 5321 §4.1.1.1). */
  ehlo?: (session: SmtpSession) => string[];
  handle(session: SmtpSession, command: Extract<SmtpCommand, { verb: V }>): Promise<void>;
}

export function defineCommand<V extends SmtpVerb>(spec: SmtpCommandSpec<V>): SmtpCommandSpec<V> {
  return spec;
}
