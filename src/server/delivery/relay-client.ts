// The client side of relaying: one SMTP connection to the smarthost, in the mode the config
// names — implicit TLS (465, seed 001: some providers speak nothing else), STARTTLS required
// (never a silent fallback to plaintext), or plaintext — with optional AUTH, and transactions
// sent over it one after another. Built on client/tls.ts (pull-mode reads under deadlines,
// STARTTLS that drops pre-handshake bytes) and the shared SMTP reply decoder.
import { isAscii } from 'node:buffer';
import { ClientConnection, type TlsClientOptions } from '../../client/tls.js';
import { SmtpReplyDecoder, ehloKeywords, replyText, type SmtpReply } from '../../wire/smtp/reply.js';
import { mailCommand, rcptCommand, type MailOptions, type RcptOptions } from '../../wire/smtp/client-command.js';
import { dotStuff, normalizeLineEndings } from '../../wire/smtp/data.js';
import { downgradeTo7bit, DowngradeError } from '../../wire/mime/downgrade.js';
import { createClientExchange, pickMechanism } from '../../wire/sasl/client.js';
import type { RelaySecurity } from '../../config/schema.js';

export interface SmarthostOptions {
  host: string;
  port: number;
  security: RelaySecurity;
  auth: { username: string; password: string } | null;
  /** Reject an untrusted or misnamed certificate (the default), or only record it. */
  verifyCertificate: boolean;
  ca?: string;
  servername?: string;
  /** Our name in EHLO. */
  helo: string;
  connectTimeoutMs: number;
  commandTimeoutMs: number;
}

/** Why a connection or a command failed; `permanent` failures bounce, others are retried. */
export class RelayError extends Error {
  /** status: the RFC 3463 code to report when no reply carries one. */
  constructor(message: string, readonly permanent: boolean, readonly reply: SmtpReply | null = null, readonly status: string | null = null) {
    super(message);
    this.name = 'RelayError';
  }
}

export interface RelayEnvelope {
  from: string | null;
  recipients: Array<{ address: string } & RcptOptions>;
  mail: MailOptions;
}

export interface RelayResult {
  /** The answer to MAIL (2xx when the transaction started). */
  mail: SmtpReply;
  /** One answer per recipient, in order (absent when MAIL failed). */
  recipients: SmtpReply[];
  /** The answer to the end of data (null when no recipient was accepted). */
  data: SmtpReply | null;
}

export function describeReply(r: SmtpReply): string {
  return `${r.code}${r.enhanced ? ` ${r.enhanced}` : ''} ${replyText(r)}`.trim();
}

export class SmarthostConnection {
  private decoder = new SmtpReplyDecoder();
  private features = new Map<string, string[]>();
  private broken = false;

  private constructor(private conn: ClientConnection, readonly options: SmarthostOptions) {}

  /** Connects, reads the greeting, EHLO, STARTTLS (when asked for), EHLO again, AUTH. */
  static async open(o: SmarthostOptions): Promise<SmarthostConnection> {
    const tlsOptions: TlsClientOptions = {
      verify: o.verifyCertificate ? 'reject' : 'report',
      handshakeTimeoutMs: o.connectTimeoutMs,
      ...(o.ca ? { ca: o.ca } : {}),
      ...(o.servername ? { servername: o.servername } : {}),
    };
    const endpoint = { host: o.host, port: o.port, connectTimeoutMs: o.connectTimeoutMs };
    let conn: ClientConnection;
    try {
      conn = o.security === 'tls' ? await ClientConnection.connectTls({ ...endpoint, tls: tlsOptions }) : await ClientConnection.connect(endpoint);
    } catch (err) {
      throw new RelayError(`cannot connect to ${o.host}:${o.port}${o.security === 'tls' ? ' with TLS' : ''}: ${(err as Error).message}`, false);
    }
    const c = new SmarthostConnection(conn, o);
    try {
      const greeting = await c.read();
      if (greeting.code !== 220) throw new RelayError(`${o.host} refused the session: ${describeReply(greeting)}`, false, greeting);
      await c.ehlo();
      if (o.security === 'starttls') {
        if (!c.features.has('STARTTLS')) throw new RelayError(`${o.host}:${o.port} does not offer STARTTLS, and the relay is configured to require it (security: starttls)`, false);
        const r = await c.command('STARTTLS\r\n');
        if (r.code !== 220) throw new RelayError(`${o.host} refused STARTTLS: ${describeReply(r)}`, false, r);
        try {
          await conn.startTls(tlsOptions, c.decoder);
        } catch (err) {
          throw new RelayError(`TLS with ${o.host} failed: ${(err as Error).message}`, false);
        }
        await c.ehlo();
      }
      if (o.auth) await c.authenticate(o.auth);
      return c;
    } catch (err) {
      c.destroy();
      throw err instanceof RelayError ? err : new RelayError(`${o.host}: ${(err as Error).message}`, false);
    }
  }

  get usable(): boolean {
    return !this.broken && !this.conn.isClosed;
  }

  get extensions(): ReadonlyMap<string, string[]> {
    return this.features;
  }

  get tlsVersion(): string | null {
    return this.conn.tls?.version ?? null;
  }

  /** One transaction. Recipient-level refusals are results, not errors; a broken session throws. */
  async send(env: RelayEnvelope, message: Buffer): Promise<RelayResult> {
    try {
      return await this.transaction(env, message);
    } catch (err) {
      this.broken = true;
      if (err instanceof RelayError) throw err;
      throw new RelayError(`${this.options.host}: ${(err as Error).message}`, false);
    }
  }

