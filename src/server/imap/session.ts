// One IMAP session (RFC 9051 §3): not authenticated → authenticated ⇄ selected → logout. The
// state is a discriminated union and only the authenticated variants hold a MailAccess: code
// that runs before login has nothing to reach mail with (DESIGN §1, the login wall).
//
// The session reads commands through the wire codec (literals are announced, then accepted with
// "+ go ahead" or refused with [TOOBIG]), hands each to its spec, maps errors once, and decides
// when queued mailbox changes may be told to the client (selected.ts).
import type { Connection } from '../../net/connection.js';
import type { MailAccess } from '../../auth/mail-access.js';
import type { AuthFailure } from '../../auth/authenticator.js';
import { commandLoginAllowed, saslMechanismAllowed, type ConnectionSecurity } from '../../auth/policy.js';
import type { PosternConfig } from '../../config/schema.js';
import { ImapCommandDecoder, type LiteralAnnouncement, type RawCommand } from '../../wire/imap/command-decoder.js';
import { parseCommand } from '../../wire/imap/command-parser.js';
import type { ImapCommand } from '../../wire/imap/command.js';
import { continuation, statusLine, toBytes, type Chunk, type ResponseCode } from '../../wire/imap/response.js';
import { redactCommand } from '../../wire/imap/redact.js';
import type { ServerContext } from '../common/context.js';
import type { SessionLog } from '../common/protocol-log.js';
import { BadCommand, mapError } from './errors.js';
import { Namespaces } from './mailbox-names.js';
import { capabilityList, findCommand } from './registry.js';
import type { SelectedMailbox } from './selected.js';
import type { ImapStateName } from './spec.js';

export type ImapState =
  | { kind: 'not-authenticated' }
  | { kind: 'authenticated'; access: MailAccess; names: Namespaces; releaseUserIp: () => void }
  | { kind: 'selected'; access: MailAccess; names: Namespaces; releaseUserIp: () => void; mailbox: SelectedMailbox }
  | { kind: 'logout' };

export type ImapSettings = PosternConfig['imap'];

/** Literals in commands other than APPEND (a LOGIN password, a SEARCH string). */
const MAX_SMALL_LITERAL = 256 * 1024;
const MULTIAPPEND_FACTOR = 2;
/** Output is gathered and written in pieces of about this size (fewer TLS records). */
const OUT_CHUNK = 64 * 1024;
/** A refused non-synchronizing literal is skipped in pieces of this size, never buffered whole. */
const SKIP_PIECE = 1 << 20;

export class ImapSession {
  state: ImapState = { kind: 'not-authenticated' };
  /** ENABLEd extensions (RFC 5161): CONDSTORE, QRESYNC, UTF8=ACCEPT, IMAP4REV2. */
  readonly enabled = new Set<string>();
  /** SEARCHRES (RFC 5182): the saved result, as UIDs; null when none was saved. */
  savedSearch: number[] | null = null;
  compressed = false;
  idling = false;
  /** True while a command that may not see EXPUNGE responses runs. */
  private holdExpunges = false;
  private readonly decoder: ImapCommandDecoder;
  /** Literal octets accepted so far for the command being read (MULTIAPPEND cap). */
  private literalBytes = 0;
  private badCommands = 0;
  private out: Chunk[] = [];
  private outBytes = 0;
  private idleWake: (() => void) | null = null;

  constructor(
    readonly conn: Connection,
    readonly ctx: ServerContext,
    /** The listener: `starttls` (UnencryptedOrTLS binding) or `tls` (SSL binding). */
    readonly listenerSecurity: 'starttls' | 'tls',
    readonly log: SessionLog,
  ) {
    const limits = ctx.limits();
    this.decoder = new ImapCommandDecoder({ maxLineLength: limits.maxPreAuthLineLength + 2, maxCommandText: limits.maxPreAuthLineLength });
  }

  settings(): ImapSettings {
    return this.ctx.config().imap;
  }

  get utf8(): boolean {
    return this.enabled.has('UTF8=ACCEPT') || this.enabled.has('IMAP4REV2');
  }

  get rev2(): boolean {
    return this.enabled.has('IMAP4REV2');
  }

