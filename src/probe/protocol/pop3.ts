// POP3 (RFC 1939) for the probe: greeting, CAPA (RFC 2449), STLS (RFC 2595 §4), AUTH
// (RFC 5034) or USER/PASS.
import type { ClientConnection } from '../../client/tls.js';
import { Pop3ResponseDecoder, parseCapa, type Pop3Response } from '../../wire/pop3/response.js';
import { chooseSasl, type SaslServerStep } from './sasl.js';
import type { Capabilities, Greeting, LoginOptions, ProtocolDriver, ProtocolSession, StartTlsAnswer } from './types.js';

export const pop3Driver: ProtocolDriver = {
  id: 'pop3',
  alpn: 'pop3',
  capabilitiesBeforeStartTls: false,
  starttlsCommand: 'STLS',
  open: (conn, timeoutMs) => new Pop3Session(conn, timeoutMs),
};

const text = (r: Pop3Response): string =>
  r.kind === 'continuation' ? `+ ${r.text}` : `${r.status}${r.code ? ` [${r.code.join('/')}]` : ''} ${r.text}`.trim();

class Pop3Session implements ProtocolSession {
  readonly decoder = new Pop3ResponseDecoder({ maxBodyBytes: 1024 * 1024 });
  readonly pipelinedCommand = 'NOOP';
  constructor(private readonly conn: ClientConnection, private readonly timeoutMs: number) {}

  private read(multiline = false, ms = this.timeoutMs): Promise<Pop3Response> {
    this.decoder.expectMultiline(multiline);
    return this.conn.read(this.decoder, () => {
      const s = this.decoder.next();
      if (s.kind === 'error') throw s.error;
      return s.kind === 'response' ? s.response : undefined;
    }, ms);
  }

  private async command(cmd: string, multiline = false): Promise<Pop3Response> {
    this.conn.write(cmd + '\r\n');
    return this.read(multiline);
  }

  async greeting(): Promise<Greeting> {
    const r = await this.read();
    return { ok: r.kind === 'status' && r.status === '+OK', text: text(r) };
  }

  async capabilities(): Promise<Capabilities> {
    const r = await this.command('CAPA', true);
    if (r.kind !== 'status' || r.status !== '+OK') {
      // No CAPA (RFC 1939-only server): nothing is known for sure.
      return { list: [], starttls: null, authMechanisms: [], cleartextMethods: ['USER'] };
    }
    const caps = parseCapa(r.body);
    const authMechanisms = (caps.get('SASL') ?? []).map((m) => m.toUpperCase());
    const cleartext: string[] = [];
    if (caps.has('USER')) cleartext.push('USER');
    for (const m of authMechanisms) if (m === 'PLAIN' || m === 'LOGIN') cleartext.push(`AUTH ${m}`);
    return {
      list: [...caps].map(([k, v]) => [k, ...v].join(' ')),
      starttls: caps.has('STLS'),
      authMechanisms,
      cleartextMethods: cleartext,
    };
  }

  async startTls(): Promise<StartTlsAnswer> {
    const r = await this.command('STLS');
    return { accepted: r.kind === 'status' && r.status === '+OK', reply: text(r) };
  }

  async startTlsPipelined(): Promise<StartTlsAnswer> {
    this.conn.write(`STLS\r\n${this.pipelinedCommand}\r\n`);
    const r = await this.read();
    return { accepted: r.kind === 'status' && r.status === '+OK', reply: text(r) };
  }

  async unsolicited(ms: number): Promise<string | null> {
    try {
      return text(await this.read(false, ms));
    } catch {
      return null;
    }
  }

  async login(user: string, password: string, caps: Capabilities, options: LoginOptions) {
    const sasl = chooseSasl(caps.authMechanisms, user, password, options);
    if (sasl) {
      const r = await sasl.run({
        start: (ir) => this.conn.write(`AUTH ${sasl.mechanism}${ir === null ? '' : ' ' + ir}\r\n`),
        send: (l) => this.conn.write(l + '\r\n'),
        next: async (): Promise<SaslServerStep> => {
          const resp = await this.read();
          if (resp.kind === 'continuation') return { kind: 'challenge', data: Buffer.from(resp.text, 'base64') };
          return { kind: 'done', ok: resp.status === '+OK', reply: text(resp) };
        },
      }, true);
      return { ok: r.ok, method: sasl.mechanism, reply: r.reply };
    }
    if (!(options.encrypted || options.allowCleartext)) return { skipped: 'USER/PASS refused on an unencrypted connection' };
    const u = await this.command(`USER ${user}`);
    if (u.kind !== 'status' || u.status !== '+OK') return { ok: false, method: 'USER/PASS', reply: text(u) };
    const p = await this.command(`PASS ${password}`);
    return { ok: p.kind === 'status' && p.status === '+OK', method: 'USER/PASS', reply: text(p) };
  }

  async quit(): Promise<void> {
    try {
      this.conn.write('QUIT\r\n');
      await this.read(false, Math.min(this.timeoutMs, 1000));
    } catch {
      // leaving anyway
    }
    this.conn.close();
  }
}
