// Client-side connections for the text protocols (SMTP, IMAP, POP3, FTP): a plain or
// implicit-TLS connect, reads that run a wire decoder to a complete reply under a deadline, and
// the STARTTLS upgrade.
//
// Why the upgrade is careful: RFC 3207 §4.2, RFC 2595 §3.1 and RFC 9051 §6.2.1 require the client
// to discard anything the server sent before the TLS handshake; a man in the middle (or a buggy
// server) can otherwise inject replies that the client would read as if they came over TLS.
// startTls() therefore pauses the socket, detaches the plaintext reader, drops every buffered
// byte (the decoder's and the socket's), counts them for the caller, and only then wraps.
//
// Certificates: with verify 'reject' (the default) an untrusted or wrongly named certificate
// fails the handshake, as a mail client should. With 'report' the handshake completes and the
// TlsInfo carries the OpenSSL verification code and the identity mismatch, so a probe can
// explain instead of failing.
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
export const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

export interface EndpointOptions {
  host: string;
  port: number;
  /** Source address, e.g. 127.0.0.2 to look like a remote client to a loopback server. */
  localAddress?: string;
  /** Connect timeout in ms (default 10 s). */
  connectTimeoutMs?: number;
}

export interface TlsClientOptions {
  /** SNI and the name the certificate must carry. Default: the host, unless it is an IP literal
   * (RFC 6066 §3 forbids IP addresses in SNI; the certificate is then checked for the IP). */
  servername?: string;
  /** Trusted CA certificates (PEM); replaces the system store, like curl --cacert. */
  ca?: string | Buffer | Array<string | Buffer>;
  /** Pin the protocol range. Below TLS 1.2 the cipher list drops to OpenSSL security level 0,
   * without which OpenSSL 3 refuses TLS 1.0/1.1 handshakes outright. */
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
  ciphers?: string;
  /** ALPN protocol IDs to offer (RFC 7301); none by default, as mail clients mostly send none. */
  alpn?: string[];
  /** A session to resume (from TlsInfo.session or the 'session' event). */
  session?: Buffer;
  /** Do not offer session tickets (RFC 5077): forces session-ID resumption in TLS 1.2. */
  noTickets?: boolean;
  /** 'reject' fails the handshake on an untrusted or misnamed certificate; 'report' records it. */
  verify?: 'reject' | 'report';
  /** Extra OpenSSL SSL_OP_* flags. */
  secureOptions?: number;
  /** Handshake timeout in ms (default 10 s). */
  handshakeTimeoutMs?: number;
  /** Sees every byte the server sends until the handshake ends (the raw TLS records), for
   * inspecting the ServerHello; costs a JS stream in the path, so leave unset for bulk data. */
  onServerBytes?: (chunk: Buffer) => void;
}

export interface TlsInfo {
  version: string;
  cipher: { name: string; standardName?: string; version: string };
  /** Key exchange: type ("ECDH"/"DH"), group name ("X25519", "prime256v1") and size in bits. */
  keyExchange?: { type: string; name?: string; size: number };
  alpn: string | null;
  servername?: string;
  authorized: boolean;
  /** OpenSSL verify code (CERT_HAS_EXPIRED, DEPTH_ZERO_SELF_SIGNED_CERT, ...). */
  authorizationError?: string;
  /** Why the certificate does not name the server, from tls.checkServerIdentity. */
  identityError?: string;
  /** DER certificates, leaf first, as OpenSSL built the chain (sent certificates, then an issuer
   * found in the trust store, if any). */
  peerChain: Buffer[];
  sessionReused: boolean;
  /** The session after the handshake (TLS 1.3: may still lack a ticket; see waitForSession). */
  session?: Buffer;
  /** TLS 1.2 session ticket, if the server issued one. */
  ticket?: Buffer;
}

export type ConnectErrorCode = 'refused' | 'timeout' | 'unreachable' | 'reset' | 'dns' | 'other';

export class ConnectError extends Error {
  readonly code: ConnectErrorCode;
  readonly osCode?: string;
  constructor(code: ConnectErrorCode, message: string, osCode?: string) {
    super(message);
    this.name = 'ConnectError';
    this.code = code;
    if (osCode) this.osCode = osCode;
  }
}

export type TlsHandshakeErrorCode = 'timeout' | 'closed' | 'reset' | 'alert' | 'protocol' | 'certificate' | 'other';

