// Small scripted servers on 127.0.0.1 port 0 for the cases real servers will not produce: no
// STARTTLS, replies injected before the TLS handshake, PLAIN-only over plaintext, expired
// tokens, servers that stop answering. Each connection runs `script` with a session that reads
// client lines and writes raw bytes, and can switch to TLS in place.
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import type { TestCert } from '../peers/certs.js';

export interface FakeSession {
  /** Every line the client sent, in order (without CRLF). */
  readonly lines: string[];
  /** Raw bytes the client sent (for literals and DATA). */
  readonly received: Buffer[];
  write(data: string | Buffer): void;
  /** The next line from the client; rejects when the client closes. */
  readLine(timeoutMs?: number): Promise<string>;
  /** The next n raw bytes from the client. */
  readBytes(n: number, timeoutMs?: number): Promise<Buffer>;
  /** Server-side TLS on the current socket (after a STARTTLS answer). */
  startTls(): Promise<void>;
  readonly encrypted: boolean;
  end(data?: string): void;
  destroy(): void;
  /** Resolves when the client closes. */
  readonly closed: Promise<void>;
}

export interface FakeServer {
  port: number;
  sessions: FakeSession[];
  close(): Promise<void>;
}

export interface FakeServerOptions {
  /** Implicit TLS from the first byte. */
  tls?: boolean;
  cert: TestCert;
  tlsOptions?: tls.TlsOptions;
}

export async function startFakeServer(options: FakeServerOptions, script: (s: FakeSession) => Promise<void>): Promise<FakeServer> {
  const sessions: FakeSession[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on('close', () => sockets.delete(raw));
    raw.on('error', () => undefined);
    const session = new Session(raw, options);
    sessions.push(session);
    const run = async (): Promise<void> => {
      if (options.tls) await session.startTls();
      await script(session);
    };
    run().catch(() => session.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    sessions,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

class Session implements FakeSession {
  readonly lines: string[] = [];
  readonly received: Buffer[] = [];
  private buf = Buffer.alloc(0);
  private socket: net.Socket | tls.TLSSocket;
  private waiter: (() => void) | null = null;
  private ended = false;
  encrypted = false;
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;

  constructor(private readonly raw: net.Socket, private readonly options: FakeServerOptions) {
    this.socket = raw;
    this.closed = new Promise((r) => (this.resolveClosed = r));
    this.attach(raw);
  }

  private attach(s: net.Socket | tls.TLSSocket): void {
    s.on('data', (c: Buffer) => {
      if (s !== this.socket) return;
      this.received.push(c);
      this.buf = Buffer.concat([this.buf, c]);
      this.wake();
    });
    s.on('end', () => this.finish());
    s.on('close', () => this.finish());
    s.on('error', () => this.finish());
  }

  private finish(): void {
    this.ended = true;
    this.resolveClosed();
    this.wake();
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  private async waitData(timeoutMs: number): Promise<void> {
    if (this.ended) throw new Error('client closed');
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('fake server: client sent nothing in time')), timeoutMs);
      this.waiter = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  write(data: string | Buffer): void {
    if (!this.socket.destroyed) this.socket.write(data);
  }

  async readLine(timeoutMs = 5000): Promise<string> {
    for (;;) {
      const lf = this.buf.indexOf(0x0a);
      if (lf >= 0) {
        const line = this.buf.subarray(0, lf > 0 && this.buf[lf - 1] === 0x0d ? lf - 1 : lf).toString('utf8');
        this.buf = this.buf.subarray(lf + 1);
        this.lines.push(line);
        return line;
      }
      await this.waitData(timeoutMs);
    }
  }

  async readBytes(n: number, timeoutMs = 5000): Promise<Buffer> {
    while (this.buf.length < n) await this.waitData(timeoutMs);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async startTls(): Promise<void> {
    // Anything the client sent before the handshake is dropped, as a careful server does.
    this.buf = Buffer.alloc(0);
    const t = new tls.TLSSocket(this.raw, { isServer: true, cert: this.options.cert.cert, key: this.options.cert.key, ...this.options.tlsOptions });
    this.socket = t;
    this.attach(t);
    await new Promise<void>((resolve, reject) => {
      t.once('secure', () => resolve());
      t.once('error', reject);
    });
    this.encrypted = true;
  }

  end(data?: string): void {
    if (data === undefined) this.socket.end();
    else this.socket.end(data);
  }

  destroy(): void {
    this.socket.destroy();
    this.raw.destroy();
  }
}

/** Runs a line-command loop: `answer` gets each client line and returns what to write (or
 * null to stop reading). */
export async function serveLines(s: FakeSession, answer: (line: string) => Promise<string | null> | string | null): Promise<void> {
  for (;;) {
    let line: string;
    try {
      line = await s.readLine(10_000);
    } catch {
      return;
    }
    const out = await answer(line);
    if (out === null) return;
    if (out) s.write(out);
  }
}
