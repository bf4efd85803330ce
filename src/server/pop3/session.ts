// One POP3 session (RFC 1939): AUTHORIZATION → TRANSACTION → UPDATE. The state is a
// discriminated union and only the TRANSACTION variant holds a MailAccess and a maildrop: code
// that runs before login has nothing to reach mail with (DESIGN §1, the login wall).
import type { Connection } from '../../net/connection.js';
import type { MailAccess } from '../../auth/mail-access.js';
import type { AuthFailure } from '../../auth/authenticator.js';
import { commandLoginAllowed, saslMechanismAllowed, type ConnectionSecurity } from '../../auth/policy.js';
import type { ProtocolSettings } from '../../config/schema.js';
import { errLine, okLine, parsePop3Command, redactPop3Line, type Pop3ResponseCode } from '../../wire/pop3/command.js';
import type { ServerContext } from '../common/context.js';
import type { SessionLog } from '../common/protocol-log.js';
import { errorReply, Pop3Error } from './errors.js';
import { Maildrop } from './maildrop.js';
import { findCommand } from './registry.js';

export type Pop3State =
  | { phase: 'authorization'; pendingUser: string | null }
  | { phase: 'transaction'; access: MailAccess; maildrop: Maildrop; releaseUserIp: () => void }
  | { phase: 'closed' };

export class Pop3Session {
  state: Pop3State = { phase: 'authorization', pendingUser: null };
  /** Inside an AUTH exchange: client lines are credentials and never logged. */
  inSasl = false;
  private badCommands = 0;

  constructor(
    readonly conn: Connection,
    readonly ctx: ServerContext,
    /** The listener: `starttls` (UnencryptedOrTLS binding) or `tls` (SSL binding). */
    readonly listenerSecurity: 'starttls' | 'tls',
    readonly log: SessionLog,
  ) {}

  settings(): ProtocolSettings {
    return this.ctx.config().pop3;
  }

  security(): ConnectionSecurity {
    return { tls: this.conn.isTls, trusted: this.ctx.trustedNetworks().contains(this.conn.remoteAddress) };
  }

  /** May USER/PASS be used now? (LoginType, TLS, trusted networks) */
  userPassAllowed(): boolean {
    return commandLoginAllowed(this.settings().loginType, this.security());
  }

  mechanismAllowed(cleartext: boolean): boolean {
    return saslMechanismAllowed(this.settings().loginType, this.security(), cleartext);
  }

  canStartTls(): boolean {
    return this.listenerSecurity === 'starttls' && !this.conn.isTls && this.state.phase === 'authorization';
  }

  ok(text: string): void {
    this.send(okLine(text));
  }

  err(text: string, code?: Pop3ResponseCode): void {
    this.send(errLine(text, code));
  }

  send(text: string): void {
    this.log.server(text.length > 200 ? `${text.slice(0, text.indexOf('\r\n'))} [${text.length} bytes]` : text);
    this.conn.write(text);
  }

  /** Runs the session until QUIT, a timeout or the peer leaving. */
  async run(): Promise<void> {
    const settings = this.settings();
    this.conn.setMaxLineLength(this.ctx.limits().maxPreAuthLineLength);
    this.conn.setTimeout(settings.preAuthenticatedConnectionTimeout, () => this.timeout());
    this.ok(settings.banner);
    try {
      while (this.state.phase !== 'closed') {
        const line = await this.readLine();
        if (line === null) break;
        await this.dispatch(line);
      }
    } finally {
      await this.cleanup();
    }
  }

  /** The next command line; null when the client has gone. Overlong lines are answered here. */
  async readLine(): Promise<string | null> {
    for (;;) {
      const frame = await this.conn.nextFrame();
      if (!frame) return null;
      if (frame.kind === 'line') return frame.line.toString('latin1');
      if (frame.kind === 'too-long') {
        this.log.client(`[line of ${frame.discarded} bytes dropped]`);
        this.err('Line too long.');
        if (this.countBad()) return null;
      }
    }
  }

