// POP3 client (RFC 1939; CAPA RFC 2449; STLS RFC 2595; AUTH RFC 5034).
//
//   const pop = await Pop3Client.connect({ host: 'pop.example.com', security: 'tls' });
//   await pop.login('alice@example.com', password);
//   for (const { seq, uid } of await pop.uidl()) { const eml = await pop.retr(seq); … }
//   await pop.quit();   // deletions are committed only by QUIT (RFC 1939 §6)
//
// One command at a time; calls made while a RETR stream is still open wait for it, and the
// stream then reads ahead into memory so the waiting call can run (never a deadlock).
import { Readable } from 'node:stream';
import { Pop3ClientReader, type Pop3ClientStep } from '../wire/pop3/client-multiline.js';
import { MailClientError } from './errors.js';
import { PROFILES, resolveEndpoint, type ClientOptions } from './options.js';
import { Transport } from './transport.js';
import { Serial } from './serial.js';
import { authFailed, chooseMechanism, cleartextRefused, makeExchange, oauthLogin, runExchange, type MechanismContext, type SaslChannel, type SaslServerStep, type TokenSource } from './sasl-login.js';
import type { TlsInfo } from './tls.js';

export type Pop3ClientOptions = ClientOptions;

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
}

export interface LoginOptions extends CallOptions {
  /** Force a SASL mechanism ("SCRAM-SHA-256", "PLAIN") or "USER" for USER/PASS. */
  mechanism?: string;
  /** Log in as `user` but open `authzid`'s maildrop (SASL authorization identity). */
  authzid?: string;
}

type Status = Extract<Pop3ClientStep, { kind: 'status' }>;

const PROFILE = PROFILES.pop3;

export class Pop3Client {
  private caps = new Map<string, string[]>();
  private readonly reader = new Pop3ClientReader();
  private readonly serial = new Serial();
  private authenticated = false;
  private hadCapa = false;
  /** The greeting text (without "+OK"). */
  greeting = '';

  private constructor(private readonly t: Transport) {}

  static async connect(options: Pop3ClientOptions): Promise<Pop3Client> {
    const endpoint = resolveEndpoint(PROFILE, options);
    const t = await Transport.open(PROFILE, endpoint, options);
    const client = new Pop3Client(t);
    try {
      await client.open(options.signal);
    } catch (err) {
      t.fail(err instanceof MailClientError ? err : new MailClientError('protocol-error', String(err)));
      throw err;
    }
    return client;
  }

  private async open(signal?: AbortSignal): Promise<void> {
    const g = await this.t.readGreeting(this.reader, () => this.poll(), 'QUIT\r\n', signal);
    if (g.kind !== 'status') throw this.protocolError('a continuation instead of a greeting');
    this.t.logServer(statusLine(g));
    if (g.status !== '+OK') {
      throw new MailClientError('greeting-refused', `${this.t.where()} refused the session: ${g.text}`, this.t.details({ response: g.text, ...(g.code && { responseCode: g.code.join('/') }) }));
    }
    this.greeting = g.text;
    await this.capa(signal);
    if (this.t.endpoint.plan !== 'starttls') return;
    if (!this.caps.has('STLS')) {
      throw new MailClientError(
        'starttls-not-offered',
        `${this.t.where()} does not offer STLS${this.hadCapa ? '' : ' (it does not even answer CAPA)'}, and security '${this.t.endpoint.security}' requires it — no silent downgrade to plaintext; use security: 'tls' (port 995) or 'none' to accept an unencrypted session`,
        this.t.details(),
      );
    }
    const r = await this.command('STLS', { signal });
    if (r.status !== '+OK') {
      throw new MailClientError('starttls-refused', `${this.t.where()} offered STLS and then refused it: ${r.text}`, this.t.details({ command: 'STLS', response: r.text }));
    }
    await this.t.upgrade(this.reader, signal);
    // RFC 2595 §4: capabilities learned before TLS are discarded and asked for again.
    await this.capa(signal);
  }

  /** CAPA (RFC 2449); an empty map when the server does not answer it. */
  private async capa(signal?: AbortSignal): Promise<void> {
    const r = await this.command('CAPA', { signal, multiline: true });
    this.caps = new Map();
    this.hadCapa = r.status === '+OK';
    if (r.status !== '+OK') return;
    for (const line of r.body!.toString('utf8').split(/\r?\n/)) {
      const [name, ...params] = line.trim().split(/\s+/);
      if (name) this.caps.set(name.toUpperCase(), params);
    }
  }

  /** CAPA as name → parameters ("SASL" → ["SCRAM-SHA-256", "PLAIN"]). */
  get capabilities(): ReadonlyMap<string, readonly string[]> {
    return this.caps;
  }

  get secure(): boolean {
    return this.t.encrypted;
  }

  get tls(): TlsInfo | null {
    return this.t.tlsInfo;
  }