  get condstore(): boolean {
    return this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }

  get qresync(): boolean {
    return this.enabled.has('QRESYNC');
  }

  get stateName(): ImapStateName | 'logout' {
    return this.state.kind;
  }

  get authenticated(): boolean {
    return this.state.kind === 'authenticated' || this.state.kind === 'selected';
  }

  security(): ConnectionSecurity {
    return { tls: this.conn.isTls, trusted: this.ctx.trustedNetworks().contains(this.conn.remoteAddress) };
  }

  /** May LOGIN be used now? (LoginType, TLS, trusted networks) */
  loginAllowed(): boolean {
    return commandLoginAllowed(this.settings().loginType, this.security());
  }

  mechanismAllowed(cleartext: boolean): boolean {
    return saslMechanismAllowed(this.settings().loginType, this.security(), cleartext);
  }

  canStartTls(): boolean {
    return this.listenerSecurity === 'starttls' && !this.conn.isTls && this.state.kind === 'not-authenticated';
  }

  /** The largest message APPEND takes (RFC 7889 APPENDLIMIT). */
  appendLimit(): number {
    return this.ctx.limits().maxMessageSize;
  }

  capabilities(): string[] {
    return capabilityList(this);
  }

  // ---- output --------------------------------------------------------------------------------

  /** Queues response text or bytes; written at the end of the command or when the queue is large. */
  push(...chunks: Chunk[]): void {
    for (const c of chunks) {
      this.out.push(c);
      this.outBytes += typeof c === 'string' ? c.length : c.length;
    }
  }

  /** push() for a list of any length (no argument spread: 100,000 EXPUNGE lines are fine). */
  pushAll(chunks: readonly Chunk[]): void {
    for (const c of chunks) this.push(c);
  }

  /** As push(), waiting for the socket when a lot is queued (large FETCH responses). */
  async pushAsync(...chunks: Chunk[]): Promise<void> {
    this.push(...chunks);
    if (this.outBytes >= OUT_CHUNK) await this.flushOutAsync();
  }

  /** Writes everything queued now. */
  flushOut(): void {
    if (this.out.length === 0) return;
    const data = toBytes(this.out);
    this.logOut(data);
    this.out = [];
    this.outBytes = 0;
    this.conn.write(data);
  }

  async flushOutAsync(): Promise<void> {
    if (this.out.length === 0) return;
    const data = toBytes(this.out);
    this.logOut(data);
    this.out = [];
    this.outBytes = 0;
    await this.conn.writeAsync(data);
  }

  private logOut(data: Buffer): void {
    if (data.length <= 300) this.log.server(data.toString('utf8'));
    else {
      const nl = data.indexOf('\r\n');
      this.log.server(`${data.toString('utf8', 0, nl > 0 && nl < 200 ? nl : 200)} … [${data.length} bytes]`);
    }
  }

  /** The tagged completion (after any updates the client may now be told). */
  tagged(tag: string, status: 'OK' | 'NO' | 'BAD', text: string, code?: ResponseCode | null, codeArgs?: string): void {
    this.flushUpdates(!this.holdExpunges);
    this.push(statusLine(tag, status, text, code, codeArgs));
    this.flushOut();
  }

  ok(tag: string, text: string, code?: ResponseCode | null, codeArgs?: string): void {
    this.tagged(tag, 'OK', text, code, codeArgs);
  }

  untagged(status: 'OK' | 'NO' | 'BAD' | 'BYE', text: string, code?: ResponseCode | null, codeArgs?: string): void {
    this.push(statusLine('*', status, text, code, codeArgs));
  }

  /** "+ text": written at once (the client is waiting for it). */
  continueRequest(text?: string): void {
    this.push(continuation(text));
    this.flushOut();
  }

  // ---- the command loop ----------------------------------------------------------------------

  async run(): Promise<void> {
    const settings = this.settings();
    this.conn.setMaxLineLength(this.ctx.limits().maxPreAuthLineLength);
    this.conn.setTimeout(settings.preAuthenticatedConnectionTimeout, () => this.timeout());
    this.conn.onClose(() => this.release());
    this.push(statusLine('*', 'OK', settings.banner, 'CAPABILITY', this.capabilities().join(' ')));
    this.flushOut();
    try {
      while (this.state.kind !== 'logout' && !this.conn.closed) {
        const raw = await this.readCommand();
        if (!raw) break;
        await this.dispatch(raw);
      }
    } finally {
      this.release();
      this.conn.close();
    }
  }

