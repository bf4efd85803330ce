// SMTP / submission (RFC 5321, RFC 6409) for the probe: greeting, EHLO keywords, STARTTLS
// (RFC 3207), AUTH (RFC 4954).
import type { ClientConnection } from '../../client/tls.js';
import { SmtpReplyDecoder, ehloKeywords, type SmtpReply } from '../../wire/smtp/reply.js';
import { chooseSasl, type SaslServerStep } from './sasl.js';
import type { Capabilities, Greeting, LoginOptions, ProtocolDriver, ProtocolSession, StartTlsAnswer } from './types.js';

/** The name we greet with: RFC 5321 §4.1.4 wants our FQDN or an address literal. */
const EHLO_NAME = 'postern-probe.invalid';

export const smtpDriver: ProtocolDriver = {
  id: 'smtp',
  alpn: 'smtp',
  capabilitiesBeforeStartTls: true,
  starttlsCommand: 'STARTTLS',
  open: (conn, timeoutMs) => new SmtpSession(conn, timeoutMs),
};

const line = (r: SmtpReply): string => `${r.code} ${r.enhanced ? r.enhanced + ' ' : ''}${r.lines[0] ?? ''}`.trim() + (r.lines.length > 1 ? ` (+${r.lines.length - 1} lines)` : '');

class SmtpSession implements ProtocolSession {
  readonly decoder = new SmtpReplyDecoder();
  readonly pipelinedCommand = 'NOOP';
  constructor(private readonly conn: ClientConnection, private readonly timeoutMs: number) {}

  private read(ms = this.timeoutMs): Promise<SmtpReply> {
    return this.conn.read(this.decoder, () => {
      const s = this.decoder.next();
      if (s.kind === 'error') throw s.error;
      return s.kind === 'reply' ? s.reply : undefined;
    }, ms);
  }

  private async command(cmd: string): Promise<SmtpReply> {
    this.conn.write(cmd + '\r\n');
    return this.read();
  }

  async greeting(): Promise<Greeting> {
    const r = await this.read();
    return { ok: r.code === 220, text: line(r) };
  }

  async capabilities(): Promise<Capabilities> {
    let r = await this.command(`EHLO ${EHLO_NAME}`);
    if (r.code >= 500) {
      r = await this.command(`HELO ${EHLO_NAME}`); // RFC 5321 §3.2: fall back for old servers
      return { list: [], starttls: false, authMechanisms: [], cleartextMethods: [] };
    }
    const kw = ehloKeywords(r);
    const mechs = new Set<string>();
    for (const [k, params] of kw) {
      if (k === 'AUTH') params.forEach((m) => mechs.add(m.toUpperCase()));
      // Pre-RFC 4954 servers (and Outlook-era clients) use "AUTH=LOGIN PLAIN".
      if (k.startsWith('AUTH=')) [k.slice(5), ...params].forEach((m) => mechs.add(m.toUpperCase()));
    }
    const authMechanisms = [...mechs];
    return {
      list: r.lines.slice(1),
      starttls: kw.has('STARTTLS'),
      authMechanisms,
      cleartextMethods: authMechanisms.filter((m) => m === 'PLAIN' || m === 'LOGIN').map((m) => `AUTH ${m}`),
    };
  }

  async startTls(): Promise<StartTlsAnswer> {
    const r = await this.command('STARTTLS');
    return { accepted: r.code === 220, reply: line(r) };
  }

  async startTlsPipelined(): Promise<StartTlsAnswer> {
    this.conn.write(`STARTTLS\r\n${this.pipelinedCommand}\r\n`);
    const r = await this.read();
    return { accepted: r.code === 220, reply: line(r) };
  }

  async unsolicited(ms: number): Promise<string | null> {
    try {
      return line(await this.read(ms));
    } catch {
      return null;
    }
  }

  async login(user: string, password: string, caps: Capabilities, options: LoginOptions) {
    const sasl = chooseSasl(caps.authMechanisms, user, password, options);
    if (!sasl) {
      return { skipped: caps.authMechanisms.length ? `no usable mechanism among ${caps.authMechanisms.join(' ')} on this connection` : 'the server offers no AUTH here' };
    }
    const r = await sasl.run({
      start: (ir) => this.conn.write(`AUTH ${sasl.mechanism}${ir === null ? '' : ' ' + ir}\r\n`),
      send: (l) => this.conn.write(l + '\r\n'),
      next: async (): Promise<SaslServerStep> => {
        const reply = await this.read();
        if (reply.code === 334) return { kind: 'challenge', data: Buffer.from(reply.lines[0] ?? '', 'base64') };
        return { kind: 'done', ok: reply.code === 235, reply: line(reply) };
      },
    }, true);
    return { ok: r.ok, method: sasl.mechanism, reply: r.reply };
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