  /** Bytes the server sent before the TLS handshake and we dropped (non-zero: injection). */
  get discardedBeforeTls(): number {
    return this.t.discardedBeforeTls;
  }

  get closed(): boolean {
    return this.t.closed;
  }

  // ---- login ----

  /**
   * Logs in with the strongest mechanism offered (SCRAM before PLAIN before USER/PASS); the
   * password goes in clear only over TLS or with allowCleartextPassword.
   */
  async login(user: string, password: string, options: LoginOptions = {}): Promise<void> {
    await this.serial.run(async () => {
      this.requireState(false);
      const ctx = this.mechanismContext();
      const sasl = this.caps.get('SASL') ?? [];
      const userCommand = this.caps.has('USER') || !this.hadCapa; // RFC 2449 §6.3: USER is listed when offered
      const wanted = options.mechanism?.toUpperCase();
      let mechanism: string | null = null;
      if (wanted !== 'USER') {
        try {
          mechanism = chooseMechanism(sasl, ctx, 'password', wanted);
        } catch (err) {
          if (wanted || !userCommand || !(err instanceof MailClientError)) throw err;
          if (err.code === 'cleartext-refused') throw cleartextRefused([...sasl.filter((m) => /^(PLAIN|LOGIN)$/i.test(m)), 'USER/PASS'], ctx);
        }
      }
      if (mechanism) {
        const exchange = makeExchange(mechanism, { username: user, password, ...(options.authzid !== undefined && { authzid: options.authzid }) }, ctx);
        const result = await runExchange(this.saslChannel(options), exchange);
        if (!result.ok) throw authFailed(result, ctx, user);
      } else {
        if (!ctx.encrypted && !ctx.allowCleartext) throw cleartextRefused(['USER/PASS'], ctx);
        await this.userPass(user, password, options);
      }
      this.authenticated = true;
      this.t.event(`logged in as ${user}${mechanism ? ` with ${mechanism}` : ' with USER/PASS'}`);
    }, options.signal);
  }

  /** OAuth 2.0 login (OAUTHBEARER or XOAUTH2); `token` may be a function asked again for a
   * fresh token when the server says the first has expired. */
  async loginOAuth2(user: string, token: TokenSource, options: LoginOptions = {}): Promise<void> {
    await this.serial.run(async () => {
      this.requireState(false);
      const ctx = this.mechanismContext();
      const mechanism = chooseMechanism(this.caps.get('SASL') ?? [], ctx, 'oauth', options.mechanism);
      await oauthLogin(token, (tok) => runExchange(this.saslChannel(options), makeExchange(mechanism, { username: user, token: tok, host: this.t.endpoint.host, port: this.t.endpoint.port }, ctx)), ctx, user);
      this.authenticated = true;
    }, options.signal);
  }

  private async userPass(user: string, password: string, options: CallOptions): Promise<void> {
    const ctx = this.mechanismContext();
    if (/[\r\n]/.test(user) || /[\r\n]/.test(password)) throw new TypeError('user name and password cannot contain CR or LF');
    const u = await this.command(`USER ${user}`, options);
    if (u.status !== '+OK') throw authFailed({ ok: false, text: u.text, mechanism: 'USER/PASS', serverError: null, ...(u.code && { details: { responseCode: u.code.join('/') } }) }, ctx, user);
    const p = await this.command(`PASS ${password}`, { ...options, logAs: 'PASS ***' });
    if (p.status !== '+OK') throw authFailed({ ok: false, text: p.text, mechanism: 'USER/PASS', serverError: null, ...(p.code && { details: { responseCode: p.code.join('/') } }) }, ctx, user);
  }

  private mechanismContext(): MechanismContext {
    return {
      encrypted: this.t.encrypted,
      allowCleartext: this.t.options.allowCleartextPassword === true,
      channelBinding: this.t.channelBinding(),
      where: this.t.where(),
      details: this.t.details(),
    };
  }

  private saslChannel(options: CallOptions): SaslChannel {
    return {
      initialResponse: true,
      maxStartLength: 255, // RFC 5034 §4 (RFC 2449 §4: 255 octets per command line)
      start: (mechanism, initial) => {
        this.t.send(`AUTH ${mechanism}${initial === null ? '' : ` ${initial}`}\r\n`, `AUTH ${mechanism}${initial === null ? '' : ' ***'}`);
      },
      respond: (line) => this.t.send(`${line}\r\n`, line === '*' ? '*' : '***'),
      next: async (): Promise<SaslServerStep> => {
        const r = await this.readStep(options, 'the answer to AUTH');
        if (r.kind === 'continuation') {
          this.t.logServer('+ ***');
          return { kind: 'challenge', data: Buffer.from(r.text, 'base64') };
        }
        if (r.kind !== 'status') throw this.protocolError('a body during AUTH');
        this.t.logServer(statusLine(r));
        return { kind: 'done', ok: r.status === '+OK', text: r.text, ...(r.code && { details: { responseCode: r.code.join('/') } }) };
      },
    };
  }

