// FTPS client: explicit (AUTH TLS, RFC 4217) and implicit TLS, passive data connections (EPSV,
// RFC 2428; PASV, RFC 959), LIST/NLST/RETR/STOR, and data connections that resume the control
// connection's TLS session — which servers such as vsftpd (require_ssl_reuse) and FileZilla
// Server demand, so that whoever connects to the data port is the client who logged in
// (RFC 4217 §10.2 leaves the binding to the implementation; session reuse is the common one).
//
// TLS 1.3 note: the session at the end of the handshake has no ticket yet; the ticket arrives
// afterwards in NewSessionTicket ('session' event). The data connection must offer that one, or
// vsftpd answers "522 SSL connection failed: session reuse required".
import { ClientConnection, ReadError, type EndpointOptions, type TlsClientOptions, type TlsInfo } from './tls.js';
import { FtpReplyDecoder, ftpReplyText, type FtpReply } from '../wire/ftp/reply.js';
import { formatFtpCommand, parseEpsvReply, parseFeatReply, parsePasvReply, parsePwdReply } from '../wire/ftp/commands.js';

export interface FtpConnectOptions extends EndpointOptions {
  /** 'explicit' (AUTH TLS on the plain port, default), 'implicit' (TLS from the first byte,
   * port 990), or 'none' (no TLS: credentials and data in the clear). */
  security?: 'explicit' | 'implicit' | 'none';
  tls?: TlsClientOptions;
  /** Per reply, and idle time on a data connection (default 30 s). */
  timeoutMs?: number;
  /** Passive command: EPSV, PASV, or EPSV falling back to PASV (default). */
  passive?: 'epsv' | 'pasv' | 'auto';
  /** Connect data connections to the address a 227 reply names even when it differs from the
   * control connection's peer. Off by default: a server behind NAT often names its private
   * address, and a hostile one could point us anywhere (the FTP bounce family). */
  trustPasvAddress?: boolean;
  /** Largest LIST/RETR held in memory (default 256 MiB). */
  maxDataBytes?: number;
}

/** Which TLS session a data connection offers: the control connection's (default), none, or
 * a given one (tests use another control connection's session). */
export type DataSession = 'control' | 'fresh' | Buffer;

export interface DataTransferOptions {
  session?: DataSession;
  passive?: 'epsv' | 'pasv';
}

export interface DataConnectionInfo {
  command: 'EPSV' | 'PASV';
  /** What the server announced (EPSV names no host). */
  announced: { host: string | null; port: number };
  connectedTo: { host: string; port: number };
  /** The 227 reply named another host than the control connection's peer, and we used the peer. */
  announcedAddressIgnored: boolean;
  tls: { version: string; sessionReused: boolean; offered: 'control' | 'fresh' | 'given' } | null;
}

export type FtpErrorCode = 'reply' | 'data-connection' | 'protocol';

export class FtpError extends Error {
  readonly code: FtpErrorCode;
  readonly reply?: FtpReply;
  readonly data?: DataConnectionInfo;
  constructor(code: FtpErrorCode, message: string, extra: { reply?: FtpReply; data?: DataConnectionInfo; cause?: unknown } = {}) {
    super(message, extra.cause !== undefined ? { cause: extra.cause } : undefined);
    this.name = 'FtpError';
    this.code = code;
    if (extra.reply) this.reply = extra.reply;
    if (extra.data) this.data = extra.data;
  }
}

const replyLine = (r: FtpReply): string => `${r.code} ${ftpReplyText(r)}`;

export class FtpClient {
  readonly greeting: FtpReply;
  features = new Map<string, string>();
  /** Details of the most recent data connection. */
  lastData: DataConnectionInfo | null = null;
  private protectedData = false;
  private readonly decoder: FtpReplyDecoder;
  private readonly timeoutMs: number;

