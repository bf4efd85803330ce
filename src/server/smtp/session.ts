// One SMTP or LMTP session: submission (RFC 6409, 587 STARTTLS / 465 implicit TLS), inbound
// MX (RFC 5321, port 25) or LMTP (RFC 2033, for a local MTA). The state is a discriminated union
// and only the greeted variant can hold a MailAccess, which only AUTH can put there (DESIGN §1,
// the login wall). Replies are buffered and flushed whenever the client has nothing more
// pipelined (RFC 2920 §3.1), so a pipelined burst costs one write.
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../../net/connection.js';
import type { Frame } from '../../net/line-framer.js';
import type { MailAccess } from '../../auth/mail-access.js';
import { isSecure, type ConnectionSecurity } from '../../auth/policy.js';
import type { Account } from '../../store/types.js';
import type { LoginType, SendAsPolicy } from '../../config/schema.js';
import { parseSmtpCommand, redactSmtpLine, type MailParams, type ReplySpec } from '../../wire/smtp/command.js';
import type { EnvelopeAddress } from '../../wire/smtp/address.js';
import { formatReply } from '../../wire/smtp/reply-format.js';
import type { NotifyOn } from '../../wire/smtp/command.js';
import type { ServerContext } from '../common/context.js';
import type { SessionLog } from '../common/protocol-log.js';
import { errorReply, SmtpError } from './errors.js';
import { findCommand } from './registry.js';

export type SmtpMode = 'submission' | 'smtp' | 'lmtp';

export interface Greeting {
  verb: 'EHLO' | 'HELO' | 'LHLO';
  domain: string;
}

export interface AcceptedRecipient {
  /** The address as the client gave it (domain lower-cased). */
  address: string;
  /** The local account that receives it, or null when it is relayed through the smarthost. */
  account: Account | null;
  notify: 'NEVER' | NotifyOn[] | null;
  orcpt: { type: string; address: string } | null;
}

/** A BDAT transfer in progress (RFC 3030). */
export interface ChunkState {
  parts: Buffer[];
  size: number;
  /** Set once the transfer failed (too large): later chunks are read and dropped. */
  failure: ReplySpec | null;
}

export interface Transaction {
  /** Our id for the message: in the Received field, the 250 reply and the queue. */
  id: string;
  from: EnvelopeAddress | null;
  params: MailParams;
  recipients: AcceptedRecipient[];
  chunks: ChunkState | null;
}

export type SmtpState =
  | { phase: 'connected' }
  | { phase: 'greeted'; greeting: Greeting; access: MailAccess | null; tx: Transaction | null }
  | { phase: 'closed' };

/** The settings a session reads, whichever service it belongs to. */
export interface SmtpServiceSettings {
  banner: string;
  maxRecipients: number;
  protocolLog: boolean;
  /** Before AUTH (submission) or for the whole session (MX, LMTP). */
  idleTimeout: number;
  authenticatedTimeout: number;
  loginType: LoginType;
  sendAs: SendAsPolicy;
}

export function serviceSettings(ctx: ServerContext, mode: SmtpMode): SmtpServiceSettings {
  const c = ctx.config();
  if (mode === 'submission') {
    const s = c.submission;
    return {
      banner: s.banner, maxRecipients: s.maxRecipients, protocolLog: s.protocolLog,
      idleTimeout: s.preAuthenticatedConnectionTimeout, authenticatedTimeout: s.authenticatedConnectionTimeout,
      loginType: s.loginType, sendAs: s.sendAs,
    };
  }
  if (mode === 'smtp') {
    const s = c.smtp;
    return {
      banner: s?.banner ?? 'The postern SMTP service is ready.', maxRecipients: s?.maxRecipients ?? 100,
      protocolLog: s?.protocolLog ?? false, idleTimeout: s?.connectionTimeout ?? 300_000,
      authenticatedTimeout: s?.connectionTimeout ?? 300_000, loginType: 'SecureLogin', sendAs: 'any',
    };
  }
  return {
    banner: 'The postern LMTP service is ready.', maxRecipients: 1000, protocolLog: c.lmtp.protocolLog,
    idleTimeout: 600_000, authenticatedTimeout: 600_000, loginType: 'SecureLogin', sendAs: 'any',
  };
}