export class TlsHandshakeError extends Error {
  readonly code: TlsHandshakeErrorCode;
  /** Node/OpenSSL error code, e.g. ERR_SSL_WRONG_VERSION_NUMBER. */
  readonly opensslCode?: string;
  /** Bytes the server sent during the attempt, and the first of them (evidence: "220 " means
   * the port speaks plaintext SMTP). */
  readonly bytesReceived: number;
  readonly firstBytes: Buffer;
  constructor(code: TlsHandshakeErrorCode, message: string, bytesReceived: number, firstBytes: Buffer, opensslCode?: string) {
    super(message);
    this.name = 'TlsHandshakeError';
    this.code = code;
    this.bytesReceived = bytesReceived;
    this.firstBytes = firstBytes;
    if (opensslCode) this.opensslCode = opensslCode;
  }
}

export type ReadErrorCode = 'timeout' | 'closed' | 'protocol';

export class ReadError extends Error {
  readonly code: ReadErrorCode;
  constructor(code: ReadErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReadError';
    this.code = code;
  }
}

/** A decoder's input side; the poll function given to read() takes values out. */
export interface ByteSink {
  push(chunk: Uint8Array): void;
}

/** Something that can drop what it buffered (the wire decoders' reset()). */
export interface Resettable {
  reset(): number;
}

const DEFAULT_TIMEOUT = 10_000;
const FIRST_BYTES = 64;

/**
 * One client connection. Reading is pull-based (paused stream, 'readable' events), so bytes are
 * taken from the kernel only while a read is pending: a peer that streams forever fills the
 * socket buffers and stalls instead of growing our memory.
 */
export class ClientConnection {
  readonly host: string;
  readonly port: number;
  private stream: net.Socket | tls.TLSSocket;
  private raw: net.Socket;
  private ended = false;
  private endReason: 'fin' | 'reset' | 'error' | 'local' | null = null;
  private lastError: Error | null = null;
  private tlsInfo: TlsInfo | null = null;
  private latestSession: Buffer | undefined;
  private sessionWaiters: Array<(s: Buffer) => void> = [];
  /** Bytes read from the stream in total (plaintext side). */
  bytesRead = 0;

  /** raw is null only while connectTls lets tls.connect open the socket itself. */
  private constructor(host: string, port: number, raw: net.Socket | null) {
    this.host = host;
    this.port = port;
    this.raw = raw as net.Socket;
    this.stream = raw as net.Socket;
    if (raw) this.watch(raw);
  }

  /** TLS details once the connection is encrypted, else null. */
  get tls(): TlsInfo | null {
    return this.tlsInfo;
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** How the peer closed the connection, once it has. */
  get closeReason(): 'fin' | 'reset' | 'error' | 'local' | null {
    return this.endReason;
  }

  get localAddress(): string | undefined {
    return this.raw.localAddress;
  }

  get remoteAddress(): string | undefined {
    return this.raw.remoteAddress;
  }

  /** The underlying socket (TLS once upgraded), for callers that need socket APIs. */
  get socket(): net.Socket | tls.TLSSocket {
    return this.stream;
  }

  static async connect(options: EndpointOptions): Promise<ClientConnection> {
    const raw = await openSocket(options);
    return new ClientConnection(options.host, options.port, raw);
  }

  /** Connect and handshake at once (implicit TLS: SMTPS 465, IMAPS 993, POP3S 995, FTPS 990). */
  static async connectTls(options: EndpointOptions & { tls?: TlsClientOptions }): Promise<ClientConnection> {
    const tlsOptions = options.tls ?? {};
    // With a tap the bytes must pass through a JS stream, so open the socket ourselves (paused,
    // so a plaintext greeting waits in the kernel for the tap); otherwise tls.connect opens it.
    if (!tlsOptions.onServerBytes) {
      const conn = new ClientConnection(options.host, options.port, null);
      await conn.handshake(tlsOptions, options);
      return conn;
    }
    const raw = await openSocket(options, true);
    const conn = new ClientConnection(options.host, options.port, raw);
    try {
      await conn.handshake(tlsOptions);
    } catch (err) {
      conn.destroy();
      throw err;
    }
    return conn;
  }

  write(data: string | Uint8Array): void {
    if (this.ended) return;
    this.stream.write(data);
  }

  /**
   * Feeds incoming bytes to `sink` until `poll` returns a value (undefined means "need more";
   * poll throws on a protocol error). Rejects with ReadError 'timeout' after timeoutMs and
   * 'closed' if the peer closes first.
   */
  async read<T>(sink: ByteSink, poll: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let value: T | undefined;
      try {
        value = poll();
      } catch (err) {
        throw new ReadError('protocol', (err as Error).message, { cause: err });
      }
      if (value !== undefined) return value;
      const chunk = this.stream.read() as Buffer | null;
      if (chunk) {
        this.bytesRead += chunk.length;
        sink.push(chunk);
        continue;
      }
      if (this.ended) throw new ReadError('closed', this.describeClose());
      const left = deadline - Date.now();
      if (left <= 0) throw new ReadError('timeout', `no complete reply within ${timeoutMs} ms`);
      await this.waitReadable(left);
    }
  }

