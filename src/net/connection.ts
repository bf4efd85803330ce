// One client connection: reads frames (lines, literal bytes) in order, writes with
// backpressure, upgrades to TLS in place (STARTTLS), and enforces its timeout. Protocol
// sessions sit on top and never touch the socket themselves.
import type { Socket } from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import { LineFramer, type Frame } from './line-framer.js';
import type { AlpnId, TlsPolicy } from './tls-policy.js';

export interface TlsInfo {
  protocol: string | null;
  cipher: string | null;
  alpn: string | null;
  servername: string | null;
}

/**
 * Received bytes buffered before the socket is paused (a pipelining flood is throttled, not
 * buffered). Frames are cut from the buffer only when the session asks for one, so that a
 * session can switch to exact byte counts (expectBytes: IMAP literals, SMTP BDAT chunks) for
 * data that arrived in the same packet as the command announcing it.
 */
const HIGH_WATER_BYTES = 1 << 20;

export class Connection {
  readonly id = randomBytes(6).toString('base64url');
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  readonly startedAt = Date.now();
  private socket: Socket;
  private readonly framer: LineFramer;
  private pending: Frame[] = [];
  private wake: (() => void) | null = null;
  private ended = false;
  /** The peer sent FIN: frames already received are still handled and answered. */
  private inputEnded = false;
  private timer: NodeJS.Timeout | null = null;
  private timeoutMs = 0;
  private onTimeout: (() => void) | null = null;
  private tlsSocket: tls.TLSSocket | null = null;
  private closeListeners: Array<() => void> = [];
  /** Bytes thrown away by the last STARTTLS upgrade (for the protocol log and tests). */
  discardedAtUpgrade = 0;
  /** COMPRESS=DEFLATE (RFC 4978): input inflated before framing, output deflated. */
  private inflater: zlib.InflateRaw | null = null;
  private deflater: zlib.DeflateRaw | null = null;

  constructor(socket: Socket, maxLineLength: number) {
    this.socket = socket;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = normalizeAddress(socket.localAddress ?? '');
    this.localPort = socket.localPort ?? 0;
    this.framer = new LineFramer(maxLineLength);
    if (socket instanceof tls.TLSSocket) this.tlsSocket = socket;
    socket.setNoDelay(true);
    this.attach(socket);
  }

  get isTls(): boolean {
    return this.tlsSocket !== null;
  }

  get closed(): boolean {
    return this.ended;
  }

  get tlsInfo(): TlsInfo | null {
    const t = this.tlsSocket;
    if (!t) return null;
    const alpn = t.alpnProtocol;
    return {
      protocol: t.getProtocol(),
      cipher: t.getCipher()?.name ?? null,
      alpn: typeof alpn === 'string' ? alpn : null,
      servername: (t as tls.TLSSocket & { servername?: string | false }).servername || null,
    };
  }

  /** RFC 9266 tls-exporter channel binding data (TLS 1.3), or RFC 5929 tls-unique is not offered. */
  tlsExporter(): Buffer | null {
    const t = this.tlsSocket;
    if (!t || t.getProtocol() !== 'TLSv1.3') return null;
    return t.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding', Buffer.alloc(0));
  }

  setMaxLineLength(n: number): void {
    this.framer.maxLineLength = n;
  }

  /** The next n bytes are delivered as one 'bytes' frame (IMAP literals, SMTP BDAT chunks). */
  expectBytes(n: number): void {
    this.framer.expectBytes(n);
  }

  /** Waits for the next frame; null once the peer has gone. */
  async nextFrame(): Promise<Frame | null> {
    for (;;) {
      const f = this.pending.shift() ?? this.framer.next();
      if (f) {
        if (this.framer.buffered < HIGH_WATER_BYTES / 2 && this.socket.isPaused() && !this.ended) this.resumeInput();
        return f;
      }
      if (this.ended || this.inputEnded) return null;
      // No complete frame in what we hold: we need more bytes, whatever the high-water mark says.
      if (this.socket.isPaused()) this.resumeInput();
      await new Promise<void>((resolve) => { this.wake = resolve; });
      this.wake = null;
    }
  }

  /** Bytes already received and waiting (POP3/SMTP pipelining: flush replies when this is false). */
  get hasPendingInput(): boolean {
    return this.pending.length > 0 || this.framer.buffered > 0;
  }

  write(data: string | Buffer): boolean {
    if (this.ended) return false;
    if (this.deflater) {
      this.deflater.write(data);
      this.deflater.flush(zlib.constants.Z_SYNC_FLUSH);
      return true;
    }
    return this.socket.write(data);
  }

