// The connection under every client: TCP or implicit TLS, the greeting, the STARTTLS upgrade,
// reads with a deadline and an AbortSignal, writes with backpressure, and the protocol log.
// Built on ClientConnection (client/tls.ts), which owns sockets, handshakes and the rule that
// bytes buffered before a STARTTLS handshake are dropped.
//
// Cancelling or timing out a read destroys the connection: the protocol state is unknown once a
// reply has been abandoned halfway, and reusing such a session is how clients end up reading
// one command's answer as another's.
import tls from 'node:tls';
import { ClientConnection, ConnectError, ReadError, TlsHandshakeError, type ByteSink, type Resettable, type TlsClientOptions, type TlsInfo } from './tls.js';
import { MailClientError, formatMs, type MailClientErrorDetails } from './errors.js';
import { nextConnectionId, printable, type ProtocolLogger } from './logger.js';
import {
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_GREETING_TIMEOUT,
  DEFAULT_TIMEOUT,
  type ClientOptions,
  type ProtocolProfile,
  type ResolvedEndpoint,
} from './options.js';
import { describeConnectError, describeTlsError, looksLikeTlsRecord, printableExcerpt } from './diagnose.js';
import type { ChannelBinding } from '../wire/sasl/types.js';

export interface ReadOptions {
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** What we wait for, for messages: "the reply to DATA". */
  waitingFor: string;
}

const FIRST_BYTES = 16;
/** After this long without a greeting, try a TLS handshake on a side connection: if it works,
 * the port is an implicit-TLS port and waiting longer is pointless. */
const SIDE_PROBE_AFTER = 2_000;

export class Transport {
  readonly id = nextConnectionId();
  readonly timeoutMs: number;
  private closedListeners: Array<(err: MailClientError) => void> = [];
  private firstBytes: Buffer[] = [];
  private firstLength = 0;
  /** Set when we destroy the connection ourselves, so reads report why. */
  private localReason: MailClientError | null = null;
  /** Bytes the server sent after its STARTTLS answer (dropped, RFC 3207 §4.2). */
  discardedBeforeTls = 0;