  /**
   * Reads everything until the peer closes (an FTP data connection). Fails with ReadError
   * 'timeout' when nothing arrives for idleTimeoutMs, and 'protocol' past maxBytes.
   */
  async readToEnd(maxBytes: number, idleTimeoutMs: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let size = 0;
    for (;;) {
      const chunk = this.stream.read() as Buffer | null;
      if (chunk) {
        size += chunk.length;
        this.bytesRead += chunk.length;
        if (size > maxBytes) throw new ReadError('protocol', `more than ${maxBytes} bytes`);
        parts.push(chunk);
        continue;
      }
      if (this.ended) {
        if (this.endReason === 'reset' || this.endReason === 'error') throw new ReadError('closed', this.describeClose());
        return Buffer.concat(parts, size);
      }
      const timedOut = await this.waitReadable(idleTimeoutMs);
      if (timedOut && this.stream.readableLength === 0 && !this.ended) {
        throw new ReadError('timeout', `no data for ${idleTimeoutMs} ms`);
      }
    }
  }

  /** Writes the last bytes and half-closes, resolving once they are flushed (FTP upload). */
  async endWrite(data?: Uint8Array): Promise<void> {
    if (this.ended) throw new ReadError('closed', this.describeClose());
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.stream.once('error', onError);
      this.stream.end(data ?? Buffer.alloc(0), () => {
        this.stream.off('error', onError);
        resolve();
      });
    });
  }

  /** Waits for the first byte (without consuming it), the peer's close, or the timeout. */
  async waitForData(timeoutMs: number): Promise<'data' | 'closed' | 'timeout'> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.stream.readableLength > 0) return 'data';
      if (this.ended) return 'closed';
      const left = deadline - Date.now();
      if (left <= 0) return 'timeout';
      // read(0) asks the stream to fill its buffer without consuming anything.
      this.stream.read(0);
      if (this.stream.readableLength > 0) return 'data';
      await this.waitReadable(left);
    }
  }

  /**
   * STARTTLS / STLS / AUTH TLS: call after the server's positive answer. Drops every byte the
   * server sent after that answer (the decoder's buffer and the socket's) and returns how many
   * there were: a non-zero count means something pipelined plaintext into the session.
   */
  async startTls(options: TlsClientOptions = {}, decoder?: Resettable): Promise<{ discardedBytes: number }> {
    if (this.tlsInfo) throw new Error('connection is already encrypted');
    let discarded = decoder ? decoder.reset() : 0;
    for (let c = this.raw.read() as Buffer | null; c; c = this.raw.read() as Buffer | null) discarded += c.length;
    await this.handshake(options);
    return { discardedBytes: discarded };
  }

  /** The newest session the server gave us. In TLS 1.3 tickets arrive after the handshake, so
   * this waits (up to timeoutMs) for the 'session' event when none has arrived yet. */
  async waitForSession(timeoutMs: number): Promise<Buffer | undefined> {
    if (this.latestSession) return this.latestSession;
    if (this.ended) return undefined;
    // Reading drives OpenSSL to process the NewSessionTicket records.
    this.stream.read(0);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (s: Buffer | undefined): void => {
        clearTimeout(timer);
        this.sessionWaiters = this.sessionWaiters.filter((w) => w !== done);
        resolve(s);
      };
      this.sessionWaiters.push(done);
    });
  }

  /** Exported keying material for tls-exporter channel binding (RFC 9266), TLS 1.3 only. */
  exportKeyingMaterial(length: number, label: string): Buffer | undefined {
    if (!this.tlsInfo || !(this.stream instanceof tls.TLSSocket)) return undefined;
    return this.stream.exportKeyingMaterial(length, label, Buffer.alloc(0));
  }

  /** Half-close politely, then make sure the socket goes away. */
  close(): void {
    if (this.ended) return;
    this.stream.end();
    setTimeout(() => this.destroy(), 200).unref();
  }

  destroy(): void {
    if (!this.ended) {
      this.ended = true;
      this.endReason = 'local';
    }
    this.stream?.destroy();
    this.raw?.destroy();
    // Wake a pending read() so it fails now with 'closed' instead of at its deadline (the
    // client library destroys the connection to cancel a call).
    this.stream?.emit('postern:wake');
  }

  private describeClose(): string {
    if (this.endReason === 'reset') return 'the server reset the connection';
    if (this.endReason === 'error') return `connection error: ${this.lastError?.message ?? 'unknown'}`;
    if (this.endReason === 'local') return 'the connection was closed';
    return 'the server closed the connection';
  }

  private watch(stream: net.Socket | tls.TLSSocket): void {
    stream.on('end', () => this.markEnded('fin'));
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.lastError = err;
      this.markEnded(err.code === 'ECONNRESET' ? 'reset' : 'error');
    });
    stream.on('close', () => this.markEnded('fin'));
  }

  private markEnded(reason: 'fin' | 'reset' | 'error'): void {
    if (this.ended) return;
    this.ended = true;
    this.endReason = reason;
    this.stream.emit('postern:wake');
  }

  /** Resolves on new data or the end of the stream (false), or after ms (true). */
  private waitReadable(ms: number): Promise<boolean> {
    const s = this.stream;
    return new Promise((resolve) => {
      const finish = (timedOut: boolean): void => {
        clearTimeout(timer);
        s.off('readable', onEvent);
        s.off('postern:wake', onEvent);
        resolve(timedOut);
      };
      const onEvent = (): void => finish(false);
      const timer = setTimeout(() => finish(true), ms);
      s.on('readable', onEvent);
      s.on('postern:wake', onEvent);
    });
  }

  private async handshake(options: TlsClientOptions, endpoint?: EndpointOptions): Promise<void> {
    const servername = options.servername ?? (net.isIP(this.host) ? undefined : this.host);
    const socket = await tlsHandshake(endpoint ? null : this.raw, endpoint ?? { host: this.host, port: this.port }, options, servername, (session) => {
      this.latestSession = session;
      for (const w of [...this.sessionWaiters]) w(session);
    });
    if (endpoint) this.raw = socket;
    this.stream = socket;
    this.watch(socket);
    const info = describeTlsSocket(socket, this.host, servername);
    this.tlsInfo = info;
    // TLS 1.3: the session at secureConnect has no ticket yet and cannot resume; wait for the
    // 'session' event (NewSessionTicket) instead.
    if (info.session && !this.latestSession && info.version !== 'TLSv1.3') this.latestSession = info.session;
  }
}

