// A raw IMAP test client over a real socket: sends exact bytes, reads responses line by line
// with literals ({n} at a line end) taken as exact byte counts. Tests speak IMAP by hand with
// it, so every byte the server sends is visible.
import net from 'node:net';
import tls from 'node:tls';
import zlib from 'node:zlib';

export interface Response {
  /** Untagged lines (literals inlined as "{n}\r\n<bytes>"), in order. */
  untagged: string[];
  /** The tagged completion line. */
  tagged: string;
  /** Everything received for the command, as text (latin1). */
  all: string;
}

export class ImapTestClient {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private closed = false;
  private counter = 0;
  private inflater: zlib.InflateRaw | null = null;
  private deflater: zlib.DeflateRaw | null = null;
  socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  static async connect(port: number, options: { tls?: boolean; alpn?: string[]; localAddress?: string } = {}): Promise<ImapTestClient> {
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(options.alpn ? { ALPNProtocols: options.alpn } : {}), ...(options.localAddress ? { localAddress: options.localAddress } : {}) })
      : net.connect({ host: '127.0.0.1', port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    return new ImapTestClient(socket);
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (d: Buffer) => {
      if (this.inflater) this.inflater.write(d);
      else this.received(d);
    });
    const gone = () => {
      // Compressed bytes may still be in the inflater: the stream ends after them.
      const inflater = this.inflater;
      if (inflater && !inflater.writableEnded) {
        inflater.once('end', () => { this.closed = true; this.wakeAll(); });
        inflater.once('error', () => { this.closed = true; this.wakeAll(); });
        inflater.end();
        inflater.resume();
        return;
      }
      this.closed = true;
      this.wakeAll();
    };
    socket.on('close', gone);
    socket.on('error', gone);
  }

  private received(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    this.wakeAll();
  }

  private wakeAll(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async wait(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out; buffered: ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`)), timeoutMs);
      this.waiters.push(() => { clearTimeout(t); resolve(); });
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Raw bytes to the server (as they are, or deflated once COMPRESS is on). */
  send(data: string | Buffer): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.deflater) {
      this.deflater.write(bytes);
      this.deflater.flush(zlib.constants.Z_SYNC_FLUSH);
    } else this.socket.write(bytes);
  }

  /** One line (without CRLF); a literal at its end is read and appended as "\r\n<bytes>". */
  async readLine(timeoutMs = 5000): Promise<string | null> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        let line = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 2);
        const m = /~?\{(\d+)\}$/.exec(line);
        if (m) {
          const n = Number(m[1]);
          while (this.buf.length < n) {
            if (this.closed) return null;
            await this.wait(timeoutMs);
          }
          line += '\r\n' + this.buf.subarray(0, n).toString('latin1');
          this.buf = this.buf.subarray(n);
          const rest = await this.readLine(timeoutMs);
          line += rest ?? '';
        }
        return line;
      }
      if (this.closed) return null;
      await this.wait(timeoutMs);
    }
  }

  /** The greeting. */
  async greeting(): Promise<string> {
    const l = await this.readLine();
    if (l === null) throw new Error('no greeting');
    return l;
  }

  nextTag(): string {
    return `t${++this.counter}`;
  }

  /** Sends "tag command" and collects everything up to the tagged response. */
  async command(text: string, timeoutMs = 5000): Promise<Response> {
    const tag = this.nextTag();
    this.send(`${tag} ${text}\r\n`);
    return this.until(tag, timeoutMs);
  }

  /** Reads until the tagged response for `tag`. */
  async until(tag: string, timeoutMs = 5000): Promise<Response> {
    const untagged: string[] = [];
    for (;;) {
      const l = await this.readLine(timeoutMs);
      if (l === null) throw new Error(`connection closed before ${tag} completed; got ${JSON.stringify(untagged)}`);
      if (l.startsWith(`${tag} `)) return { untagged, tagged: l, all: [...untagged, l].join('\n') };
      untagged.push(l);
    }
  }

  /** Sends a command and asserts its tagged status; returns the response. */
  async ok(text: string, timeoutMs = 5000): Promise<Response> {
    const r = await this.command(text, timeoutMs);
    if (!/^\S+ OK\b/.test(r.tagged)) throw new Error(`${text} → ${r.tagged}\n${r.untagged.join('\n')}`);
    return r;
  }

  async login(user: string, password: string): Promise<Response> {
    return this.ok(`LOGIN ${quote(user)} ${quote(password)}`);
  }

  async startTls(): Promise<void> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    raw.removeAllListeners('error');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    this.socket = secure;
    this.buf = Buffer.alloc(0);
    this.attach(secure);
  }

  /** Both directions compressed from now on (after the server's OK to COMPRESS DEFLATE). */
  startDeflate(): void {
    this.inflater = zlib.createInflateRaw();
    this.inflater.on('data', (d: Buffer) => this.received(d));
    this.deflater = zlib.createDeflateRaw();
    this.deflater.on('data', (d: Buffer) => this.socket.write(d));
  }

  async closedByServer(timeoutMs = 5000): Promise<void> {
    while (!this.closed) await this.wait(timeoutMs);
  }

  /** What has arrived and not been read. */
  get pending(): string {
    return this.buf.toString('latin1');
  }

  close(): void {
    this.socket.destroy();
  }
}

export function quote(s: string): string {
  return '"' + s.replace(/["\\]/g, '\\$&') + '"';
}