  private constructor(
    readonly conn: ClientConnection,
    readonly profile: ProtocolProfile,
    readonly endpoint: ResolvedEndpoint,
    readonly options: ClientOptions,
  ) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT;
    this.watchClose();
  }

  /** TCP connect, plus the TLS handshake when the plan is implicit TLS. */
  static async open(profile: ProtocolProfile, endpoint: ResolvedEndpoint, options: ClientOptions): Promise<Transport> {
    const signal = options.signal;
    signal?.throwIfAborted();
    const base = {
      host: endpoint.host,
      port: endpoint.port,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT,
      ...(options.localAddress && { localAddress: options.localAddress }),
    };
    const details: MailClientErrorDetails = { protocol: profile.protocol, host: endpoint.host, port: endpoint.port };
    let attempt: Promise<ClientConnection>;
    if (endpoint.plan === 'tls') {
      attempt = ClientConnection.connectTls({ ...base, tls: tlsOptionsFor(profile, options) });
    } else {
      attempt = ClientConnection.connect(base);
    }
    let conn: ClientConnection;
    try {
      conn = await raceSignal(attempt, signal, (c) => c.destroy());
    } catch (err) {
      if (err instanceof MailClientError) throw err;
      if (err instanceof TlsHandshakeError) {
        // The fast TLS path keeps no copy of what the server sent; when the handshake failed on
        // something that was not TLS, look at what the port says to a plain connection.
        let evidence = err;
        if (err.firstBytes.length === 0 && err.code !== 'certificate' && err.code !== 'timeout') {
          const greeting = await sniffPlaintext(base, Math.min(3_000, base.connectTimeoutMs));
          if (greeting.length > 0) evidence = new TlsHandshakeError(err.code, err.message, greeting.length, greeting, err.opensslCode);
        }
        throw describeTlsError(evidence, profile, endpoint, options.tls ?? {});
      }
      if (err instanceof ConnectError) throw describeConnectError(err, details);
      throw new MailClientError('connect-failed', `could not connect to ${endpoint.host}:${endpoint.port}: ${(err as Error).message}`, { ...details, cause: err });
    }
    const t = new Transport(conn, profile, endpoint, options);
    t.event(`connected to ${endpoint.host}:${endpoint.port} (${endpoint.plan === 'tls' ? 'implicit TLS' : 'plaintext'})`);
    if (conn.tls) {
      t.logTls(conn.tls);
      await t.checkCertificate();
    }
    return t;
  }

  get encrypted(): boolean {
    return this.conn.tls !== null;
  }

  get tlsInfo(): TlsInfo | null {
    return this.conn.tls;
  }

  /** True once the connection is gone or was ended by QUIT/LOGOUT/close. */
  get closed(): boolean {
    return this.conn.isClosed || this.localReason !== null;
  }

  details(extra: MailClientErrorDetails = {}): MailClientErrorDetails {
    return { protocol: this.profile.protocol, host: this.endpoint.host, port: this.endpoint.port, ...extra };
  }

  where(): string {
    return `${this.endpoint.host}:${this.endpoint.port}`;
  }

  // ---- logging ----

  private emit(direction: 'client' | 'server' | 'event', text: string): void {
    const logger: ProtocolLogger | undefined = this.options.logger;
    if (!logger) return;
    try {
      logger({ time: new Date(), protocol: this.profile.protocol, connection: this.id, host: this.endpoint.host, port: this.endpoint.port, direction, text: printable(text) });
    } catch {
      // a throwing logger must not break the session
    }
  }

  get logging(): boolean {
    return this.options.logger !== undefined;
  }

  logClient(text: string): void {
    this.emit('client', text);
  }

  logServer(text: string): void {
    this.emit('server', text);
  }

  event(text: string): void {
    this.emit('event', text);
  }

  private logTls(info: TlsInfo): void {
    this.event(`TLS ${info.version} ${info.cipher.standardName ?? info.cipher.name}${info.alpn ? ` ALPN ${info.alpn}` : ''}, certificate ${info.authorized ? 'trusted' : `NOT trusted (${info.authorizationError ?? info.identityError ?? 'unknown'})`}`);
  }

  // ---- writing ----

  /**
   * Writes bytes. `logText` is what the protocol log shows: the command with credentials
   * replaced by "***"; null logs nothing; undefined logs the data itself (text commands only).
   */
  send(data: string | Buffer, logText?: string | null): void {
    if (this.closed) throw this.closedError('sending');
    if (logText === undefined) {
      const text = typeof data === 'string' ? data : data.toString('latin1');
      for (const line of text.split('\r\n')) if (line) this.emit('client', line);
    } else if (logText !== null) {
      this.emit('client', logText);
    }
    this.conn.write(data);
  }

  /** Writes a stream of chunks, waiting for the socket to drain (large DATA and APPEND). */
  async sendStream(chunks: AsyncIterable<Buffer> | Iterable<Buffer>, signal?: AbortSignal): Promise<number> {
    let total = 0;
    for await (const chunk of chunks) {
      signal?.throwIfAborted();
      if (this.conn.isClosed) throw this.closedError('sending the message');
      total += chunk.length;
      const socket = this.conn.socket;
      if (!socket.write(chunk)) await this.drain(signal);
    }
    return total;
  }

  private drain(signal?: AbortSignal): Promise<void> {
    const socket = this.conn.socket;
    return new Promise((resolve, reject) => {
      const done = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        socket.off('drain', done);
        socket.off('close', done);
        this.abortWith(signal!);
        reject(this.localReason);
      };
      socket.once('drain', done);
      socket.once('close', done);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  // ---- reading ----

  /**
   * Runs a decoder until `poll` yields a value. Timeout and abort destroy the connection (see
   * the header); a close by the server becomes 'connection-closed'.
   */
  async read<T>(sink: ByteSink, poll: () => T | undefined, options: ReadOptions): Promise<T> {
    const signal = options.signal;
    if (signal?.aborted) {
      this.abortWith(signal);
      throw this.localReason!;
    }
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const tap: ByteSink = this.firstLength < FIRST_BYTES
      ? { push: (c) => { this.keepFirst(c); sink.push(c); } }
      : sink;
    const onAbort = (): void => this.abortWith(signal!);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.conn.read(tap, poll, timeoutMs);
    } catch (err) {
      throw this.readError(err, options.waitingFor, timeoutMs);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private keepFirst(chunk: Uint8Array): void {
    if (this.firstLength >= FIRST_BYTES) return;
    const part = Buffer.from(chunk.subarray(0, FIRST_BYTES - this.firstLength));
    this.firstBytes.push(part);
    this.firstLength += part.length;
  }

  private readError(err: unknown, waitingFor: string, timeoutMs: number): MailClientError {
    if (this.localReason) return this.localReason;
    if (err instanceof MailClientError) return err;
    if (err instanceof ReadError) {
      if (err.code === 'timeout') {
        const e = new MailClientError('timeout', `${this.where()} did not answer within ${formatMs(timeoutMs)} while we waited for ${waitingFor}; the connection was closed`, this.details({ cause: err }));
        this.fail(e);
        return e;
      }
      if (err.code === 'closed') return this.closedError(`waiting for ${waitingFor}`, err);
      const e = new MailClientError('protocol-error', `${this.where()} sent something that is not ${this.profile.protocol.toUpperCase()} while we waited for ${waitingFor}: ${err.message}`, this.details({ cause: err }));
      this.fail(e);
      return e;
    }
    const e = new MailClientError('protocol-error', `${(err as Error).message} (while waiting for ${waitingFor})`, this.details({ cause: err }));
    this.fail(e);
    return e;
  }

  closedError(doing: string, cause?: unknown): MailClientError {
    if (this.localReason) return this.localReason;
    const how = this.conn.closeReason === 'reset' ? 'reset the connection' : 'closed the connection';
    return new MailClientError('connection-closed', `${this.where()} ${how} while we were ${doing}`, this.details(cause !== undefined ? { cause } : {}));
  }

  /**
   * Reads the greeting. On a plaintext plan a port that stays silent may be an implicit-TLS
   * port waiting for our ClientHello: after a short wait a side connection tries a handshake,
   * and at the deadline we speak (the protocol's goodbye) to see whether the port answers like
   * TLS — with an alert, or by hanging up.
   */
  async readGreeting<T>(sink: ByteSink, poll: () => T | undefined, nudge: string, signal?: AbortSignal): Promise<T> {
    const total = this.options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT;
    const waitingFor = 'the greeting';
    if (this.encrypted || total <= SIDE_PROBE_AFTER) return this.greetingOrDiagnose(sink, poll, nudge, total, signal);
    try {
      return await this.readQuiet(sink, poll, SIDE_PROBE_AFTER, signal, waitingFor);
    } catch (err) {
      if (!(err instanceof ReadError && err.code === 'timeout' && this.conn.bytesRead === 0)) throw this.readError(err, waitingFor, total);
    }
    // Silent so far: race the rest of the wait against a TLS handshake on a side connection.
    const side = this.sideTlsProbe(Math.min(3_000, total - SIDE_PROBE_AFTER));
    const greeting = this.greetingOrDiagnose(sink, poll, nudge, total - SIDE_PROBE_AFTER, signal);
    const winner = await Promise.race([greeting.then(() => 'greeting' as const, () => 'greeting' as const), side]);
    if (winner === 'tls') {
      const e = this.expectsTls('a TLS handshake on a second connection to it succeeds');
      this.fail(e);
      greeting.catch(() => undefined);
      throw e;
    }
    return greeting;
  }

  private async readQuiet<T>(sink: ByteSink, poll: () => T | undefined, ms: number, signal: AbortSignal | undefined, waitingFor: string): Promise<T> {
    const tap: ByteSink = { push: (c) => { this.keepFirst(c); sink.push(c); } };
    const onAbort = (): void => this.abortWith(signal!);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await this.conn.read(tap, () => {
        try {
          return poll();
        } catch (err) {
          throw this.firstLooksLikeTls() ? this.expectsTls('it answered with a TLS record instead of a greeting') : err;
        }
      }, ms);
    } catch (err) {
      if (this.localReason) throw this.localReason;
      if (err instanceof ReadError && err.cause instanceof MailClientError) {
        this.fail(err.cause);
        throw err.cause;
      }
      if (err instanceof ReadError && err.code === 'closed' && this.conn.bytesRead === 0 && waitingFor === 'the greeting') {
        throw new MailClientError('greeting-refused', `${this.where()} closed the connection without a greeting`, this.details({ cause: err }));
      }
      throw err;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  private async greetingOrDiagnose<T>(sink: ByteSink, poll: () => T | undefined, nudge: string, ms: number, signal?: AbortSignal): Promise<T> {
    try {
      return await this.readQuiet(sink, poll, ms, signal, 'the greeting');
    } catch (err) {
      if (err instanceof MailClientError) throw err;
      if (!(err instanceof ReadError && err.code === 'timeout') || this.encrypted || this.conn.bytesRead > 0) {
        throw this.readError(err, 'the greeting', ms);
      }
    }
    // Nothing at all within the greeting timeout. Say goodbye in the protocol and watch.
    this.send(nudge);
    const seen = await this.conn.waitForData(2_000);
    let e: MailClientError;
    if (seen === 'data') {
      const chunk = (this.conn.socket.read() as Buffer | null) ?? Buffer.alloc(0);
      if (looksLikeTlsRecord(chunk)) {
        e = this.expectsTls(chunk[0] === 0x15 ? 'it answered our plaintext with a TLS alert' : 'it answered our plaintext with a TLS record');
      } else {
        e = new MailClientError('timeout', `${this.where()} sent no greeting within ${formatMs(this.options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT)} (then answered: "${printableExcerpt(chunk)}")`, this.details());
      }
    } else if (seen === 'closed') {
      e = this.expectsTls('it sent no greeting and hung up as soon as we spoke plaintext to it', true);
    } else {
      e = new MailClientError('timeout', `${this.where()} sent no greeting within ${formatMs(this.options.greetingTimeoutMs ?? DEFAULT_GREETING_TIMEOUT)}`, this.details());
    }
    this.fail(e);
    throw e;
  }

  private expectsTls(evidence: string, probably = false): MailClientError {
    const alert = /TLS alert/.test(evidence);
    const head = alert
      ? `port ${this.endpoint.port} answered with a TLS alert: it expects implicit TLS, not STARTTLS`
      : `port ${this.endpoint.port} ${probably ? 'probably expects' : 'expects'} implicit TLS, not ${this.endpoint.plan === 'none' ? 'plaintext' : 'STARTTLS'} (${evidence})`;
    return new MailClientError('expects-implicit-tls', `${head}; use security: 'tls' for ${this.where()}`, this.details());
  }

  private firstLooksLikeTls(): boolean {
    return looksLikeTlsRecord(Buffer.concat(this.firstBytes));
  }

  /** 'tls' when a TLS handshake to the same port completes (certificate not judged here). */
  private async sideTlsProbe(ms: number): Promise<'tls' | 'no'> {
    try {
      const c = await ClientConnection.connectTls({
        host: this.endpoint.host,
        port: this.endpoint.port,
        connectTimeoutMs: ms,
        ...(this.options.localAddress && { localAddress: this.options.localAddress }),
        tls: { ...tlsOptionsFor(this.profile, this.options), verify: 'report', handshakeTimeoutMs: ms },
      });
      c.destroy();
      return 'tls';
    } catch {
      return 'no';
    }
  }

  // ---- STARTTLS ----

  /** Call after the server's positive answer to STARTTLS/STLS. */
  async upgrade(decoder: Resettable, signal?: AbortSignal): Promise<void> {
    let discardedBytes: number;
    try {
      ({ discardedBytes } = await raceSignal(this.conn.startTls(tlsOptionsFor(this.profile, this.options), decoder), signal, () => this.conn.destroy()));
    } catch (err) {
      this.conn.destroy();
      if (err instanceof MailClientError) throw err;
      if (err instanceof TlsHandshakeError) throw describeTlsError(err, this.profile, this.endpoint, this.options.tls ?? {}, true);
      throw new MailClientError('tls-failed', `the TLS handshake after ${this.profile.starttlsName} failed: ${(err as Error).message}`, this.details({ cause: err }));
    }
    this.watchClose();
    this.discardedBeforeTls = discardedBytes;
    if (discardedBytes > 0) {
      // RFC 3207 §4.2, RFC 2595 §3.1, RFC 9051 §6.2.1: never act on pre-handshake bytes.
      this.event(`discarded ${discardedBytes} bytes the server sent before the TLS handshake (possible response injection)`);
    }
    this.logTls(this.conn.tls!);
    await this.checkCertificate();
  }

  private async checkCertificate(): Promise<void> {
    const hook = this.options.tls?.checkCertificate;
    if (!hook) return;
    const socket = this.conn.socket as tls.TLSSocket;
    const cert = socket.getPeerCertificate(true);
    let verdict: void | string | Error;
    try {
      verdict = await hook(cert, this.conn.tls!);
    } catch (err) {
      verdict = err instanceof Error ? err : String(err);
    }
    if (verdict === undefined) return;
    const reason = typeof verdict === 'string' ? verdict : verdict.message;
    this.conn.destroy();
    throw new MailClientError('certificate-rejected', `the certificate of ${this.where()} was refused by tls.checkCertificate: ${reason}`, this.details(verdict instanceof Error ? { cause: verdict } : {}));
  }

  /** RFC 9266 tls-exporter channel binding, TLS 1.3 only (what SCRAM-…-PLUS binds to). */
  channelBinding(): ChannelBinding | undefined {
    const info = this.conn.tls;
    if (!info || info.version !== 'TLSv1.3') return undefined;
    const data = this.conn.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding');
    return data ? { type: 'tls-exporter', data } : undefined;
  }

  // ---- closing ----

  /**
   * Close after QUIT/LOGOUT was answered: later calls fail with 'connection-closed'. The socket
   * is destroyed rather than half-closed: nothing more is due from the server, and a TLS
   * shutdown left pending when the peer resets (a middlebox, a relay) keeps Node's exit-time
   * handle cleanup spinning forever (seen with Node 20).
   */
  close(): void {
    this.localReason ??= new MailClientError('connection-closed', `the session with ${this.where()} has ended; connect again`, this.details());
    this.conn.destroy();
  }

  /** Destroys the connection; pending and later calls fail with `reason`. */
  fail(reason: MailClientError): void {
    this.localReason ??= reason;
    this.conn.destroy();
  }

  private abortWith(signal: AbortSignal): void {
    if (this.localReason) return;
    const why = signal.reason instanceof Error && signal.reason.name !== 'AbortError' ? `: ${signal.reason.message}` : '';
    this.fail(new MailClientError('aborted', `the call was cancelled${why}; the connection to ${this.where()} was closed`, this.details({ cause: signal.reason })));
  }

  /** Calls `listener` once when the connection ends, with the reason (ours or the server's). */
  onClose(listener: (err: MailClientError) => void): void {
    this.closedListeners.push(listener);
  }

  private watchClose(): void {
    const socket = this.conn.socket;
    socket.once('close', () => {
      // After STARTTLS the plaintext socket's close is not the end; only the current one counts.
      if (socket !== this.conn.socket && !this.conn.isClosed) return;
      const listeners = this.closedListeners;
      this.closedListeners = [];
      const why = this.localReason ?? new MailClientError('connection-closed', `${this.where()} ${this.conn.closeReason === 'reset' ? 'reset' : 'closed'} the connection`, this.details());
      for (const l of listeners) l(why);
    });
  }
}

/** What a port sends first to a plain TCP connection within `ms` (up to one line). */
async function sniffPlaintext(endpoint: { host: string; port: number; localAddress?: string }, ms: number): Promise<Buffer> {
  let conn: ClientConnection;
  try {
    conn = await ClientConnection.connect({ ...endpoint, connectTimeoutMs: ms });
  } catch {
    return Buffer.alloc(0);
  }
  const parts: Buffer[] = [];
  let size = 0;
  try {
    await conn.read({ push: (c) => { parts.push(Buffer.from(c)); size += c.length; } }, () => (size > 0 && Buffer.concat(parts).includes(0x0a)) || size >= 64 ? true : undefined, ms);
  } catch {
    // whatever arrived is the evidence
  } finally {
    conn.destroy();
  }
  return Buffer.concat(parts).subarray(0, 64);
}

export function tlsOptionsFor(profile: ProtocolProfile, options: ClientOptions): TlsClientOptions {
  const t = options.tls ?? {};
  const alpn = t.alpn === false ? undefined : (t.alpn ?? [profile.alpn]);
  return {
    verify: t.rejectUnauthorized === false ? 'report' : 'reject',
    handshakeTimeoutMs: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT,
    ...(t.ca !== undefined && { ca: t.ca }),
    ...(t.servername !== undefined && { servername: t.servername }),
    ...(t.minVersion !== undefined && { minVersion: t.minVersion }),
    ...(t.maxVersion !== undefined && { maxVersion: t.maxVersion }),
    ...(t.ciphers !== undefined && { ciphers: t.ciphers }),
    ...(alpn && alpn.length > 0 && { alpn }),
  };
}

/** Awaits `p` unless `signal` fires first; a late result is handed to `dispose`. */
export async function raceSignal<T>(p: Promise<T>, signal: AbortSignal | undefined, dispose: (value: T) => void): Promise<T> {
  if (!signal) return p;
  signal.throwIfAborted();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      p.then(dispose, () => undefined);
      reject(new MailClientError('aborted', 'the call was cancelled', { cause: signal.reason }));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([p, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