/**
 * One TLS handshake: over `base` (STARTTLS, or a socket opened for tapping) or, when base is
 * null, over a socket tls.connect opens itself (the fast native path for implicit TLS).
 */
async function tlsHandshake(
  base: net.Socket | null,
  endpoint: EndpointOptions,
  options: TlsClientOptions,
  servername: string | undefined,
  onSession: (session: Buffer) => void,
): Promise<tls.TLSSocket> {
  const first: Buffer[] = [];
  let received = 0;
  let firstLen = 0;
  const tap = options.onServerBytes;
  const onBytes = (chunk: Buffer): void => {
    received += chunk.length;
    if (firstLen < FIRST_BYTES) {
      const part = chunk.subarray(0, FIRST_BYTES - firstLen);
      first.push(Buffer.from(part));
      firstLen += part.length;
    }
    tap?.(chunk);
  };
  let tapStream: TapStream | null = null;
  let transport: tls.ConnectionOptions;
  if (base) {
    base.removeAllListeners('readable');
    if (tap) {
      tapStream = new TapStream(base, onBytes);
      transport = { socket: tapStream };
    } else {
      transport = { socket: base };
    }
  } else {
    transport = {
      host: endpoint.host,
      port: endpoint.port,
      ...(endpoint.localAddress && { localAddress: endpoint.localAddress }),
    };
  }
  const verify = options.verify ?? 'reject';
  const legacy = options.minVersion === 'TLSv1' || options.minVersion === 'TLSv1.1';
  const connectOptions: tls.ConnectionOptions = {
    ...transport,
    rejectUnauthorized: verify === 'reject',
    ...(servername !== undefined && { servername }),
    ...(options.ca !== undefined && { ca: options.ca }),
    ...(options.minVersion && { minVersion: options.minVersion }),
    ...(options.maxVersion && { maxVersion: options.maxVersion }),
    ...(options.ciphers !== undefined ? { ciphers: options.ciphers } : legacy && { ciphers: 'DEFAULT:@SECLEVEL=0' }),
    ...(options.alpn && { ALPNProtocols: options.alpn }),
    ...(options.session && { session: options.session }),
    secureOptions: (options.secureOptions ?? 0) | (options.noTickets ? SSL_OP_NO_TICKET : 0),
  };
  // 'report' lets the handshake finish and describeTlsSocket records the mismatch; otherwise
  // check the name Node would not know when we pass a socket (it would default to "localhost").
  const host = endpoint.host;
  connectOptions.checkServerIdentity =
    verify === 'report' ? () => undefined : (_name, cert) => tls.checkServerIdentity(servername ?? host, cert);
  const timeoutMs = options.handshakeTimeoutMs ?? DEFAULT_TIMEOUT;
  const connectTimeoutMs = endpoint.connectTimeoutMs ?? DEFAULT_TIMEOUT;

  const socket = await new Promise<tls.TLSSocket>((resolve, reject) => {
    let settled = false;
    let connected = base !== null;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      reject(err);
    };
    const s = tls.connect(connectOptions);
    let timer = setTimeout(
      () => (connected ? handshakeTimeout() : fail(new ConnectError('timeout', `no answer to the TCP connect within ${connectTimeoutMs} ms (filtered or unreachable)`))),
      connected ? timeoutMs : connectTimeoutMs,
    );
    const handshakeTimeout = (): void =>
      fail(new TlsHandshakeError('timeout', `TLS handshake did not finish within ${timeoutMs} ms`, received, Buffer.concat(first)));
    if (!base) {
      s.once('connect', () => {
        connected = true;
        clearTimeout(timer);
        timer = setTimeout(handshakeTimeout, timeoutMs);
      });
    }
    s.on('session', onSession);
    s.once('secureConnect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(s);
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected) fail(connectErrorOf(err));
      else fail(classifyHandshakeError(err, received, Buffer.concat(first)));
    });
    s.once('close', () => {
      fail(new TlsHandshakeError(received === 0 ? 'closed' : 'protocol', 'the server closed the connection during the TLS handshake', received, Buffer.concat(first)));
    });
  });
  tapStream?.stopTap();
  return socket;
}

