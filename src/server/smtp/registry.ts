// Every SMTP/LMTP command, once. EHLO/LHLO keywords are derived from this list and the
// session's state (DESIGN §1: no second list to keep in step).
import type { SmtpVerb } from '../../wire/smtp/command.js';
import type { SmtpCommandSpec } from './spec.js';
import type { SmtpMode, SmtpSession } from './session.js';
import auth from './commands/auth.js';
import bdat from './commands/bdat.js';
import data from './commands/data.js';
import ehlo from './commands/ehlo.js';
import expn from './commands/expn.js';
import helo from './commands/helo.js';
import help from './commands/help.js';
import lhlo from './commands/lhlo.js';
import mail from './commands/mail.js';
import noop from './commands/noop.js';
import quit from './commands/quit.js';
import rcpt from './commands/rcpt.js';
import rset from './commands/rset.js';
import starttls from './commands/starttls.js';
import vrfy from './commands/vrfy.js';

const COMMANDS: SmtpCommandSpec[] = [
  ehlo, helo, lhlo, starttls, auth, mail, rcpt, data, bdat, rset, noop, quit, vrfy, expn, help,
] as SmtpCommandSpec[];

export function findCommand(verb: SmtpVerb, mode: SmtpMode): SmtpCommandSpec | undefined {
  const spec = COMMANDS.find((c) => c.verb === verb);
  return spec && spec.modes.includes(mode) ? spec : undefined;
}

export function verbsFor(mode: SmtpMode): string[] {
  return COMMANDS.filter((c) => c.modes.includes(mode)).map((c) => c.verb);
}

/**
 * EHLO/LHLO keywords for the session's current state. PIPELINING (RFC 2920) and
 * ENHANCEDSTATUSCODES (RFC 2034) are properties of the session itself, not of one command.
 */
export function ehloKeywords(s: SmtpSession): string[] {
  const fromCommands = COMMANDS.filter((c) => c.ehlo && c.modes.includes(s.mode)).flatMap((c) => c.ehlo!(s));
  return ['PIPELINING', ...fromCommands, 'ENHANCEDSTATUSCODES'];
}
