// SMTP submission client (RFC 5321, RFC 6409; STARTTLS RFC 3207; AUTH RFC 4954; PIPELINING
// RFC 2920; SIZE RFC 1870; 8BITMIME RFC 6152; SMTPUTF8 RFC 6531; DSN RFC 3461).
//
//   const smtp = await SmtpClient.connect({ host: 'smtp.example.com', port: 587 }); // STARTTLS required
//   await smtp.login('alice@example.com', password);
//   await smtp.send(new MailBuilder().from('alice@example.com').to('bob@example.com').subject('Hi').text('Hello'));
//   await smtp.quit();
//
// send() checks what it can before DATA: the size against SIZE, 8-bit content against
// 8BITMIME (converting 8-bit bodies to 7 bits for a server without it), non-ASCII addresses
// against SMTPUTF8 — so a refusal is a sentence before any bytes are spent, not a 552 after
// ten megabytes.
import os from 'node:os';
import net from 'node:net';
import { Readable } from 'node:stream';
import { SmtpReplyDecoder, ehloKeywords, replyText, type SmtpReply } from '../wire/smtp/reply.js';
import { DataEncoder, encodeXtext, envelopeAddressProblem, needsSmtpUtf8, scanMessage } from '../wire/smtp/client-data.js';
import { MailBuilder } from '../wire/mime/builder.js';
import { downgradeTo7bit, DowngradeError } from '../wire/mime/downgrade.js';
import { scanHeaderBlock } from '../wire/mime/header-block.js';
import { flattenAddresses, parseAddressList } from '../wire/mime/address.js';
import { MailClientError, type MailClientErrorDetails } from './errors.js';
import { PROFILES, resolveEndpoint, type ClientOptions } from './options.js';
import { Transport } from './transport.js';
import { Serial } from './serial.js';
import { authFailed, chooseMechanism, makeExchange, oauthLogin, runExchange, type MechanismContext, type SaslChannel, type SaslServerStep, type TokenSource } from './sasl-login.js';
import type { TlsInfo } from './tls.js';

export interface SmtpClientOptions extends ClientOptions {
  /** Our name in EHLO (RFC 5321 §4.1.1.1: FQDN or address literal). Default: the host name
   * when it is fully qualified, else the local address as a literal ("[192.0.2.1]"). */
  clientName?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface LoginOptions extends CallOptions {
  mechanism?: string;
  authzid?: string;
}

export interface Envelope {
  /** Reverse-path; '' sends the null path "<>" (bounces). */
  from: string;
  to: string[];
}

/** RFC 3461 delivery status notification requests. */
export interface DsnOptions {
  /** Return the full message or only its headers in a bounce. */
  ret?: 'FULL' | 'HDRS';
  /** Envelope id echoed in notifications. */
  envid?: string;
  /** When to notify, per recipient; 'NEVER' alone turns notifications off. */
  notify?: Array<'SUCCESS' | 'FAILURE' | 'DELAY'> | 'NEVER';
  /** Send ORCPT (the original recipient address) with each RCPT. Default true when DSN is used. */
  orcpt?: boolean;
}

export type MessageInput = MailBuilder | Buffer | Uint8Array | string | Readable | AsyncIterable<Uint8Array>;

export interface SendOptions extends CallOptions {
  /** Default: MailBuilder.envelope(), or From/Sender and To/Cc/Bcc of the message's header. */
  envelope?: Envelope;
  dsn?: DsnOptions;
  /** Fail (and send nothing) unless every recipient is accepted. Default false: deliver to
   * those accepted and list the others in `rejected`. */
  requireAllRecipients?: boolean;
  /** Size of a streamed message, for SIZE (RFC 1870) when it cannot be measured first. */
  size?: number;
}

export interface RecipientRefusal {
  address: string;
  code: number;
  enhancedCode?: string;
  message: string;
}

export interface SendResult {
  accepted: string[];
  rejected: RecipientRefusal[];
  /** The server's final answer ("2.0.0 Ok: queued as 4Y1x2…"). */
  response: string;
  /** Postfix/Exim/Sendmail style queue id from the final answer, when it has one. */
  queueId?: string;
  /** The message's Message-ID field, when present. */
  messageId?: string;
  /** Octets sent (CRLF line ends, before dot-stuffing). */
  size: number;
  /** Things we could not honour, in words (e.g. DSN requested but not offered). */
  warnings: string[];
}

const PROFILE = PROFILES.smtp;
/** RFC 5321 §4.5.3.2.6: wait up to 10 minutes for the answer to the end of the data (unless
 * the caller set timeoutMs). */
const DATA_END_TIMEOUT = 600_000;

export class SmtpClient {
  private readonly decoder = new SmtpReplyDecoder();
  private readonly serial = new Serial();
  private caps = new Map<string, string[]>();
  private ehloOk = true;
  private authenticated = false;
  /** The greeting's text. */
  greeting = '';
  /** The name the server gave in its EHLO answer. */
  serverName = '';