const SSL_OP_NO_TICKET = 0x4000; // OpenSSL SSL_OP_NO_TICKET (crypto.constants.SSL_OP_NO_TICKET)

/** Reads the negotiated parameters and the certificate verdicts off a connected TLS socket. */
export function describeTlsSocket(socket: tls.TLSSocket, host: string, servername?: string): TlsInfo {
  const cipher = socket.getCipher();
  const eph = socket.getEphemeralKeyInfo();
  const chain: Buffer[] = [];
  // getPeerCertificate returns {} when the server sent no certificate (anonymous ciphers).
  const peer = socket.getPeerCertificate(true) as tls.DetailedPeerCertificate | undefined;
  const hasPeer = peer !== undefined && peer.raw !== undefined;
  if (hasPeer) {
    let c: tls.DetailedPeerCertificate | undefined = peer;
    const seen = new Set<string>();
    while (c && c.raw && !seen.has(c.fingerprint256)) {
      seen.add(c.fingerprint256);
      chain.push(c.raw);
      c = c.issuerCertificate;
    }
  }
  let identityError: string | undefined;
  if (hasPeer) {
    const err = tls.checkServerIdentity(servername ?? host, peer);
    if (err) identityError = err.message;
  }
  const info: TlsInfo = {
    version: socket.getProtocol() ?? 'unknown',
    cipher: {
      name: cipher.name,
      version: cipher.version,
      ...((cipher as { standardName?: string }).standardName !== undefined && { standardName: (cipher as { standardName?: string }).standardName }),
    },
    alpn: typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null,
    authorized: socket.authorized,
    peerChain: chain,
    sessionReused: socket.isSessionReused(),
  };
  if (eph && 'type' in eph && eph.type) {
    info.keyExchange = { type: eph.type, size: eph.size ?? 0, ...(eph.name !== undefined && { name: eph.name }) };
  }
  if (servername !== undefined) info.servername = servername;
  if (socket.authorizationError) info.authorizationError = String(socket.authorizationError);
  if (identityError) info.identityError = identityError;
  const session = socket.getSession();
  if (session) info.session = session;
  const ticket = socket.getTLSTicket();
  if (ticket && ticket.length > 0) info.ticket = ticket;
  return info;
}