  /** The next complete command; null when the client has gone. */
  private async readCommand(): Promise<RawCommand | null> {
    for (;;) {
      const step = this.decoder.next();
      switch (step.kind) {
        case 'command':
          return step.command;
        case 'literal':
          if (!(await this.onLiteral(step))) return null;
          continue;
        case 'error': {
          this.log.client(`[${step.reason}]`);
          if (step.reason === 'empty') {
            // An empty line is noise, not a command; answered so a human at a terminal sees why.
            this.push(statusLine('*', 'BAD', 'Empty command line.'));
          } else if (step.tag) {
            this.push(statusLine(step.tag, 'BAD', step.message, step.reason === 'literal-too-large' || step.reason === 'too-long' ? 'TOOBIG' : null));
          } else {
            this.push(statusLine('*', 'BAD', step.message));
          }
          this.flushOut();
          if (step.fatal) {
            this.bye('Literal too large to skip.');
            return null;
          }
          if (this.countBad()) return null;
          continue;
        }
        case 'need-more': {
          const frame = await this.conn.nextFrame();
          if (!frame) return null;
          if (frame.kind === 'line') this.decoder.push(Buffer.concat([frame.line, CRLF]));
          else if (frame.kind === 'bytes') this.decoder.push(frame.data);
          else {
            this.log.client(`[line of ${frame.discarded} bytes dropped]`);
            const err = this.decoder.lineDropped(frame.head);
            if (err.kind === 'error') {
              this.push(statusLine(err.tag ?? '*', 'BAD', err.message, err.tag ? 'TOOBIG' : null));
              this.flushOut();
              if (this.countBad()) return null;
            }
          }
          continue;
        }
      }
    }
  }

  /** A literal was announced: accept it ("+ go ahead" when synchronizing) or refuse it. */
  private async onLiteral(a: LiteralAnnouncement): Promise<boolean> {
    const appendData = a.name === 'APPEND' && this.authenticated;
    const limit = !this.authenticated ? this.ctx.limits().maxPreAuthLineLength : appendData ? this.appendLimit() : MAX_SMALL_LITERAL;
    // A MULTIAPPEND is held whole until it is stored all or none: each message may reach
    // APPENDLIMIT, the command twice that.
    if (a.index === 0) this.literalBytes = 0;
    const withinCommand = !appendData || this.literalBytes + a.size <= MULTIAPPEND_FACTOR * limit;
    if (a.size <= limit && withinCommand) {
      this.literalBytes += a.size;
      if (a.sync) this.continueRequest();
      this.conn.expectBytes(a.size);
      this.decoder.acceptLiteral();
      return true;
    }
    this.log.client(`${a.tag} ${a.name} [literal of ${a.size} bytes refused]`);
    const text = !withinCommand ? `Too much in one APPEND (over ${MULTIAPPEND_FACTOR * limit} octets): send fewer messages at a time.`
      : appendData ? `Message too large (over ${limit} octets).` : 'Literal too large.';
    // RFC 7889 §4: an APPEND over APPENDLIMIT gets NO [TOOBIG]; RFC 7888 §4: a refused
    // non-synchronizing literal gets BAD, and its bytes are read and thrown away.
    this.push(statusLine(a.tag, appendData && a.sync ? 'NO' : 'BAD', text, 'TOOBIG'));
    this.flushOut();
    if (a.sync) {
      this.decoder.rejectLiteral();
      return true;
    }
    this.decoder.rejectLiteral(true);
    let left = a.size;
    while (left > 0) {
      const piece = Math.min(left, SKIP_PIECE);
      this.conn.expectBytes(piece);
      const frame = await this.conn.nextFrame();
      if (!frame || frame.kind !== 'bytes') return false;
      left -= frame.data.length;
    }
    return true;
  }