  private constructor(private readonly t: Transport, private readonly clientName: string) {}

  static async connect(options: SmtpClientOptions): Promise<SmtpClient> {
    const endpoint = resolveEndpoint(PROFILE, options);
    const t = await Transport.open(PROFILE, endpoint, options);
    const client = new SmtpClient(t, options.clientName ?? defaultClientName(t.conn.localAddress));
    try {
      await client.open(options.signal);
    } catch (err) {
      t.fail(err instanceof MailClientError ? err : new MailClientError('protocol-error', String(err)));
      throw err;
    }
    return client;
  }

  private async open(signal?: AbortSignal): Promise<void> {
    const g = await this.t.readGreeting(this.decoder, () => this.poll(), 'QUIT\r\n', signal);
    this.logReply(g);
    if (g.code !== 220) {
      throw new MailClientError('greeting-refused', `${this.t.where()} refused the session: ${g.code} ${replyText(g)}`, this.t.details(replyDetails(g)));
    }
    this.greeting = replyText(g);
    await this.hello(signal);
    if (this.t.endpoint.plan !== 'starttls') return;
    if (!this.caps.has('STARTTLS')) {
      throw new MailClientError(
        'starttls-not-offered',
        `${this.t.where()} does not offer STARTTLS${this.ehloOk ? '' : ' (it does not even answer EHLO)'}, and security '${this.t.endpoint.security}' requires it — no silent downgrade to plaintext; use security: 'tls' (port 465) or 'none' to accept an unencrypted session`,
        this.t.details(),
      );
    }
    const r = await this.command('STARTTLS', { signal });
    if (r.code !== 220) {
      throw new MailClientError('starttls-refused', `${this.t.where()} offered STARTTLS and then refused it: ${r.code} ${replyText(r)}`, this.t.details({ command: 'STARTTLS', ...replyDetails(r) }));
    }
    await this.t.upgrade(this.decoder, signal);
    // RFC 3207 §4.2: forget everything learned before TLS and say EHLO again.
    await this.hello(signal);
  }

  private async hello(signal?: AbortSignal): Promise<void> {
    const r = await this.command(`EHLO ${this.clientName}`, { signal });
    if (r.code === 250) {
      this.ehloOk = true;
      this.caps = ehloKeywords(r);
      // Pre-RFC 4954 servers also list "AUTH=LOGIN PLAIN".
      for (const [k, params] of [...this.caps]) {
        if (k.startsWith('AUTH=')) this.caps.set('AUTH', [...(this.caps.get('AUTH') ?? []), k.slice(5), ...params]);
      }
      this.serverName = (r.lines[0] ?? '').split(' ')[0] ?? '';
      return;
    }
    // RFC 5321 §3.2: an old server may only know HELO; it then offers no extensions at all.
    this.ehloOk = false;
    this.caps = new Map();
    const h = await this.command(`HELO ${this.clientName}`, { signal });
    if (h.code !== 250) throw this.replyError('HELO', h);
  }