function classifyHandshakeError(err: NodeJS.ErrnoException, received: number, first: Buffer): TlsHandshakeError {
  const code = err.code ?? '';
  let kind: TlsHandshakeErrorCode = 'other';
  if (code === 'ECONNRESET') kind = received === 0 ? 'reset' : 'protocol';
  else if (/ALERT/.test(code)) kind = 'alert';
  else if (/CERT|UNABLE_TO|SELF_SIGNED|HOSTNAME|ERR_TLS_CERT/.test(code)) kind = 'certificate';
  else if (code.startsWith('ERR_SSL')) kind = 'protocol';
  else if (code === 'EPIPE') kind = 'closed';
  return new TlsHandshakeError(kind, err.message, received, first, code || undefined);
}

function connectErrorOf(err: NodeJS.ErrnoException): ConnectError {
  const c = err.code;
  const kind: ConnectErrorCode =
    c === 'ECONNREFUSED' ? 'refused'
    : c === 'ETIMEDOUT' ? 'timeout'
    : c === 'EHOSTUNREACH' || c === 'ENETUNREACH' ? 'unreachable'
    : c === 'ECONNRESET' ? 'reset'
    : c === 'ENOTFOUND' || c === 'EAI_AGAIN' ? 'dns'
    : 'other';
  return new ConnectError(kind, err.message, c);
}

/** Opens a TCP connection. `paused` leaves the socket unread (for a TLS wrap that must see the
 * first bytes); otherwise it is put in pull mode for ClientConnection.read. */
function openSocket(options: EndpointOptions, paused = false): Promise<net.Socket> {
  const timeoutMs = options.connectTimeoutMs ?? DEFAULT_TIMEOUT;
  return new Promise((resolve, reject) => {
    const s = net.connect({
      host: options.host,
      port: options.port,
      ...(options.localAddress && { localAddress: options.localAddress }),
    });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ConnectError('timeout', `no answer to the TCP connect within ${timeoutMs} ms (filtered or unreachable)`));
    }, timeoutMs);
    if (paused) s.pause();
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      s.setNoDelay(true);
      // Pull mode: a 'readable' listener keeps the stream paused; bytes are taken on read().
      if (!paused) s.on('readable', () => undefined);
      s.on('error', () => undefined);
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      reject(connectErrorOf(err));
    });
  });
}

/**
 * The socket as a JS stream that shows each chunk to a tap before TLS sees it. tls.connect over
 * a plain Duplex goes through Node's JS stream path, which lets us read the raw ServerHello.
 */
class TapStream extends Duplex {
  private tap: ((chunk: Buffer) => void) | null;
  constructor(private readonly raw: net.Socket, tap: (chunk: Buffer) => void) {
    super();
    this.tap = tap;
    raw.on('data', (chunk: Buffer) => {
      this.tap?.(chunk);
      if (!this.push(chunk)) raw.pause();
    });
    raw.on('end', () => this.push(null));
    raw.on('error', (err) => this.destroy(err));
    raw.on('close', () => {
      if (!this.destroyed) this.destroy();
    });
  }
  stopTap(): void {
    this.tap = null;
  }
  override _read(): void {
    this.raw.resume();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.raw.destroyed) return cb(new Error('socket closed'));
    this.raw.write(chunk, cb);
  }
  override _final(cb: (err?: Error | null) => void): void {
    this.raw.end();
    cb();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.raw.destroy();
    cb(err);
  }
}