  // ---- transaction ----

  /** STAT: message count and total size in octets. */
  async stat(options: CallOptions = {}): Promise<{ count: number; size: number }> {
    return this.serial.run(async () => {
      this.requireState(true);
      const r = this.ok('STAT', await this.command('STAT', options));
      const m = /^(\d+)\s+(\d+)/.exec(r.text);
      if (!m) throw this.protocolError(`an unreadable STAT answer "${r.text}"`);
      return { count: Number(m[1]), size: Number(m[2]) };
    }, options.signal);
  }

  /** LIST: every message's number and size (messages marked deleted are left out). */
  async list(options: CallOptions = {}): Promise<Array<{ seq: number; size: number }>> {
    return this.serial.run(async () => {
      this.requireState(true);
      const r = this.ok('LIST', await this.command('LIST', { ...options, multiline: true }));
      return scanListing(r.body!, (seq, rest) => ({ seq, size: Number(rest) }));
    }, options.signal);
  }

  /** UIDL (RFC 1939 §7): every message's number and unique id, stable across sessions. */
  async uidl(options: CallOptions = {}): Promise<Array<{ seq: number; uid: string }>> {
    return this.serial.run(async () => {
      this.requireState(true);
      const r = this.ok('UIDL', await this.command('UIDL', { ...options, multiline: true }));
      return scanListing(r.body!, (seq, rest) => ({ seq, uid: rest }));
    }, options.signal);
  }

  /** TOP: the header and the first `lines` body lines of a message. */
  async top(seq: number, lines: number, options: CallOptions = {}): Promise<Buffer> {
    checkSeq(seq);
    if (!Number.isInteger(lines) || lines < 0) throw new RangeError('lines must be a non-negative integer');
    return this.serial.run(async () => {
      this.requireState(true);
      return this.ok(`TOP ${seq}`, await this.command(`TOP ${seq} ${lines}`, { ...options, multiline: true })).body!;
    }, options.signal);
  }

  /**
   * RETR as a stream: the message arrives as it is read, un-stuffed, with its own line ends.
   * Other calls wait until the stream ends (it reads ahead if one is waiting). Destroying the
   * stream early drains the rest in the background to keep the session in step.
   */
  async retr(seq: number, options: CallOptions = {}): Promise<Readable> {
    checkSeq(seq);
    await this.serial.acquire(options.signal);
    let handedOver = false;
    try {
      this.requireState(true);
      this.reader.expectMultiline(true);
      this.t.send(`RETR ${seq}\r\n`);
      const first = await this.readStep(options, `the answer to RETR ${seq}`);
      if (first.kind !== 'status') throw this.protocolError('no status line for RETR');
      this.t.logServer(statusLine(first));
      this.ok(`RETR ${seq}`, first);
      const stream = this.bodyStream(options, `RETR ${seq}`);
      handedOver = true;
      return stream;
    } finally {
      if (!handedOver) this.serial.release();
    }
  }

  /** RETR into one Buffer. */
  async retrieve(seq: number, options: CallOptions = {}): Promise<Buffer> {
    const stream = await this.retr(seq, options);
    const parts: Buffer[] = [];
    for await (const c of stream) parts.push(c as Buffer);
    return Buffer.concat(parts);
  }

  /** DELE: marks a message; QUIT removes it, close() without QUIT keeps it. */
  async dele(seq: number, options: CallOptions = {}): Promise<void> {
    checkSeq(seq);
    await this.simple(`DELE ${seq}`, options);
  }

  /** RSET: unmarks every message marked for deletion. */
  async rset(options: CallOptions = {}): Promise<void> {
    await this.simple('RSET', options);
  }

  async noop(options: CallOptions = {}): Promise<void> {
    await this.simple('NOOP', options);
  }

  /** QUIT: ends the session; in the transaction state the server now deletes marked messages
   * and a -ERR means it could not (RFC 1939 §6). */
  async quit(options: CallOptions = {}): Promise<void> {
    if (this.t.closed) return;
    await this.serial.run(async () => {
      const r = await this.command('QUIT', options);
      this.t.close();
      if (r.status !== '+OK') {
        throw new MailClientError('command-failed', `${this.t.where()} could not finish the session (messages marked for deletion may remain): ${r.text}`, this.t.details({ command: 'QUIT', response: r.text }));
      }
    }, options.signal);
  }

  /** Drops the connection without QUIT: nothing marked is deleted. */
  close(): void {
    this.serial.rejectAll(new MailClientError('connection-closed', 'the client was closed', this.t.details()));
    this.t.fail(new MailClientError('connection-closed', `the connection to ${this.t.where()} was closed by close()`, this.t.details()));
  }