  /** EHLO keywords (upper case) and their parameters: "SIZE" → ["52428800"]. */
  get capabilities(): ReadonlyMap<string, readonly string[]> {
    return this.caps;
  }

  /** The SIZE limit the server announced, or null when it gave none. */
  get maxSize(): number | null {
    const v = Number(this.caps.get('SIZE')?.[0]);
    return Number.isFinite(v) && v > 0 ? v : null;
  }

  get secure(): boolean {
    return this.t.encrypted;
  }

  get tls(): TlsInfo | null {
    return this.t.tlsInfo;
  }

  get discardedBeforeTls(): number {
    return this.t.discardedBeforeTls;
  }

  get closed(): boolean {
    return this.t.closed;
  }

  // ---- AUTH ----

  async login(user: string, password: string, options: LoginOptions = {}): Promise<void> {
    await this.serial.run(async () => {
      const ctx = this.mechanismContext();
      const mechanism = chooseMechanism(this.caps.get('AUTH') ?? [], ctx, 'password', options.mechanism);
      const exchange = makeExchange(mechanism, { username: user, password, ...(options.authzid !== undefined && { authzid: options.authzid }) }, ctx);
      const result = await runExchange(this.saslChannel(options), exchange);
      if (!result.ok) throw authFailed(result, ctx, user);
      this.authenticated = true;
      this.t.event(`logged in as ${user} with ${mechanism}`);
    }, options.signal);
  }

  async loginOAuth2(user: string, token: TokenSource, options: LoginOptions = {}): Promise<void> {
    await this.serial.run(async () => {
      const ctx = this.mechanismContext();
      const mechanism = chooseMechanism(this.caps.get('AUTH') ?? [], ctx, 'oauth', options.mechanism);
      await oauthLogin(token, (tok) => runExchange(this.saslChannel(options), makeExchange(mechanism, { username: user, token: tok, host: this.t.endpoint.host, port: this.t.endpoint.port }, ctx)), ctx, user);
      this.authenticated = true;
    }, options.signal);
  }

  get loggedIn(): boolean {
    return this.authenticated;
  }

  private mechanismContext(): MechanismContext {
    return {
      encrypted: this.t.encrypted,
      allowCleartext: this.t.options.allowCleartextPassword === true,
      channelBinding: this.t.channelBinding(),
      where: this.t.where(),
      details: this.t.details(),
    };
  }

  private saslChannel(options: CallOptions): SaslChannel {
    return {
      initialResponse: true,
      maxStartLength: 512, // RFC 4954 §4 with RFC 5321 §4.5.3.1.4
      start: (mechanism, initial) => this.t.send(`AUTH ${mechanism}${initial === null ? '' : ` ${initial}`}\r\n`, `AUTH ${mechanism}${initial === null ? '' : ' ***'}`),
      respond: (line) => this.t.send(`${line}\r\n`, line === '*' ? '*' : '***'),
      next: async (): Promise<SaslServerStep> => {
        const r = await this.read(options, 'the answer to AUTH');
        if (r.code === 334) {
          this.t.logServer('334 ***');
          return { kind: 'challenge', data: Buffer.from(r.lines[0] ?? '', 'base64') };
        }
        this.logReply(r);
        return { kind: 'done', ok: r.code === 235, text: `${r.code} ${replyText(r)}`, details: replyDetails(r) };
      },
    };
  }

  // ---- sending ----

  /**
   * Sends one message. Resolves when the server has taken responsibility for it (250 after
   * the data); rejects with 'message-too-large', 'extension-unsupported', 'recipients-refused'
   * or 'command-failed' (err.temporary for 4xx) otherwise.
   */
  async send(message: MessageInput, options: SendOptions = {}): Promise<SendResult> {
    const prepared = await prepare(message, options);
    return this.serial.run(() => this.transaction(prepared, options), options.signal);
  }