export class SmtpSession {
  state: SmtpState = { phase: 'connected' };
  private out: string[] = [];
  private badCommands = 0;
  private releaseUserIp: (() => void) | null = null;

  constructor(
    readonly conn: Connection,
    readonly ctx: ServerContext,
    readonly mode: SmtpMode,
    /** `starttls` (587, 25), `tls` (465) or `plain` (LMTP). */
    readonly listenerSecurity: 'starttls' | 'tls' | 'plain',
    readonly log: SessionLog,
  ) {}

  settings(): SmtpServiceSettings {
    return serviceSettings(this.ctx, this.mode);
  }

  security(): ConnectionSecurity {
    return { tls: this.conn.isTls, trusted: this.ctx.trustedNetworks().contains(this.conn.remoteAddress) };
  }

  get secure(): boolean {
    return isSecure(this.security());
  }

  get lmtp(): boolean {
    return this.mode === 'lmtp';
  }

  get greeted(): Extract<SmtpState, { phase: 'greeted' }> | null {
    return this.state.phase === 'greeted' ? this.state : null;
  }

  /** EHLO/LHLO (not HELO) was used: extensions may be used (RFC 5321 §2.2.1). */
  get extended(): boolean {
    const g = this.greeted;
    return g !== null && g.greeting.verb !== 'HELO';
  }

  canStartTls(): boolean {
    return this.listenerSecurity === 'starttls' && !this.conn.isTls && this.mode !== 'lmtp';
  }

  newMessageId(): string {
    return randomBytes(8).toString('hex').toUpperCase();
  }

  // ---- replies -------------------------------------------------------------------------------

  reply(code: number, enhanced: string | null, text: string | readonly string[]): void {
    const r = formatReply(code, enhanced, text);
    this.log.server(r.length > 300 ? `${r.slice(0, r.indexOf('\r\n'))} [${r.length} bytes]` : r);
    this.out.push(r);
  }

  replySpec(r: ReplySpec): void {
    this.reply(r.code, r.enhanced, r.text);
  }

  replyError(err: unknown): void {
    if (!(err instanceof SmtpError)) this.ctx.logger.error({ err, session: this.conn.id, protocol: this.mode }, 'smtp command failed');
    this.replySpec(errorReply(err));
  }

  /** Writes every buffered reply in one go. */
  flush(): void {
    if (this.out.length === 0) return;
    const data = this.out.length === 1 ? this.out[0]! : this.out.join('');
    this.out = [];
    this.conn.write(data);
  }

  // ---- input ---------------------------------------------------------------------------------

  /** The next frame; replies go out first unless more commands are already waiting (pipelining). */
  async readFrame(): Promise<Frame | null> {
    if (!this.conn.hasPendingInput) this.flush();
    return this.conn.nextFrame();
  }

  /**
   * The next command (or SASL response) line as text; null when the client has gone. Lines that
   * are too long, end with a bare LF, or hold a bare CR are answered here and skipped: a command
   * line ends only with CRLF (RFC 5321 §2.3.8; accepting less is what SMTP smuggling exploits).
   */
  async readLine(): Promise<string | null> {
    for (;;) {
      const frame = await this.readFrame();
      if (!frame) return null;
      if (frame.kind === 'too-long') {
        this.log.client(`[line of ${frame.discarded} bytes dropped]`);
        this.reply(500, '5.5.6', 'Line too long.');
        if (this.countBad()) return null;
        continue;
      }
      if (frame.kind !== 'line') continue;
      if (frame.bareLf || frame.line.includes(0x0d)) {
        this.log.client(`[line with a bare ${frame.bareLf ? 'LF' : 'CR'} refused]`);
        this.reply(500, '5.5.2', 'Bare CR or LF in a command line is not allowed; end every line with CRLF.');
        if (this.countBad()) return null;
        continue;
      }
      const raw = frame.line;
      if (raw.some((b) => b >= 0x80)) {
        // RFC 6531: UTF-8 in commands (addresses), never other 8-bit text.
        if (!isUtf8(raw)) {
          this.reply(500, '5.5.2', 'Invalid UTF-8 in the command.');
          if (this.countBad()) return null;
          continue;
        }
        return raw.toString('utf8');
      }
      return raw.toString('latin1');
    }
  }

  // ---- the loop ------------------------------------------------------------------------------