  private async dispatch(line: string): Promise<void> {
    this.log.client(redactPop3Line(line, false));
    const parsed = parsePop3Command(line);
    if (!parsed.ok) {
      this.err(parsed.reason);
      this.countBad();
      return;
    }
    const { command } = parsed;
    const spec = findCommand(command.name);
    const phase = this.state.phase === 'closed' ? null : this.state.phase;
    if (!spec || phase === null) {
      this.err(`${command.name} is not supported.`);
      this.countBad();
      return;
    }
    if (!spec.phases.includes(phase)) {
      this.err(phase === 'authorization' ? `Log in first: ${command.name} needs an authenticated session.` : `${command.name} is not valid after login.`);
      this.countBad();
      return;
    }
    try {
      await spec.handle(this, command as never);
    } catch (err) {
      if (!(err instanceof Pop3Error)) this.ctx.logger.error({ err, session: this.conn.id }, 'pop3 command failed');
      this.send(errorReply(err));
      if (err instanceof Pop3Error && err.countsAsBad) this.countBad();
    }
  }

  /** true when the session was closed for too many bad commands. */
  private countBad(): boolean {
    if (++this.badCommands < this.ctx.limits().maxBadCommands) return false;
    this.err('Too many bad commands; closing the connection.');
    this.close();
    return true;
  }

  /** Moves to TRANSACTION after the authenticator said yes; answers the client either way. */
  async completeLogin(access: MailAccess): Promise<void> {
    const settings = this.settings();
    const releaseUserIp = this.ctx.userIp.tryAcquire(`pop3|${access.identity.id}|${this.conn.remoteAddress}`, settings.maxConnectionsPerUserIp);
    if (!releaseUserIp) {
      this.err('Too many connections from this user and address.', 'SYS/TEMP');
      return;
    }
    try {
      const inbox = await access.inbox();
      const maildrop = await Maildrop.open(access.store, inbox);
      if (!maildrop) {
        releaseUserIp();
        this.err('Unable to lock the maildrop: another POP3 session holds it.', 'IN-USE');
        return;
      }
      this.state = { phase: 'transaction', access, maildrop, releaseUserIp };
    } catch (err) {
      releaseUserIp();
      throw err;
    }
    this.conn.setMaxLineLength(this.ctx.limits().maxLineLength);
    this.conn.setTimeout(settings.authenticatedConnectionTimeout, () => this.timeout());
    const [count, size] = this.state.maildrop.stat();
    const who = access.delegated ? `${access.identity.address} as ${access.owner.address}` : access.identity.address;
    this.log.event(`login ${who}`);
    this.ok(`Logged in. ${count} message${count === 1 ? '' : 's'} (${size} octets).`);
  }

  loginFailed(failure: AuthFailure): void {
    this.log.event(`login failed: ${failure.code}`);
    const code: Pop3ResponseCode = failure.code === 'temporary' ? 'SYS/TEMP' : 'AUTH';
    this.err(failure.message, code);
  }

  async upgradeToTls(): Promise<void> {
    await this.conn.startTls(this.ctx.tls, 'pop3', this.ctx.limits().tlsHandshakeTimeoutMs);
    if (this.conn.discardedAtUpgrade > 0) this.log.event(`discarded ${this.conn.discardedAtUpgrade} bytes sent before the TLS handshake`);
    // RFC 2595 §4: forget everything learned before TLS.
    this.state = { phase: 'authorization', pendingUser: null };
  }

  close(): void {
    if (this.state.phase === 'transaction') void this.cleanup();
    this.state = { phase: 'closed' };
    this.conn.close();
  }

  private timeout(): void {
    this.err('Disconnected for inactivity.');
    this.log.event('timeout');
    this.close();
  }

  /** A session that ends without QUIT deletes nothing (RFC 1939 §6). */
  private async cleanup(): Promise<void> {
    const s = this.state;
    if (s.phase === 'transaction') {
      this.state = { phase: 'closed' };
      await s.maildrop.release();
      s.releaseUserIp();
    }
    this.state = { phase: 'closed' };
    this.conn.close();
  }
}