  private async transaction(p: Prepared, options: SendOptions): Promise<SendResult> {
    if (this.t.closed) throw this.t.closedError('about to send a message');
    const envelope = options.envelope ?? p.envelope;
    if (!envelope) throw new TypeError('no envelope: pass options.envelope, or a message with From and To/Cc/Bcc fields');
    if (envelope.to.length === 0) throw new TypeError('the envelope has no recipients');
    for (const a of envelope.from === '' ? envelope.to : [envelope.from, ...envelope.to]) {
      const problem = a === '' ? 'is empty' : envelopeAddressProblem(a);
      if (problem) throw new TypeError(`envelope address ${JSON.stringify(a)} ${problem}`);
    }
    const warnings: string[] = [];
    const where = this.t.where();

    // RFC 6152 §3, done by the sender (as MailKit prepares a message for a 7-bit server): 8-bit
    // bodies become quoted-printable or base64 when the server offers no 8BITMIME.
    if (p.buffer && p.scan?.eightBit && !this.caps.has('8BITMIME') && !this.caps.has('SMTPUTF8')) {
      try {
        const converted = downgradeTo7bit(p.buffer);
        p = { ...p, buffer: converted, scan: { ...scanMessage(converted), eightBitHeader: false } };
        warnings.push(`${where} does not offer 8BITMIME: the 8-bit parts were sent as quoted-printable or base64`);
      } catch (err) {
        if (!(err instanceof DowngradeError)) throw err;
        throw new MailClientError('extension-unsupported', `the message has 8-bit content and ${where} offers neither 8BITMIME nor SMTPUTF8, and it cannot be converted to 7 bits (${err.message}); nothing was sent`, this.t.details());
      }
    }

    // SIZE (RFC 1870 §4): refuse before sending anything.
    const size = p.scan?.size ?? options.size;
    const max = this.maxSize;
    if (size !== undefined && max !== null && size > max) {
      throw new MailClientError('message-too-large', `the message is ${formatBytes(size)} and ${where} accepts at most ${formatBytes(max)} (SIZE ${max}); nothing was sent`, this.t.details());
    }
    // SMTPUTF8 (RFC 6531 §3.4) for non-ASCII addresses; 8BITMIME (RFC 6152) for 8-bit bodies.
    const utf8Envelope = [envelope.from, ...envelope.to].some(needsSmtpUtf8);
    const smtpUtf8 = this.caps.has('SMTPUTF8');
    if (utf8Envelope && !smtpUtf8) {
      throw new MailClientError('extension-unsupported', `the envelope has non-ASCII addresses, which need SMTPUTF8, and ${where} does not offer it; nothing was sent`, this.t.details());
    }
    const eightBit = p.scan ? p.scan.eightBit : true; // a stream may hold anything
    const has8bitmime = this.caps.has('8BITMIME');
    if (p.scan?.eightBit && !has8bitmime && !smtpUtf8) {
      throw new MailClientError('extension-unsupported', `the message has 8-bit content and ${where} offers neither 8BITMIME nor SMTPUTF8; encode the bodies as quoted-printable or base64 (MailBuilder does) — nothing was sent`, this.t.details());
    }
    const useUtf8 = smtpUtf8 && (utf8Envelope || (p.scan?.eightBitHeader ?? false));
    const dsn = options.dsn;
    const useDsn = dsn !== undefined && this.caps.has('DSN');
    if (dsn && !useDsn) warnings.push(`${where} does not offer DSN (RFC 3461): the delivery notification options were not sent`);
    if (p.scan && p.scan.longestLine > 998) warnings.push(`a line of the message is ${p.scan.longestLine} octets long; servers may refuse or break lines over 998 (RFC 5322 §2.1.1)`);

    const mailParams: string[] = [];
    if (size !== undefined && max !== null) mailParams.push(`SIZE=${size}`);
    if (has8bitmime && eightBit) mailParams.push('BODY=8BITMIME');
    if (useUtf8) mailParams.push('SMTPUTF8');
    if (useDsn && dsn.ret) mailParams.push(`RET=${dsn.ret}`);
    if (useDsn && dsn.envid) mailParams.push(`ENVID=${encodeXtext(dsn.envid)}`);
    const rcptParams = (address: string): string => {
      if (!useDsn) return '';
      const parts: string[] = [];
      if (dsn.notify) parts.push(`NOTIFY=${dsn.notify === 'NEVER' ? 'NEVER' : dsn.notify.join(',')}`);
      // RFC 3461 §4.2 ORCPT addr-type rfc822 is ASCII only (RFC 6533 adds utf-8).
      if (dsn.orcpt !== false && !needsSmtpUtf8(address)) parts.push(`ORCPT=rfc822;${encodeXtext(address)}`);
      return parts.length ? ` ${parts.join(' ')}` : '';
    };

    const mailCmd = `MAIL FROM:<${envelope.from}>${mailParams.length ? ` ${mailParams.join(' ')}` : ''}`;
    const rcptCmds = envelope.to.map((a) => `RCPT TO:<${a}>${rcptParams(a)}`);
    const replies: SmtpReply[] = [];
    if (this.caps.has('PIPELINING')) {
      // RFC 2920 §3.1: MAIL and the RCPTs go in one write; the answers come back in order.
      this.t.send(`${[mailCmd, ...rcptCmds].join('\r\n')}\r\n`);
      for (const cmd of [mailCmd, ...rcptCmds]) {
        const r = await this.read(options, `the answer to ${cmd.split(':')[0]}`);
        this.logReply(r);
        replies.push(r);
      }
    } else {
      const r = await this.command(mailCmd, options);
      replies.push(r);
      if (r.code === 250) for (const c of rcptCmds) replies.push(await this.command(c, options));
    }
    const mail = replies[0]!;
    if (mail.code !== 250) {
      await this.resetQuietly(options);
      throw this.replyError('MAIL FROM', mail, `${where} refused the sender <${envelope.from}>`);
    }
    const accepted: string[] = [];
    const rejected: RecipientRefusal[] = [];
    envelope.to.forEach((address, i) => {
      const r = replies[i + 1]!;
      if (r.code === 250 || r.code === 251) accepted.push(address);
      else rejected.push({ address, code: r.code, ...(r.enhanced && { enhancedCode: r.enhanced }), message: replyText(r) });
    });
    if (accepted.length === 0 || (options.requireAllRecipients && rejected.length > 0)) {
      await this.resetQuietly(options);
      const list = rejected.map((r) => `<${r.address}>: ${r.code} ${r.enhancedCode ? `${r.enhancedCode} ` : ''}${r.message}`).join('; ');
      const first = rejected[0]!;
      throw new MailClientError('recipients-refused', `${where} refused ${accepted.length === 0 ? 'every recipient' : 'some recipients (requireAllRecipients)'}: ${list}; nothing was sent`, this.t.details({ command: 'RCPT TO', smtpCode: first.code, ...(first.enhancedCode && { enhancedCode: first.enhancedCode }), response: first.message }));
    }

    const data = await this.command('DATA', options);
    if (data.code !== 354) {
      await this.resetQuietly(options);
      throw this.replyError('DATA', data);
    }
    const encoder = new DataEncoder();
    let sent = 0;
    this.t.logClient(p.buffer ? `[message: ${p.buffer.length} bytes]` : '[message: streamed]');
    if (p.buffer) {
      const body = encoder.push(p.buffer);
      sent = p.buffer.length;
      await this.t.sendStream([body, encoder.end()], options.signal);
    } else {
      const source = p.stream!;
      const has8bit = has8bitmime || smtpUtf8;
      const t = this.t;
      await this.t.sendStream((async function* () {
        for await (const chunk of source) {
          const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
          if (!has8bit && bytes.some((b) => b >= 0x80)) {
            // Too late to take the data back: drop the connection so the server discards it.
            const e = new MailClientError('extension-unsupported', `the streamed message has 8-bit content and ${where} offers neither 8BITMIME nor SMTPUTF8; the connection was closed so nothing is delivered`, t.details());
            t.fail(e);
            throw e;
          }
          sent += bytes.length;
          yield encoder.push(bytes);
        }
        yield encoder.end();
      })(), options.signal);
    }
    this.t.logClient('.');
    let end: SmtpReply;
    try {
      end = await this.read({ ...options, timeoutMs: options.timeoutMs ?? this.t.options.timeoutMs ?? DATA_END_TIMEOUT }, 'the answer to the end of the message data');
    } catch (err) {
      if (!(err instanceof MailClientError)) throw err;
      throw new MailClientError(err.code, `${err.message} — the message was sent in full, so the server may have queued it; resending may deliver it twice`, { ...this.t.details(), command: '.', deliveryUncertain: true, cause: err });
    }
    this.logReply(end);
    if (end.code !== 250) throw this.replyError('the message data', end);
    const response = `${end.enhanced ? `${end.enhanced} ` : ''}${replyText(end)}`;
    const queueId = /queued as ([A-Za-z0-9]+)/i.exec(response)?.[1] ?? /\bid=([A-Za-z0-9-]+)/.exec(response)?.[1];
    return {
      accepted,
      rejected,
      response,
      size: p.scan?.size ?? sent,
      warnings,
      ...(queueId && { queueId }),
      ...(p.messageId && { messageId: p.messageId }),
    };
  }

