// IMAP (RFC 9051, RFC 3501) for the probe: greeting, CAPABILITY, STARTTLS (RFC 9051 §6.2.1),
// AUTHENTICATE with SASL-IR (RFC 4959) or LOGIN.
import type { ClientConnection } from '../../client/tls.js';
import { ImapResponseDecoder, capabilitiesOf, imapQuote, type ImapResponse } from '../../wire/imap/response-lite.js';
import { chooseSasl, type SaslServerStep } from './sasl.js';
import type { Capabilities, Greeting, LoginOptions, ProtocolDriver, ProtocolSession, StartTlsAnswer } from './types.js';

export const imapDriver: ProtocolDriver = {
  id: 'imap',
  alpn: 'imap',
  capabilitiesBeforeStartTls: false,
  starttlsCommand: 'STARTTLS',
  open: (conn, timeoutMs) => new ImapSession(conn, timeoutMs),
};

type Tagged = Extract<ImapResponse, { kind: 'status' }>;
const text = (r: Tagged): string => `${r.tag} ${r.status}${r.code ? ` [${r.code.name}${r.code.text ? ' ' + r.code.text : ''}]` : ''} ${r.text}`.trim();

class ImapSession implements ProtocolSession {
  readonly decoder = new ImapResponseDecoder();
  readonly pipelinedCommand = 'p2 NOOP';
  private tagNo = 0;
  private caps: string[] | undefined;
  constructor(private readonly conn: ClientConnection, private readonly timeoutMs: number) {}

  private readOne(ms = this.timeoutMs): Promise<ImapResponse> {
    return this.conn.read(this.decoder, () => {
      const s = this.decoder.next();
      if (s.kind === 'error') throw s.error;
      return s.kind === 'response' ? s.response : undefined;
    }, ms);
  }

  /** Reads until the tagged completion of `tag`, remembering capabilities seen on the way. */
  private async untilTagged(tag: string, ms = this.timeoutMs): Promise<Tagged> {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await this.readOne(Math.max(1, deadline - Date.now()));
      const caps = capabilitiesOf(r);
      if (caps) this.caps = caps;
      if (r.kind === 'status' && r.tag === tag) return r;
      if (r.kind === 'status' && r.tag === '*' && r.status === 'BYE') throw new Error(`server said BYE: ${r.text}`);
    }
  }

  private nextTag(): string {
    return `p${++this.tagNo}`;
  }

  async greeting(): Promise<Greeting> {
    for (;;) {
      const r = await this.readOne();
      if (r.kind !== 'status' || r.tag !== '*') continue;
      const caps = capabilitiesOf(r);
      if (caps) this.caps = caps;
      return { ok: r.status === 'OK' || r.status === 'PREAUTH', text: text(r), ...(r.status === 'PREAUTH' && { preauth: true }) };
    }
  }

  async capabilities(): Promise<Capabilities> {
    this.caps = undefined;
    const tag = this.nextTag();
    this.conn.write(`${tag} CAPABILITY\r\n`);
    await this.untilTagged(tag);
    return toCaps(this.caps ?? []);
  }

  async startTls(): Promise<StartTlsAnswer> {
    const tag = this.nextTag();
    this.conn.write(`${tag} STARTTLS\r\n`);
    const r = await this.untilTagged(tag);
    return { accepted: r.status === 'OK', reply: text(r) };
  }

  async startTlsPipelined(): Promise<StartTlsAnswer> {
    const tag = this.nextTag();
    this.conn.write(`${tag} STARTTLS\r\n${this.pipelinedCommand}\r\n`);
    const r = await this.untilTagged(tag);
    return { accepted: r.status === 'OK', reply: text(r) };
  }

  async unsolicited(ms: number): Promise<string | null> {
    try {
      const r = await this.readOne(ms);
      return r.kind === 'status' ? text(r) : r.kind === 'data' ? `* ${r.number ?? ''} ${r.name} ${r.rest}`.replace(/\s+/g, ' ').trim() : `+ ${r.text}`;
    } catch {
      return null;
    }
  }

  async login(user: string, password: string, caps: Capabilities, options: LoginOptions) {
    const sasl = chooseSasl(caps.authMechanisms, user, password, options);
    if (sasl) {
      const tag = this.nextTag();
      const r = await sasl.run({
        start: (ir) => this.conn.write(`${tag} AUTHENTICATE ${sasl.mechanism}${ir === null ? '' : ' ' + ir}\r\n`),
        send: (l) => this.conn.write(l + '\r\n'),
        next: async (): Promise<SaslServerStep> => {
          for (;;) {
            const resp = await this.readOne();
            if (resp.kind === 'continuation') return { kind: 'challenge', data: Buffer.from(resp.text, 'base64') };
            if (resp.kind === 'status' && resp.tag === tag) return { kind: 'done', ok: resp.status === 'OK', reply: text(resp) };
          }
        },
      }, caps.list.includes('SASL-IR'));
      return { ok: r.ok, method: sasl.mechanism, reply: r.reply };
    }
    const loginAllowed = !caps.list.includes('LOGINDISABLED') && (options.encrypted || options.allowCleartext);
    if (!loginAllowed) {
      return { skipped: caps.list.includes('LOGINDISABLED') ? 'LOGINDISABLED and no usable AUTH= mechanism' : 'cleartext LOGIN refused on an unencrypted connection' };
    }
    const tag = this.nextTag();
    this.conn.write(`${tag} LOGIN ${imapQuote(user)} ${imapQuote(password)}\r\n`);
    const r = await this.untilTagged(tag);
    return { ok: r.status === 'OK', method: 'LOGIN command', reply: text(r) };
  }

  async quit(): Promise<void> {
    try {
      const tag = this.nextTag();
      this.conn.write(`${tag} LOGOUT\r\n`);
      await this.untilTagged(tag, Math.min(this.timeoutMs, 1000));
    } catch {
      // leaving anyway
    }
    this.conn.close();
  }
}

function toCaps(list: string[]): Capabilities {
  const authMechanisms = list.filter((c) => c.startsWith('AUTH=')).map((c) => c.slice(5));
  const cleartext: string[] = [];
  if (!list.includes('LOGINDISABLED')) cleartext.push('LOGIN');
  for (const m of authMechanisms) if (m === 'PLAIN' || m === 'LOGIN') cleartext.push(`AUTHENTICATE ${m}`);
  return { list, starttls: list.includes('STARTTLS'), authMechanisms, cleartextMethods: cleartext };
}
