// A lean POP3 client for load generation: a TLS or plain socket, lines in, RETR bodies counted
// (not kept) until the "\r\n.\r\n" terminator.
import net from 'node:net';
import tls from 'node:tls';

const TERMINATOR = Buffer.from('\r\n.\r\n');
// One context for every connection, as a real client keeps one: making an OpenSSL context per
// connect would make the generator, not the server, the limit of the login cells.
let clientContext: tls.SecureContext | null = null;

export class LoadPop3 {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private closed = false;
  private retrBytes = -1; // ≥ 0 while reading a RETR body
  private retrTail: Buffer = Buffer.alloc(0);
  private retrDone: ((n: number) => void) | null = null;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => { this.closed = true; this.wake?.(); });
    socket.on('error', () => { this.closed = true; this.wake?.(); });
  }

  static connect(port: number, useTls: boolean): Promise<LoadPop3> {
    return new Promise((resolve, reject) => {
      const s = useTls
        ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, secureContext: clientContext ??= tls.createSecureContext() }, () => resolve(new LoadPop3(s)))
        : net.connect({ host: '127.0.0.1', port }, () => resolve(new LoadPop3(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  private onData(d: Buffer): void {
    if (this.retrBytes >= 0) {
      this.retrBytes += d.length;
      const tail = Buffer.concat([this.retrTail, d.subarray(Math.max(0, d.length - 5))]).subarray(-5);
      this.retrTail = tail;
      if (tail.equals(TERMINATOR)) {
        const n = this.retrBytes;
        this.retrBytes = -1;
        this.retrTail = Buffer.alloc(0);
        this.retrDone?.(n);
      }
      return;
    }
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    this.wake?.();
  }

  async readLine(): Promise<string> {
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i >= 0) {
        const line = this.buf.subarray(0, i).toString('latin1');
        this.buf = this.buf.subarray(i + 2);
        return line;
      }
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => { this.wake = r; });
      this.wake = null;
    }
  }

  async command(line: string): Promise<string> {
    this.socket.write(line + '\r\n');
    const reply = await this.readLine();
    if (!reply.startsWith('+OK')) throw new Error(`${line.split(' ')[0]} failed: ${reply}`);
    return reply;
  }

  /** RETR n; resolves with the octets received (status line, body and terminator). */
  async retr(n: number): Promise<number> {
    this.socket.write(`RETR ${n}\r\n`);
    const status = await this.readLine();
    if (!status.startsWith('+OK')) throw new Error(`RETR failed: ${status}`);
    // Whatever followed the status line in the same chunk is body.
    const rest = this.buf;
    this.buf = Buffer.alloc(0);
    return new Promise((resolve) => {
      this.retrBytes = 0;
      this.retrDone = (bytes) => resolve(bytes + status.length + 2);
      if (rest.length) this.onData(rest);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  /** Waits for the server's close (after QUIT). */
  async ended(): Promise<void> {
    while (!this.closed) await new Promise<void>((r) => { this.wake = r; });
  }
}

/** Runs `clients` loops in parallel for `seconds`; each loop iteration returns a unit count. */
export async function loadFor(clients: number, seconds: number, loop: (client: number, stop: () => boolean) => Promise<number>): Promise<{ units: number; elapsed: number }> {
  const deadline = Date.now() + seconds * 1000;
  const stop = () => Date.now() >= deadline;
  const t0 = process.hrtime.bigint();
  const counts = await Promise.all(Array.from({ length: clients }, (_, i) => loop(i, stop)));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return { units: counts.reduce((a, b) => a + b, 0), elapsed };
}