  /** RSET: abandons the current transaction. */
  async reset(options: CallOptions = {}): Promise<void> {
    await this.serial.run(async () => {
      const r = await this.command('RSET', options);
      if (r.code !== 250) throw this.replyError('RSET', r);
    }, options.signal);
  }

  async noop(options: CallOptions = {}): Promise<void> {
    await this.serial.run(async () => {
      const r = await this.command('NOOP', options);
      if (r.code !== 250) throw this.replyError('NOOP', r);
    }, options.signal);
  }

  /** QUIT and close. A server that already hung up is not an error here. */
  async quit(options: CallOptions = {}): Promise<void> {
    if (this.t.closed) return;
    await this.serial.run(async () => {
      try {
        await this.command('QUIT', { ...options, timeoutMs: options.timeoutMs ?? Math.min(this.t.timeoutMs, 5_000) });
      } catch (err) {
        if (!(err instanceof MailClientError && (err.code === 'connection-closed' || err.code === 'timeout'))) throw err;
      } finally {
        this.t.close();
      }
    }, options.signal);
  }

  close(): void {
    this.serial.rejectAll(new MailClientError('connection-closed', 'the client was closed', this.t.details()));
    this.t.fail(new MailClientError('connection-closed', `the connection to ${this.t.where()} was closed by close()`, this.t.details()));
  }

