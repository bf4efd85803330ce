// FTP control channel (RFC 959) for the probe: greeting, FEAT (RFC 2389), AUTH TLS (RFC 4217
// §4), USER/PASS. Data connections are the FTPS client's job (client/ftp.ts).
import type { ClientConnection } from '../../client/tls.js';
import { FtpReplyDecoder, ftpReplyText, type FtpReply } from '../../wire/ftp/reply.js';
import { parseFeatReply } from '../../wire/ftp/commands.js';
import type { Capabilities, Greeting, LoginOptions, ProtocolDriver, ProtocolSession, StartTlsAnswer } from './types.js';

export const ftpDriver: ProtocolDriver = {
  id: 'ftp',
  alpn: 'ftp',
  capabilitiesBeforeStartTls: false,
  starttlsCommand: 'AUTH TLS',
  open: (conn, timeoutMs) => new FtpSession(conn, timeoutMs),
};

/** Not an account anywhere: USER with it only shows whether the server asks for a password in
 * the clear. */
export const PROBE_USER = 'postern-probe-not-a-user';

const text = (r: FtpReply): string => `${r.code} ${ftpReplyText(r)}`.trim();

class FtpSession implements ProtocolSession {
  readonly decoder = new FtpReplyDecoder();
  readonly pipelinedCommand = 'NOOP';
  constructor(private readonly conn: ClientConnection, private readonly timeoutMs: number) {}

  private read(ms = this.timeoutMs): Promise<FtpReply> {
    return this.conn.read(this.decoder, () => {
      const s = this.decoder.next();
      if (s.kind === 'error') throw s.error;
      return s.kind === 'reply' ? s.reply : undefined;
    }, ms);
  }

  private async command(cmd: string): Promise<FtpReply> {
    this.conn.write(cmd + '\r\n');
    return this.read();
  }

  async greeting(): Promise<Greeting> {
    let r = await this.read();
    if (r.code === 120) r = await this.read(); // RFC 959 §5.4: "120 ready in nnn minutes", then 220
    return { ok: r.code === 220, text: text(r) };
  }

  async capabilities(): Promise<Capabilities> {
    const r = await this.command('FEAT');
    if (r.code !== 211) return { list: [], starttls: null, authMechanisms: [], cleartextMethods: null };
    const feats = parseFeatReply(r);
    const auth = (feats.get('AUTH') ?? '').toUpperCase().split(/[;\s]+/).filter(Boolean);
    return {
      list: [...feats].map(([k, v]) => (v ? `${k} ${v}` : k)),
      starttls: auth.includes('TLS') || auth.includes('TLS-C') || auth.includes('SSL'),
      authMechanisms: [],
      cleartextMethods: null,
    };
  }

  async startTls(): Promise<StartTlsAnswer> {
    const r = await this.command('AUTH TLS');
    return { accepted: r.code === 234, reply: text(r) };
  }

  async startTlsPipelined(): Promise<StartTlsAnswer> {
    this.conn.write(`AUTH TLS\r\n${this.pipelinedCommand}\r\n`);
    const r = await this.read();
    return { accepted: r.code === 234, reply: text(r) };
  }

  async unsolicited(ms: number): Promise<string | null> {
    try {
      return text(await this.read(ms));
    } catch {
      return null;
    }
  }

  async probeCleartextUser(): Promise<{ accepted: boolean; reply: string }> {
    const r = await this.command(`USER ${PROBE_USER}`);
    // 331 "password required" (or 230) means the server would take the password in the clear;
    // 530/534 "must use encryption" is the right answer before AUTH TLS (RFC 4217 §11).
    return { accepted: r.code === 331 || r.code === 230 || r.code === 332, reply: text(r) };
  }

  async login(user: string, password: string, _caps: Capabilities, options: LoginOptions) {
    if (!(options.encrypted || options.allowCleartext)) return { skipped: 'USER/PASS refused on an unencrypted connection' };
    const u = await this.command(`USER ${user}`);
    if (u.code === 230) return { ok: true, method: 'USER/PASS', reply: text(u) };
    if (u.code !== 331) return { ok: false, method: 'USER/PASS', reply: text(u) };
    const p = await this.command(`PASS ${password}`);
    return { ok: p.code === 230, method: 'USER/PASS', reply: text(p) };
  }

  async quit(): Promise<void> {
    try {
      this.conn.write('QUIT\r\n');
      await this.read(Math.min(this.timeoutMs, 1000));
    } catch {
      // leaving anyway
    }
    this.conn.close();
  }
}
