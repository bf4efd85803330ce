// A small line-oriented test client over a real socket (plain, implicit TLS, or upgraded with
// STARTTLS). Tests speak the protocol by hand with it, byte for byte.
import net from 'node:net';
import tls from 'node:tls';

export class LineClient {
  private buf = '';
  private waiters: Array<() => void> = [];
  private closed = false;
  socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  static async connect(port: number, options: { tls?: boolean; host?: string; alpn?: string[]; minVersion?: tls.SecureVersion; maxVersion?: tls.SecureVersion } = {}): Promise<LineClient> {
    const host = options.host ?? '127.0.0.1';
    const socket = options.tls
      ? tls.connect({ host, port, rejectUnauthorized: false, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}), ...(options.minVersion ? { minVersion: options.minVersion } : {}), ...(options.maxVersion ? { maxVersion: options.maxVersion } : {}) })
      : net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new LineClient(socket);
  }

  get tlsSocket(): tls.TLSSocket | null {
    return this.socket instanceof tls.TLSSocket ? this.socket : null;
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { this.buf += d; this.wakeAll(); });
    socket.on('close', () => { this.closed = true; this.wakeAll(); });
    socket.on('error', () => { this.closed = true; this.wakeAll(); });
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async wait(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; buffered: ${JSON.stringify(this.buf.slice(0, 200))}`)), timeoutMs);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Sends one command line (CRLF added). */
  line(text: string): void {
    this.socket.write(text + '\r\n');
  }

  /** The next line without its CRLF; null once the server closed and nothing is left. */
  async readLine(timeoutMs = 5000): Promise<string | null> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const l = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 2);
        return l;
      }
      if (this.closed) return null;
      await this.wait(timeoutMs);
    }
  }

  /** Reads a POP3-style multi-line body after its status line; returns un-stuffed lines. */
  async readDotBody(timeoutMs = 5000): Promise<string[]> {
    const out: string[] = [];
    for (;;) {
      const l = await this.readLine(timeoutMs);
      if (l === null) throw new Error('closed inside a multi-line reply');
      if (l === '.') return out;
      out.push(l.startsWith('.') ? l.slice(1) : l);
    }
  }

  /** Sends a command and returns the first reply line. */
  async command(text: string, timeoutMs = 5000): Promise<string> {
    this.line(text);
    const l = await this.readLine(timeoutMs);
    if (l === null) throw new Error(`connection closed after ${text}`);
    return l;
  }

  /** What is buffered right now (for checks that nothing was answered). */
  get pending(): string {
    return this.buf;
  }

  /** Upgrades this connection to TLS (after the server accepted STARTTLS/STLS). */
  async startTls(options: { alpn?: string[]; servername?: string } = {}): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}), ...(options.servername ? { servername: options.servername } : {}) });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.attach(secure);
  }

  /** Resolves when the server closes the connection. */
  async closedByServer(timeoutMs = 5000): Promise<void> {
    while (!this.closed) await this.wait(timeoutMs);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