  // ---- internals ----

  private async resetQuietly(options: CallOptions): Promise<void> {
    try {
      if (!this.t.closed) await this.command('RSET', options);
    } catch {
      // the error that matters is the one being reported
    }
  }

  private poll(): SmtpReply | undefined {
    const s = this.decoder.next();
    if (s.kind === 'error') throw s.error;
    return s.kind === 'reply' ? s.reply : undefined;
  }

  private async read(options: CallOptions, waitingFor: string): Promise<SmtpReply> {
    const r = await this.t.read(this.decoder, () => this.poll(), { waitingFor, signal: options.signal, ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }) });
    if (r.code === 421) {
      // RFC 5321 §3.8: 421 means the server is closing the channel, whatever we asked.
      this.logReply(r);
      const e = new MailClientError('connection-closed', `${this.t.where()} is closing the session: 421 ${r.enhanced ? `${r.enhanced} ` : ''}${replyText(r)}`, this.t.details(replyDetails(r)));
      this.t.fail(e);
      throw e;
    }
    return r;
  }

  private async command(cmd: string, options: CallOptions): Promise<SmtpReply> {
    this.t.send(`${cmd}\r\n`, cmd);
    const r = await this.read(options, `the answer to ${cmd.split(/[ :]/)[0]}`);
    this.logReply(r);
    return r;
  }

  private logReply(r: SmtpReply): void {
    if (!this.t.logging) return;
    r.lines.forEach((l, i) => this.t.logServer(`${r.code}${i < r.lines.length - 1 ? '-' : ' '}${i === 0 && r.enhanced ? `${r.enhanced} ` : ''}${l}`));
  }

  private replyError(what: string, r: SmtpReply, lead?: string): MailClientError {
    const text = `${r.code} ${r.enhanced ? `${r.enhanced} ` : ''}${replyText(r)}`;
    const temp = r.code >= 400 && r.code < 500 ? ' (temporary: try again later)' : '';
    return new MailClientError('command-failed', `${lead ?? `${this.t.where()} refused ${what}`}: ${text}${temp}`, this.t.details({ command: what, ...replyDetails(r) }));
  }
}