  private async dispatch(raw: RawCommand): Promise<void> {
    this.log.client(redactCommand(raw));
    const tag = raw.tag;
    const parsed = parseCommand(raw);
    if (!parsed.ok) {
      this.tagged(tag, 'BAD', parsed.unknown ? `Unknown command ${raw.name}.` : `Error in IMAP command ${raw.name}: ${parsed.message}`, parsed.unknown ? null : 'PARSE');
      this.countBad();
      return;
    }
    const command = parsed.command;
    const spec = findCommand(command.name);
    const state = this.state.kind;
    if (!spec || state === 'logout') {
      this.tagged(tag, 'BAD', `Unknown command ${raw.name}.`);
      this.countBad();
      return;
    }
    if (!spec.states.includes(state)) {
      this.tagged(tag, 'BAD', wrongState(state, raw.name));
      this.countBad();
      return;
    }
    this.holdExpunges = spec.holdsExpunges?.(command as never) ?? false;
    try {
      await spec.handle(this, command as never, tag);
    } catch (err) {
      const m = mapError(err);
      if (m.unexpected) this.ctx.logger.error({ err, session: this.conn.id, command: raw.name }, 'imap command failed');
      this.tagged(tag, m.status, m.text, m.code, m.codeArgs);
      if (m.status === 'BAD' || err instanceof BadCommand) this.countBad();
    } finally {
      this.holdExpunges = false;
    }
  }

  /** true when the session was closed for too many bad commands. */
  private countBad(): boolean {
    if (++this.badCommands < this.ctx.limits().maxBadCommands) return false;
    this.bye('Too many invalid IMAP commands.');
    return true;
  }

  /** Reads one raw line outside the command grammar (AUTHENTICATE responses, IDLE's DONE). */
  async readRawLine(): Promise<string | null> {
    for (;;) {
      const frame = await this.conn.nextFrame();
      if (!frame) return null;
      if (frame.kind === 'line') return frame.line.toString('latin1');
      if (frame.kind === 'too-long') return '';
    }
  }

  // ---- mailbox updates -----------------------------------------------------------------------

  /** Queues what the client may be told now about other sessions' changes. */
  flushUpdates(expunges: boolean): void {
    const s = this.state;
    if (s.kind !== 'selected') return;
    const lines = s.mailbox.takeUpdates(
      { expunges, condstore: this.condstore, qresync: this.qresync, rev2: this.rev2 },
      (flags, uid) => this.flagList(flags, uid),
    );
    if (lines.length > 0) this.pushAll(lines);
  }

  /** A FLAGS list as this client sees it (with \Recent before IMAP4rev2). */
  flagList(flags: readonly string[], uid: number): string {
    const s = this.state;
    const recent = !this.rev2 && s.kind === 'selected' && s.mailbox.recent.has(uid);
    return `(${recent ? [...flags, '\\Recent'].join(' ') : flags.join(' ')})`;
  }

  /** The feed queued a change for the selected mailbox. */
  onMailboxChange(): void {
    if (this.idling) {
      this.flushUpdates(true);
      this.flushOut();
    }
  }

  /** Waits in IDLE until the client sends a line; returns it (null: the client left). */
  async idle(keepaliveMs: number): Promise<string | null> {
    this.idling = true;
    this.flushUpdates(true);
    this.flushOut();
    const timer = setInterval(() => {
      // Mobile NAT drops silent TCP flows; Dovecot's imap_idle_notify_interval does the same.
      this.push(statusLine('*', 'OK', 'Still here'));
      this.flushOut();
    }, keepaliveMs);
    timer.unref();
    try {
      return await this.readRawLine();
    } finally {
      clearInterval(timer);
      this.idling = false;
      this.idleWake?.();
    }
  }

  // ---- state changes -------------------------------------------------------------------------

  requireAuthenticated(): { access: MailAccess; names: Namespaces } {
    const s = this.state;
    if (s.kind !== 'authenticated' && s.kind !== 'selected') throw new BadCommand('Log in first.');
    return { access: s.access, names: s.names };
  }

  requireSelected(): SelectedMailbox {
    const s = this.state;
    if (s.kind !== 'selected') throw new BadCommand('No mailbox selected.');
    return s.mailbox;
  }