  private async transaction(env: RelayEnvelope, message: Buffer): Promise<RelayResult> {
    const binary = env.mail.body === 'BINARYMIME';
    const chunking = this.features.has('CHUNKING');
    if (binary && !(chunking && this.features.has('BINARYMIME'))) {
      throw new RelayError(`${this.options.host} cannot take a BINARYMIME message (no CHUNKING/BINARYMIME), and postern does not convert it`, true);
    }
    if (env.mail.smtputf8 && !this.features.has('SMTPUTF8')) {
      // RFC 6531 §3.4: no downgrade of internationalized addresses or headers; return it.
      throw new RelayError(`${this.options.host} does not offer SMTPUTF8, which this message needs`, true, null, '5.6.7');
    }
    let payload = binary ? message : normalizeLineEndings(message, true);
    if (!binary && !this.features.has('8BITMIME') && !isAscii(payload)) {
      // RFC 6152 §3: convert to 7 bits, or return the message if that cannot be done.
      try {
        payload = downgradeTo7bit(payload);
      } catch (err) {
        if (!(err instanceof DowngradeError)) throw err;
        throw new RelayError(`${this.options.host} takes only 7-bit mail, and ${err.message}`, true, null, '5.6.3');
      }
    }
    const mail = mailCommand(env.from, { ...env.mail, size: payload.length }, this.features);
    const rcpts = env.recipients.map((r) => rcptCommand(r.address, r, this.features));
    const replies: SmtpReply[] = [];
    if (this.features.has('PIPELINING')) {
      // RFC 2920: MAIL and every RCPT in one write; the replies come back in order.
      this.conn.write(mail + rcpts.join(''));
      for (let i = 0; i <= rcpts.length; i++) replies.push(await this.read());
    } else {
      replies.push(await this.command(mail));
      if (replies[0]!.code < 300) for (const r of rcpts) replies.push(await this.command(r));
    }
    const mailReply = replies[0]!;
    if (mailReply.code >= 300) {
      await this.reset();
      return { mail: mailReply, recipients: [], data: null };
    }
    const recipientReplies = replies.slice(1);
    if (!recipientReplies.some((r) => r.code < 300)) {
      await this.reset();
      return { mail: mailReply, recipients: recipientReplies, data: null };
    }
    let data: SmtpReply;
    if (chunking) {
      this.conn.write(Buffer.concat([Buffer.from(`BDAT ${payload.length} LAST\r\n`), payload]));
      data = await this.read();
    } else {
      const go = await this.command('DATA\r\n');
      if (go.code !== 354) {
        await this.reset();
        return { mail: mailReply, recipients: recipientReplies, data: go };
      }
      this.conn.write(dotStuff(payload));
      data = await this.read();
    }
    return { mail: mailReply, recipients: recipientReplies, data };
  }

  async quit(): Promise<void> {
    if (this.usable) {
      try {
        this.conn.write('QUIT\r\n');
        await this.read(2000);
      } catch {
        // closing anyway
      }
    }
    this.conn.close();
  }

  destroy(): void {
    this.broken = true;
    this.conn.destroy();
  }

  private async reset(): Promise<void> {
    const r = await this.command('RSET\r\n');
    if (r.code >= 300) this.broken = true;
  }

  private async ehlo(): Promise<void> {
    const r = await this.command(`EHLO ${this.options.helo}\r\n`);
    if (r.code !== 250) throw new RelayError(`${this.options.host} refused EHLO: ${describeReply(r)}`, false, r);
    this.features = ehloKeywords(r);
  }

  private async authenticate(creds: { username: string; password: string }): Promise<void> {
    const offered = this.features.get('AUTH') ?? [];
    const exporter = this.conn.tls?.version === 'TLSv1.3' ? this.conn.exportKeyingMaterial(32, 'EXPORTER-Channel-Binding') : undefined;
    const mechanism = pickMechanism(offered, { hasChannelBinding: exporter !== undefined, allowCleartext: this.conn.tls !== null });
    if (!mechanism) {
      throw new RelayError(`${this.options.host} offers no AUTH mechanism we may use here (offered: ${offered.join(' ') || 'none'}${this.conn.tls ? '' : '; cleartext passwords are only sent over TLS'})`, false);
    }
    const exchange = createClientExchange(mechanism, {
      username: creds.username,
      password: creds.password,
      ...(exporter ? { channelBinding: { type: 'tls-exporter' as const, data: exporter } } : {}),
    });
    if (!exchange) throw new RelayError(`cannot use ${mechanism} with the configured credentials`, false);
    const initial = exchange.initialResponse();
    let r = await this.command(`AUTH ${mechanism}${initial === null ? '' : ` ${initial.length ? initial.toString('base64') : '='}`}\r\n`);
    while (r.code === 334) {
      const step = exchange.step(Buffer.from(replyText(r), 'base64'));
      if (step.type === 'error') {
        this.conn.write('*\r\n');
        await this.read();
        throw new RelayError(`AUTH ${mechanism} with ${this.options.host} failed: ${step.message}`, false);
      }
      r = await this.command(`${step.type === 'respond' ? step.data.toString('base64') : ''}\r\n`);
    }
    if (r.code !== 235) throw new RelayError(`${this.options.host} refused our login (${mechanism}): ${describeReply(r)}`, false, r);
    const done = exchange.finish();
    if (done.type === 'error') throw new RelayError(`AUTH ${mechanism} with ${this.options.host}: ${done.message}`, false);
  }

  private async command(line: string): Promise<SmtpReply> {
    this.conn.write(line);
    return this.read();
  }

  private read(timeoutMs = this.options.commandTimeoutMs): Promise<SmtpReply> {
    const d = this.decoder;
    return this.conn.read(d, () => {
      const s = d.next();
      if (s.kind === 'reply') return s.reply;
      if (s.kind === 'error') throw s.error;
      return undefined;
    }, timeoutMs);
  }
}