  async run(): Promise<void> {
    const settings = this.settings();
    this.conn.setMaxLineLength(this.ctx.limits().maxPreAuthLineLength);
    this.conn.setTimeout(settings.idleTimeout, () => this.timeout());
    // RFC 5321 §4.3.1 greeting: "220 domain text"; RFC 2033 LMTP the same.
    this.reply(220, null, `${this.ctx.hostname} ${this.lmtp ? 'LMTP' : 'ESMTP'} ${settings.banner}`);
    try {
      while (this.state.phase !== 'closed') {
        const line = await this.readLine();
        if (line === null) break;
        await this.dispatch(line);
      }
    } finally {
      this.flush();
      this.state = { phase: 'closed' };
      this.releaseUserIp?.();
      this.conn.close();
    }
  }

  private async dispatch(line: string): Promise<void> {
    this.log.client(redactSmtpLine(line));
    const parsed = parseSmtpCommand(line);
    if (!parsed.ok) {
      const spec = parsed.verb ? findCommand(parsed.verb, this.mode) : undefined;
      if (parsed.verb && !spec) this.reply(502, '5.5.1', `${parsed.verb} is not implemented here.`);
      else this.replySpec(parsed.reply);
      this.countBad();
      return;
    }
    const { command } = parsed;
    const spec = findCommand(command.verb, this.mode);
    if (!spec) {
      this.reply(502, '5.5.1', this.lmtp && (command.verb === 'EHLO' || command.verb === 'HELO')
        ? 'This is an LMTP server: greet with LHLO (RFC 2033).'
        : `${command.verb} is not implemented here.`);
      this.countBad();
      return;
    }
    try {
      await spec.handle(this, command as never);
    } catch (err) {
      this.replyError(err);
      if (err instanceof SmtpError && err.countsAsBad) this.countBad();
    }
  }

  /** true when the session was closed for too many bad commands. */
  countBad(): boolean {
    if (++this.badCommands < this.ctx.limits().maxBadCommands) return false;
    this.reply(421, '4.7.0', `${this.ctx.hostname} Too many errors; closing the connection.`);
    this.close();
    return true;
  }

  // ---- transitions ---------------------------------------------------------------------------

  /** EHLO/HELO/LHLO: a fresh start (RFC 5321 §4.1.4), keeping the login. */
  greet(greeting: Greeting): void {
    const access = this.greeted?.access ?? null;
    this.state = { phase: 'greeted', greeting, access, tx: null };
  }

  /**
   * Puts the login in the session; false (and nothing changed) when the user already has
   * maxConnectionsPerUserIp sessions from this address.
   */
  loggedIn(access: MailAccess): boolean {
    const g = this.greeted;
    if (!g) return false;
    const max = this.mode === 'submission' ? this.ctx.config().submission.maxConnectionsPerUserIp : Infinity;
    const release = this.ctx.userIp.tryAcquire(`submission|${access.identity.id}|${this.conn.remoteAddress}`, max);
    if (!release) return false;
    this.releaseUserIp = release;
    g.access = access;
    this.conn.setMaxLineLength(this.ctx.limits().maxLineLength);
    this.conn.setTimeout(this.settings().authenticatedTimeout, () => this.timeout());
    const who = access.delegated ? `${access.identity.address} as ${access.owner.address}` : access.identity.address;
    this.log.event(`login ${who}`);
    return true;
  }

  async upgradeToTls(): Promise<void> {
    this.flush();
    await this.conn.startTls(this.ctx.tls, 'smtp', this.ctx.limits().tlsHandshakeTimeoutMs);
    if (this.conn.discardedAtUpgrade > 0) this.log.event(`discarded ${this.conn.discardedAtUpgrade} bytes sent before the TLS handshake`);
    // RFC 3207 §4.2: forget everything learned before TLS; the client must EHLO again.
    this.state = { phase: 'connected' };
    this.releaseUserIp?.();
    this.releaseUserIp = null;
  }

  close(): void {
    this.flush();
    this.state = { phase: 'closed' };
    this.conn.close();
  }

  private timeout(): void {
    this.reply(421, '4.4.2', `${this.ctx.hostname} Error: timeout exceeded; closing the connection.`);
    this.log.event('timeout');
    this.close();
  }
}