  /** Moves to authenticated after the authenticator said yes; answers the client either way. */
  completeLogin(access: MailAccess, tag: string): void {
    const settings = this.settings();
    const releaseUserIp = this.ctx.userIp.tryAcquire(`imap|${access.identity.id}|${this.conn.remoteAddress}`, settings.maxConnectionsPerUserIp);
    if (!releaseUserIp) {
      this.log.event('login refused: too many sessions for this user and address');
      this.tagged(tag, 'NO', 'Maximum number of connections from user+IP exceeded.', 'UNAVAILABLE');
      return;
    }
    this.state = { kind: 'authenticated', access, names: new Namespaces(access), releaseUserIp };
    const limits = this.ctx.limits();
    this.conn.setMaxLineLength(limits.maxLineLength);
    this.decoder.limits = { maxLineLength: limits.maxLineLength + 2, maxCommandText: Math.max(limits.maxLineLength * 4, 1 << 20) };
    this.conn.setTimeout(settings.authenticatedConnectionTimeout, () => this.timeout());
    const who = access.delegated ? `${access.identity.address} as ${access.owner.address}` : access.identity.address;
    this.log.event(`login ${who}`);
    this.ok(tag, 'Logged in', 'CAPABILITY', this.capabilities().join(' '));
  }

  loginFailed(failure: AuthFailure, tag: string): void {
    this.log.event(`login failed: ${failure.code}`);
    const code: ResponseCode = failure.code === 'temporary' || failure.code === 'locked-out' ? 'UNAVAILABLE'
      : failure.code === 'protocol-disabled' || failure.code === 'admin-barred' ? 'CONTACTADMIN'
      : failure.code === 'no-access' ? 'AUTHORIZATIONFAILED'
      : 'AUTHENTICATIONFAILED';
    this.tagged(tag, 'NO', failure.message, code);
  }

  async upgradeToTls(): Promise<void> {
    this.decoder.reset();
    await this.conn.startTls(this.ctx.tls, 'imap', this.ctx.limits().tlsHandshakeTimeoutMs);
    if (this.conn.discardedAtUpgrade > 0) this.log.event(`discarded ${this.conn.discardedAtUpgrade} bytes sent before the TLS handshake`);
    // RFC 9051 §6.2.1: forget everything learned before TLS.
    this.enabled.clear();
  }

  /** Leaves the selected state (CLOSE, UNSELECT, a new SELECT). */
  unselect(): void {
    const s = this.state;
    if (s.kind !== 'selected') return;
    s.mailbox.close();
    this.savedSearch = null;
    this.state = { kind: 'authenticated', access: s.access, names: s.names, releaseUserIp: s.releaseUserIp };
  }

  enterSelected(mailbox: SelectedMailbox): void {
    const s = this.state;
    if (s.kind !== 'authenticated') throw new Error('enterSelected outside the authenticated state');
    this.state = { kind: 'selected', access: s.access, names: s.names, releaseUserIp: s.releaseUserIp, mailbox };
    mailbox.listen(s.access.store, mailbox.highestModseq, () => this.onMailboxChange());
  }

  /** "* BYE text" and close. */
  bye(text: string): void {
    this.push(statusLine('*', 'BYE', text));
    this.flushOut();
    this.close();
  }

  close(): void {
    this.release();
    this.state = { kind: 'logout' };
    this.conn.close();
  }

  private timeout(): void {
    this.log.event('timeout');
    this.bye('Disconnected for inactivity.');
  }

  private released = false;

  private release(): void {
    if (this.released) return;
    const s = this.state;
    if (s.kind === 'selected') s.mailbox.close();
    if (s.kind === 'selected' || s.kind === 'authenticated') {
      this.released = true;
      s.releaseUserIp();
    }
  }
}

const CRLF = Buffer.from('\r\n');

function wrongState(state: ImapStateName, name: string): string {
  if (state === 'not-authenticated') return `${name} needs an authenticated session: log in first.`;
  if (state === 'authenticated') return `${name} needs a selected mailbox: SELECT one first.`;
  return `${name} is not valid in this state.`;
}

export type { ImapCommand };