  /**
   * Writes and waits until the socket can take more (large RETR/FETCH bodies). Several parts
   * leave in one writev (and one compressed flush), not one syscall each.
   */
  async writeAsync(data: string | Buffer | ReadonlyArray<string | Buffer>): Promise<void> {
    if (this.ended) return;
    const parts = typeof data === 'string' || Buffer.isBuffer(data) ? [data] : data;
    if (this.deflater) {
      const d = this.deflater;
      await new Promise<void>((resolve) => {
        for (const p of parts) d.write(p);
        d.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve());
      });
      if (!this.socket.writableNeedDrain || this.ended) return;
      await this.drained();
      return;
    }
    if (parts.length > 1) this.socket.cork();
    let ok = true;
    for (const p of parts) ok = this.socket.write(p);
    if (parts.length > 1) this.socket.uncork();
    if (ok && !this.socket.writableNeedDrain) return;
    await this.drained();
  }

  private drained(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => { this.socket.off('drain', done); this.socket.off('close', done); resolve(); };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * Upgrades to TLS in place. Every byte the client sent after the STARTTLS/STLS line and
   * before the handshake is discarded (RFC 3207 §4.2, RFC 2595 §3.1: the "NO STARTTLS"
   * command-injection class, CVE-2011-0411): none of it may be taken as a command.
   */
  async startTls(policy: TlsPolicy, alpn: AlpnId, handshakeTimeoutMs: number): Promise<void> {
    if (this.tlsSocket) throw new Error('already TLS');
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('end');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    this.discardedAtUpgrade = this.framer.discard() + this.pending.reduce((n, f) => n + frameSize(f), 0);
    this.pending = [];
    const secure = new tls.TLSSocket(raw, { isServer: true, ...policy.serverOptions(alpn) });
    this.tlsSocket = secure;
    this.socket = secure;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { secure.destroy(); reject(new Error('TLS handshake timed out')); }, handshakeTimeoutMs);
      secure.once('secure', () => { clearTimeout(timer); resolve(); });
      secure.once('error', (err) => { clearTimeout(timer); reject(err); });
      secure.once('close', () => { clearTimeout(timer); reject(new Error('connection closed during TLS handshake')); });
    }).catch((err) => {
      this.markEnded();
      throw err;
    });
    this.attach(secure);
    this.resetTimer();
  }

  /**
   * RFC 4978 COMPRESS=DEFLATE, called right after the OK is written: from here on both
   * directions are raw DEFLATE. Anything still unframed was sent before the client could know
   * compression was on, which the RFC does not allow; it is dropped.
   */
  startDeflate(): void {
    if (this.deflater) throw new Error('already compressing');
    this.framer.discard();
    const inflater = zlib.createInflateRaw();
    const deflater = zlib.createDeflateRaw();
    inflater.on('data', (chunk: Buffer) => this.accept(chunk));
    inflater.on('error', () => this.destroy());
    deflater.on('data', (chunk: Buffer) => { if (!this.socket.destroyed) this.socket.write(chunk); });
    deflater.on('error', () => this.destroy());
    this.inflater = inflater;
    this.deflater = deflater;
  }

  get compressed(): boolean {
    return this.deflater !== null;
  }

  /** (Re)arms the inactivity timeout; any received byte restarts it. */
  setTimeout(ms: number, onTimeout: () => void): void {
    this.timeoutMs = ms;
    this.onTimeout = onTimeout;
    this.resetTimer();
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  /** Ends the connection after flushing what was written. */
  close(): void {
    if (this.ended) return;
    const s = this.socket;
    if (this.deflater) {
      // The last compressed bytes (BYE, the tagged OK) leave before the FIN.
      this.deflater.once('end', () => s.end());
      this.deflater.end();
    } else this.socket.end();
    setTimeout(() => s.destroy(), 2000).unref();
    this.markEnded();
  }

  destroy(): void {
    this.socket.destroy();
    this.markEnded();
  }

  private attach(socket: Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.resetTimer();
      if (this.inflater) this.inflater.write(chunk);
      else this.accept(chunk);
    });
    socket.on('end', () => { this.inputEnded = true; if (this.wake) this.wake(); });
    socket.on('close', () => this.markEnded());
    socket.on('error', () => this.markEnded());
  }

  /** Received (and, under COMPRESS, inflated) bytes into the framer; a flood pauses the input. */
  private accept(chunk: Buffer): void {
    this.framer.push(chunk);
    if (this.framer.buffered >= HIGH_WATER_BYTES && !this.socket.isPaused()) {
      this.socket.pause();
      // A small compressed chunk can inflate to a lot: stop the inflater too.
      this.inflater?.pause();
    }
    if (this.wake) this.wake();
  }

  private resumeInput(): void {
    this.socket.resume();
    this.inflater?.resume();
  }

  private resetTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.timeoutMs > 0 && !this.ended) {
      this.timer = setTimeout(() => this.onTimeout?.(), this.timeoutMs);
      this.timer.unref();
    }
  }

  private markEnded(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.wake) this.wake();
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const l of listeners) l();
  }
}

function frameSize(f: Frame): number {
  return f.kind === 'line' ? f.line.length + 2 : f.kind === 'bytes' ? f.data.length : f.discarded;
}

/** "::ffff:127.0.0.1" → "127.0.0.1", so IPv4 clients on dual-stack sockets look the same everywhere. */
export function normalizeAddress(a: string): string {
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}