function replyDetails(r: SmtpReply): MailClientErrorDetails {
  return { smtpCode: r.code, response: replyText(r), ...(r.enhanced && { enhancedCode: r.enhanced }) };
}

interface Prepared {
  buffer?: Buffer;
  stream?: AsyncIterable<Uint8Array | string>;
  scan?: ReturnType<typeof scanMessage> & { eightBitHeader: boolean };
  envelope?: Envelope;
  messageId?: string;
}

async function prepare(message: MessageInput, options: SendOptions): Promise<Prepared> {
  if (message instanceof MailBuilder) {
    const env = message.envelope();
    const buffer = await message.build();
    return withScan(buffer, env.from !== null ? { from: env.from, to: env.to } : undefined);
  }
  if (typeof message === 'string') return withScan(Buffer.from(message, 'utf8'));
  if (message instanceof Uint8Array) return withScan(Buffer.isBuffer(message) ? message : Buffer.from(message));
  if (!options.envelope) throw new TypeError('a streamed message needs options.envelope');
  return { stream: message as AsyncIterable<Uint8Array | string> };
}

function withScan(buffer: Buffer, builderEnvelope?: Envelope): Prepared {
  const scan = scanMessage(buffer);
  const header = scanHeaderBlock(buffer, 0, buffer.length);
  const headerBytes = buffer.subarray(0, header.bodyStart);
  const eightBitHeader = headerBytes.some((b) => b >= 0x80);
  const field = (key: string): string[] => header.fields.filter((f) => f.key === key).map((f) => f.value);
  const messageId = field('message-id')[0]?.trim();
  let envelope = builderEnvelope;
  if (!envelope) {
    const addrs = (key: string): string[] => field(key).flatMap((v) => flattenAddresses(parseAddressList(v)).map((a) => a.address)).filter((a) => a.length > 0);
    const from = addrs('sender')[0] ?? addrs('from')[0];
    const seen = new Set<string>();
    const to = [...addrs('to'), ...addrs('cc'), ...addrs('bcc')].filter((a) => (seen.has(a.toLowerCase()) ? false : (seen.add(a.toLowerCase()), true)));
    if (from !== undefined) envelope = { from, to };
  }
  return { buffer, scan: { ...scan, eightBitHeader }, ...(envelope && { envelope }), ...(messageId && { messageId }) };
}

function defaultClientName(localAddress: string | undefined): string {
  const h = os.hostname();
  if (/^[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(h)) return h;
  if (localAddress && net.isIPv4(localAddress)) return `[${localAddress}]`;
  if (localAddress && net.isIPv6(localAddress)) return `[IPv6:${localAddress}]`;
  return '[127.0.0.1]';
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB (${n} bytes)`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB (${n} bytes)`;
  return `${n} bytes`;
}