  private constructor(
    private readonly conn: ClientConnection,
    decoder: FtpReplyDecoder,
    greeting: FtpReply,
    private readonly options: FtpConnectOptions,
  ) {
    this.decoder = decoder;
    this.greeting = greeting;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  static async connect(options: FtpConnectOptions): Promise<FtpClient> {
    const security = options.security ?? 'explicit';
    const timeoutMs = options.timeoutMs ?? 30_000;
    const decoder = new FtpReplyDecoder();
    const conn = security === 'implicit'
      ? await ClientConnection.connectTls({ ...options, ...(options.tls && { tls: options.tls }) })
      : await ClientConnection.connect(options);
    try {
      const read = (): Promise<FtpReply> => readReply(conn, decoder, timeoutMs);
      let greeting = await read();
      if (greeting.code === 120) greeting = await read(); // RFC 959 §5.4
      if (greeting.code !== 220) throw new FtpError('reply', `server refused the session: ${replyLine(greeting)}`, { reply: greeting });
      const client = new FtpClient(conn, decoder, greeting, options);
      if (security === 'explicit') {
        const r = await client.send('AUTH', 'TLS');
        if (r.code !== 234) throw new FtpError('reply', `AUTH TLS refused: ${replyLine(r)}`, { reply: r });
        // RFC 4217 §4: whatever followed the 234 in plaintext is not part of the session.
        await conn.startTls(options.tls ?? {}, decoder);
      }
      const feat = await client.send('FEAT');
      client.features = parseFeatReply(feat);
      return client;
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  get connection(): ClientConnection {
    return this.conn;
  }

  get tls(): TlsInfo | null {
    return this.conn.tls;
  }

  /** PROT P is in effect: data connections are TLS. */
  get dataProtected(): boolean {
    return this.protectedData;
  }

  /** Sends one command and returns its final reply (1xx preliminary replies are skipped). */
  async send(verb: string, arg?: string): Promise<FtpReply> {
    this.conn.write(formatFtpCommand(verb, arg));
    let r = await this.read();
    while (r.code < 200) r = await this.read();
    return r;
  }

  async login(user: string, password: string): Promise<void> {
    const u = await this.send('USER', user);
    if (u.code === 230) return;
    if (u.code !== 331) throw new FtpError('reply', `USER refused: ${replyLine(u)}`, { reply: u });
    const p = await this.send('PASS', password);
    if (p.code !== 230 && p.code !== 202) throw new FtpError('reply', `login failed: ${replyLine(p)}`, { reply: p });
  }

  /** PBSZ 0 then PROT P (RFC 4217 §8-9): data connections use TLS from now on. */
  async protectData(): Promise<void> {
    if (!this.conn.tls) throw new FtpError('protocol', 'PROT P needs a TLS control connection');
    const pbsz = await this.send('PBSZ', '0');
    if (pbsz.code !== 200) throw new FtpError('reply', `PBSZ refused: ${replyLine(pbsz)}`, { reply: pbsz });
    const prot = await this.send('PROT', 'P');
    if (prot.code !== 200) throw new FtpError('reply', `PROT P refused: ${replyLine(prot)}`, { reply: prot });
    this.protectedData = true;
  }

  async pwd(): Promise<string> {
    return parsePwdReply(await this.expect(await this.send('PWD'), 257));
  }

  async cwd(path: string): Promise<void> {
    await this.expect(await this.send('CWD', path), 250);
  }

  async mkd(path: string): Promise<void> {
    await this.expect(await this.send('MKD', path), 257);
  }

  async dele(path: string): Promise<void> {
    await this.expect(await this.send('DELE', path), 250);
  }

  async size(path: string): Promise<number> {
    const r = await this.expect(await this.send('SIZE', path), 213);
    return Number(ftpReplyText(r));
  }

  async list(path?: string, options: DataTransferOptions = {}): Promise<string> {
    return (await this.download('LIST', path, options)).toString('utf8');
  }

  async nlst(path?: string, options: DataTransferOptions = {}): Promise<string[]> {
    return (await this.download('NLST', path, options)).toString('utf8').split(/\r?\n/).filter(Boolean);
  }

  async retrieve(path: string, options: DataTransferOptions = {}): Promise<Buffer> {
    await this.expect(await this.send('TYPE', 'I'), 200);
    return this.download('RETR', path, options);
  }

  async store(path: string, content: Uint8Array, options: DataTransferOptions = {}): Promise<void> {
    await this.expect(await this.send('TYPE', 'I'), 200);
    await this.transfer('STOR', path, options, Buffer.from(content));
  }

  async quit(): Promise<void> {
    try {
      this.conn.write(formatFtpCommand('QUIT'));
      await this.read(Math.min(this.timeoutMs, 2000));
    } catch {
      // closing anyway
    }
    this.conn.close();
  }

  close(): void {
    this.conn.destroy();
  }

  private read(ms = this.timeoutMs): Promise<FtpReply> {
    return readReply(this.conn, this.decoder, ms);
  }

  private async expect(r: FtpReply, code: number): Promise<FtpReply> {
    if (r.code !== code) throw new FtpError('reply', `expected ${code}, got ${replyLine(r)}`, { reply: r });
    return r;
  }

  private async download(verb: string, arg: string | undefined, options: DataTransferOptions): Promise<Buffer> {
    return (await this.transfer(verb, arg, options)) ?? Buffer.alloc(0);
  }

  private async enterPassive(preferred?: 'epsv' | 'pasv'): Promise<{ command: 'EPSV' | 'PASV'; host: string | null; port: number }> {
    const mode = preferred ?? this.options.passive ?? 'auto';
    if (mode !== 'pasv') {
      const r = await this.send('EPSV');
      if (r.code === 229) return { command: 'EPSV', host: null, port: parseEpsvReply(r) };
      if (mode === 'epsv') throw new FtpError('reply', `EPSV refused: ${replyLine(r)}`, { reply: r });
    }
    const r = await this.send('PASV');
    if (r.code !== 227) throw new FtpError('reply', `PASV refused: ${replyLine(r)}`, { reply: r });
    const a = parsePasvReply(r);
    return { command: 'PASV', host: a.host, port: a.port };
  }

  /**
   * One data transfer. Order matters: the data connection is opened (and its TLS handshake
   * started) before the command, since servers accept it when the command arrives; the
   * control replies (150, then 226, or 425/522 on failure) are read alongside.
   */
  private async transfer(verb: string, arg: string | undefined, options: DataTransferOptions, upload?: Buffer): Promise<Buffer | undefined> {
    const passive = await this.enterPassive(options.passive);
    const peer = this.conn.remoteAddress ?? this.options.host;
    const ignore = passive.host !== null && passive.host !== peer && !this.options.trustPasvAddress;
    const host = passive.host === null || ignore ? peer : passive.host;
    const info: DataConnectionInfo = {
      command: passive.command,
      announced: { host: passive.host, port: passive.port },
      connectedTo: { host, port: passive.port },
      announcedAddressIgnored: ignore,
      tls: null,
    };
    this.lastData = info;
    const choice = options.session ?? 'control';
    let session: Buffer | undefined;
    if (this.protectedData) {
      if (choice === 'control') session = await this.conn.waitForSession(Math.min(this.timeoutMs, 2000));
      else if (Buffer.isBuffer(choice)) session = choice;
    }
    const endpoint = { host, port: passive.port, connectTimeoutMs: this.timeoutMs, ...(this.options.localAddress && { localAddress: this.options.localAddress }) };
    const dataPromise = this.protectedData
      ? ClientConnection.connectTls({
          ...endpoint,
          tls: {
            ...this.options.tls,
            // The data connection is checked against the control connection's name, not the IP.
            ...(this.conn.tls?.servername && { servername: this.conn.tls.servername }),
            handshakeTimeoutMs: this.timeoutMs,
            ...(session && { session }),
          },
        })
      : ClientConnection.connect(endpoint);
    // Keep a rejection from surfacing as unhandled while we wait on the control channel.
    const data = dataPromise.then((c) => ({ ok: true as const, c }), (err: unknown) => ({ ok: false as const, err }));
    this.conn.write(formatFtpCommand(verb, arg));
    const first = await this.read();
    if (first.code >= 400) {
      const d = await data;
      if (d.ok) d.c.destroy();
      throw new FtpError('reply', `${verb} refused: ${replyLine(first)}`, { reply: first, data: info });
    }
    const d = await data;
    if (!d.ok) {
      const late = first.code < 200 ? await this.read(Math.min(this.timeoutMs, 3000)).catch(() => undefined) : undefined;
      throw new FtpError('data-connection', `data connection failed: ${(d.err as Error).message}${late ? ` (server: ${replyLine(late)})` : ''}`, {
        ...(late && { reply: late }),
        data: info,
        cause: d.err,
      });
    }
    const dc = d.c;
    if (dc.tls) {
      info.tls = { version: dc.tls.version, sessionReused: dc.tls.sessionReused, offered: choice === 'control' ? 'control' : choice === 'fresh' ? 'fresh' : 'given' };
    }
    let payload: Buffer | undefined;
    try {
      if (upload) await dc.endWrite(upload);
      else payload = await dc.readToEnd(this.options.maxDataBytes ?? 256 * 1024 * 1024, this.timeoutMs);
    } catch (err) {
      dc.destroy();
      const late = await this.read(Math.min(this.timeoutMs, 3000)).catch(() => undefined);
      throw new FtpError('data-connection', `data transfer failed: ${(err as Error).message}${late ? ` (server: ${replyLine(late)})` : ''}`, {
        ...(late && { reply: late }),
        data: info,
        cause: err,
      });
    } finally {
      if (upload) setTimeout(() => dc.destroy(), 1000).unref();
    }
    const final = first.code >= 200 ? first : await this.read();
    if (final.code >= 300) throw new FtpError('reply', `${verb} failed: ${replyLine(final)}`, { reply: final, data: info });
    dc.destroy();
    return payload;
  }
}

async function readReply(conn: ClientConnection, decoder: FtpReplyDecoder, ms: number): Promise<FtpReply> {
  try {
    return await conn.read(decoder, () => {
      const s = decoder.next();
      if (s.kind === 'error') throw s.error;
      return s.kind === 'reply' ? s.reply : undefined;
    }, ms);
  } catch (err) {
    if (err instanceof ReadError) throw new FtpError('protocol', `control connection: ${err.message}`, { cause: err });
    throw err;
  }
}
