// A scripted SMTP server for relay tests: plaintext, answers each RCPT as the test says, and
// records every transaction it accepts. Only what the relay client needs, nothing more.
import net from 'node:net';

export interface FakeTransaction {
  from: string;
  mailParams: string;
  recipients: string[];
  rcptParams: string[];
  data: Buffer;
}

export interface FakeOptions {
  /** EHLO keywords after the greeting line. */
  extensions?: string[];
  /** The reply to RCPT TO:<address> (default "250 2.1.5 Ok"). */
  rcpt?: (address: string) => string;
  /** The reply at the end of data (default "250 2.0.0 Ok: queued"). */
  endOfData?: (t: FakeTransaction) => string;
}

export class FakeSmarthost {
  readonly transactions: FakeTransaction[] = [];
  readonly sessions: string[][] = [];
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;

  private constructor(private readonly options: FakeOptions) {
    this.server = net.createServer((socket) => this.serve(socket));
  }

  static async start(options: FakeOptions = {}): Promise<FakeSmarthost> {
    const f = new FakeSmarthost(options);
    await new Promise<void>((r) => f.server.listen(0, '127.0.0.1', () => r()));
    f.port = (f.server.address() as net.AddressInfo).port;
    return f;
  }

  private serve(socket: net.Socket): void {
    const log: string[] = [];
    this.sessions.push(log);
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    let buf = Buffer.alloc(0);
    let inData = false;
    let tx: FakeTransaction | null = null;
    const say = (s: string) => socket.write(s + '\r\n');
    say('220 fake.smarthost ESMTP');
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (inData) {
          const end = buf.indexOf('\r\n.\r\n');
          const atStart = buf.subarray(0, 3).equals(Buffer.from('.\r\n'));
          if (end < 0 && !atStart) return;
          const body = atStart ? Buffer.alloc(0) : buf.subarray(0, end + 2);
          buf = buf.subarray(atStart ? 3 : end + 5);
          inData = false;
          const unstuffed = Buffer.from(body.toString('latin1').replace(/^\./gm, ''), 'latin1');
          tx!.data = unstuffed;
          this.transactions.push(tx!);
          say(this.options.endOfData?.(tx!) ?? '250 2.0.0 Ok: queued');
          tx = null;
          continue;
        }
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString('latin1');
        buf = buf.subarray(nl + 2);
        log.push(line);
        const verb = line.split(' ')[0]!.toUpperCase();
        if (verb === 'EHLO') {
          const ext = this.options.extensions ?? ['PIPELINING', '8BITMIME'];
          say(['250-fake.smarthost', ...ext].map((l, i, a) => (i === a.length - 1 ? `250 ${l.replace(/^250-/, '')}` : l.startsWith('250-') ? l : `250-${l}`)).join('\r\n'));
        } else if (verb === 'MAIL') {
          const m = /^MAIL FROM:<([^>]*)>(.*)$/i.exec(line)!;
          tx = { from: m[1]!, mailParams: m[2]!.trim(), recipients: [], rcptParams: [], data: Buffer.alloc(0) };
          say('250 2.1.0 Ok');
        } else if (verb === 'RCPT') {
          const m = /^RCPT TO:<([^>]*)>(.*)$/i.exec(line)!;
          const reply = this.options.rcpt?.(m[1]!) ?? '250 2.1.5 Ok';
          if (reply.startsWith('2')) { tx!.recipients.push(m[1]!); tx!.rcptParams.push(m[2]!.trim()); }
          say(reply);
        } else if (verb === 'DATA') {
          if (!tx || tx.recipients.length === 0) { say('554 5.5.1 No valid recipients'); continue; }
          inData = true;
          say('354 go ahead');
        } else if (verb === 'RSET') {
          tx = null;
          say('250 2.0.0 Ok');
        } else if (verb === 'QUIT') {
          say('221 2.0.0 Bye');
          socket.end();
          return;
        } else {
          say('502 5.5.2 not here');
        }
      }
    });
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}
