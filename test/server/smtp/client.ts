// A byte-exact SMTP/LMTP test client over a real socket: commands as typed, replies read whole
// (multi-line "250-…" up to "250 …"). Tests speak the protocol by hand with it.
import { LineClient } from '../../helpers/line-client.js';

export interface Reply {
  code: number;
  /** Every line's text after "CODE-" / "CODE ". */
  lines: string[];
  /** The lines joined with "\n", for assert.match. */
  text: string;
}

export class SmtpClient {
  private constructor(readonly line: LineClient) {}

  static async connect(port: number, options: { tls?: boolean; alpn?: string[] } = {}): Promise<SmtpClient> {
    return new SmtpClient(await LineClient.connect(port, options));
  }

  /** Connects and reads the 220 greeting. */
  static async open(port: number, options: { tls?: boolean; alpn?: string[] } = {}): Promise<SmtpClient> {
    const c = await SmtpClient.connect(port, options);
    const greeting = await c.reply();
    if (greeting.code !== 220) throw new Error(`greeting: ${greeting.text}`);
    return c;
  }

  async reply(timeoutMs = 5000): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.line.readLine(timeoutMs);
      if (l === null) throw new Error(`connection closed; got ${JSON.stringify(lines)}`);
      const m = /^(\d{3})([ -])(.*)$/.exec(l);
      if (!m) throw new Error(`not a reply line: ${JSON.stringify(l)}`);
      lines.push(m[3]!);
      if (m[2] === ' ') return { code: Number(m[1]), lines, text: lines.join('\n') };
    }
  }

  /** Sends one command (CRLF added) and reads its reply. */
  async cmd(text: string): Promise<Reply> {
    this.line.line(text);
    return this.reply();
  }

  send(raw: string | Buffer): void {
    this.line.socket.write(raw);
  }

  /** EHLO; returns the keywords (upper-cased first word → full line). */
  async ehlo(name = 'client.example.test', verb = 'EHLO'): Promise<Map<string, string>> {
    const r = await this.cmd(`${verb} ${name}`);
    if (r.code !== 250) throw new Error(`${verb}: ${r.text}`);
    return new Map(r.lines.slice(1).map((l) => [l.split(' ')[0]!.toUpperCase(), l]));
  }

  async startTls(): Promise<void> {
    const r = await this.cmd('STARTTLS');
    if (r.code !== 220) throw new Error(`STARTTLS: ${r.text}`);
    await this.line.startTls();
  }

  async authPlain(user: string, password: string): Promise<Reply> {
    return this.cmd(`AUTH PLAIN ${Buffer.from(`\0${user}\0${password}`).toString('base64')}`);
  }

  /** STARTTLS (unless already TLS), EHLO, AUTH PLAIN; throws unless 235. */
  async login(user: string, password: string): Promise<void> {
    if (!this.line.tlsSocket) {
      await this.ehlo();
      await this.startTls();
    }
    await this.ehlo();
    const r = await this.authPlain(user, password);
    if (r.code !== 235) throw new Error(`AUTH: ${r.code} ${r.text}`);
  }

  /** MAIL, RCPTs, DATA with the body dot-stuffed; returns the final reply (or the first failure). */
  async sendMail(from: string, to: string[], body: string): Promise<Reply> {
    let r = await this.cmd(`MAIL FROM:<${from}>`);
    if (r.code !== 250) return r;
    for (const t of to) {
      r = await this.cmd(`RCPT TO:<${t}>`);
      if (r.code !== 250) return r;
    }
    r = await this.cmd('DATA');
    if (r.code !== 354) return r;
    const stuffed = body.replace(/\r\n/g, '\n').split('\n').map((l) => (l.startsWith('.') ? '.' + l : l)).join('\r\n');
    this.send(stuffed + (stuffed.endsWith('\r\n') ? '' : '\r\n') + '.\r\n');
    return this.reply();
  }

  async quit(): Promise<void> {
    try {
      await this.cmd('QUIT');
    } catch {
      // already closed
    }
    this.line.close();
  }

  close(): void {
    this.line.close();
  }
}

/** A small message from `from` to `to`. */
export function mail(from: string, to: string, subject: string, body = 'Hello.\r\n', extra = ''): string {
  return `From: ${from}\r\nTo: ${to}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}.${Math.random().toString(36).slice(2)}@example.test>\r\n${extra}\r\n${body}`;
}