  // ---- internals ----

  private async simple(cmd: string, options: CallOptions): Promise<Status> {
    return this.serial.run(async () => {
      this.requireState(true);
      return this.ok(cmd, await this.command(cmd, options));
    }, options.signal);
  }

  private requireState(authenticated: boolean): void {
    if (this.t.closed) throw this.t.closedError('about to send a command');
    if (authenticated && !this.authenticated) throw new MailClientError('invalid-state', 'log in first (login() or loginOAuth2())', this.t.details());
    if (!authenticated && this.authenticated) throw new MailClientError('invalid-state', 'already logged in', this.t.details());
  }

  private poll(): Pop3ClientStep | undefined {
    const s = this.reader.next();
    if (s.kind === 'error') throw s.error;
    return s.kind === 'need-more' ? undefined : s;
  }

  private readStep(options: CallOptions, waitingFor: string): Promise<Pop3ClientStep> {
    return this.t.read(this.reader, () => this.poll(), { waitingFor, signal: options.signal, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
  }

  /** Sends one command and reads its status line (and, for +OK, its body when multiline). */
  private async command(cmd: string, options: CallOptions & { multiline?: boolean; logAs?: string }): Promise<Status & { body?: Buffer }> {
    this.reader.expectMultiline(options.multiline === true);
    this.t.send(`${cmd}\r\n`, options.logAs ?? cmd);
    const name = cmd.split(' ')[0]!;
    const r = await this.readStep(options, `the answer to ${name}`);
    if (r.kind !== 'status') throw this.protocolError(`${r.kind === 'continuation' ? 'a SASL challenge' : 'body data'} instead of a status line`);
    this.t.logServer(statusLine(r));
    if (r.status !== '+OK' || !this.reader.inMultilineBody) return r;
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const s = await this.readStep(options, `the rest of the answer to ${name}`);
      if (s.kind === 'body-end') break;
      if (s.kind !== 'body') throw this.protocolError('a status line inside a multi-line answer');
      parts.push(s.data);
      size += s.data.length;
    }
    this.t.logServer(`[${size} bytes] .`);
    return { ...r, body: Buffer.concat(parts, size) };
  }

  private bodyStream(options: CallOptions, what: string): Readable {
    let wanted = false;
    let wake: (() => void) | null = null;
    let size = 0;
    const wakeUp = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const stream = new Readable({
      highWaterMark: 64 * 1024,
      read: () => {
        wanted = true;
        wakeUp();
      },
      destroy: (err, cb) => {
        wakeUp();
        cb(err);
      },
    });
    // A waiting call (or an early destroy) turns backpressure off: read ahead or drain.
    this.serial.onContention(() => wakeUp());
    const pump = async (): Promise<void> => {
      try {
        for (;;) {
          if (!wanted && !stream.destroyed && !this.serial.contended) {
            await new Promise<void>((r) => { wake = r; });
            continue;
          }
          const s = await this.readStep(options, `the rest of ${what}`);
          if (s.kind === 'body-end') break;
          if (s.kind !== 'body') throw this.protocolError(`a status line inside the answer to ${what}`);
          size += s.data.length;
          if (!stream.destroyed && !stream.push(s.data)) wanted = false;
        }
        this.t.logServer(`[${size} bytes] .`);
        if (!stream.destroyed) stream.push(null);
      } catch (err) {
        if (!stream.destroyed) stream.destroy(err as Error);
      } finally {
        this.serial.onContention(null);
        this.serial.release();
      }
    };
    void pump();
    return stream;
  }

  private ok<S extends Status>(cmd: string, r: S): S {
    if (r.status === '+OK') return r;
    throw new MailClientError('command-failed', `${this.t.where()} refused ${cmd}: ${r.text || '-ERR'}`, this.t.details({ command: cmd, response: r.text, ...(r.code && { responseCode: r.code.join('/') }) }));
  }

  private protocolError(what: string): MailClientError {
    const e = new MailClientError('protocol-error', `${this.t.where()} sent ${what}`, this.t.details());
    this.t.fail(e);
    return e;
  }
}

function statusLine(s: Status): string {
  return `${s.status}${s.code ? ` [${s.code.join('/')}]` : ''}${s.text ? ` ${s.text}` : ''}`;
}

function checkSeq(seq: number): void {
  if (!Number.isInteger(seq) || seq < 1) throw new RangeError(`message numbers start at 1 (got ${seq})`);
}

function scanListing<T>(body: Buffer, make: (seq: number, rest: string) => T): T[] {
  const out: T[] = [];
  for (const line of body.toString('utf8').split(/\r?\n/)) {
    const m = /^(\d+)\s+(\S+)/.exec(line);
    if (m) out.push(make(Number(m[1]), m[2]!));
  }
  return out;
}
