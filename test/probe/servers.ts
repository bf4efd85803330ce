// Small node:net / node:tls servers that misbehave on purpose, each to trigger one diagnosis:
// a STARTTLS server that keeps pipelined plaintext (injection), a silent port, a handshake
// that stalls, an endless banner, and an implicit-TLS IMAP greeter whose TLS options the test
// picks (ALPN, no EMS, ticket keys, certificates).
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import type { TestCert } from '../peers/certs.js';

export interface TestServer {
  port: number;
  close(): Promise<void>;
}

async function listen(server: net.Server): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Splits a byte stream into lines and hands each to `onLine`; the rest stays in `pending`. */
class Lines {
  pending = Buffer.alloc(0);
  push(chunk: Buffer, onLine: (line: string) => void): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    for (let lf = this.pending.indexOf(0x0a); lf >= 0; lf = this.pending.indexOf(0x0a)) {
      const line = this.pending.subarray(0, lf).toString('latin1').replace(/\r$/, '');
      this.pending = this.pending.subarray(lf + 1);
      onLine(line);
    }
  }
}

/**
 * An SMTP server with STARTTLS. With `vulnerable`, whatever the client pipelined behind
 * STARTTLS stays in the line buffer and is answered after the handshake, inside TLS
 * (CVE-2011-0411); otherwise the buffer is dropped as RFC 3207 §4.2 requires.
 */
export function startStartTlsSmtpServer(cert: TestCert, options: { vulnerable: boolean }): Promise<TestServer> {
  const server = net.createServer((socket) => {
    const lines = new Lines();
    let secure: tls.TLSSocket | null = null;
    const write = (s: string): void => {
      (secure ?? socket).write(s);
    };
    const handle = (line: string): void => {
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'EHLO') write(`250-test.example\r\n250-PIPELINING\r\n${secure ? '250-AUTH PLAIN\r\n' : '250-STARTTLS\r\n'}250 8BITMIME\r\n`);
      else if (verb === 'STARTTLS' && !secure) {
        socket.write('220 2.0.0 Ready to start TLS\r\n');
        socket.removeAllListeners('data');
        const keep = options.vulnerable ? lines.pending : Buffer.alloc(0);
        lines.pending = Buffer.alloc(0);
        secure = new tls.TLSSocket(socket, { isServer: true, cert: cert.cert, key: cert.key });
        secure.on('error', () => undefined);
        secure.on('secure', () => {
          if (keep.length) lines.push(keep, handle);
        });
        secure.on('data', (c: Buffer) => lines.push(c, handle));
      } else if (verb === 'QUIT') {
        write('221 bye\r\n');
        (secure ?? socket).end();
      } else if (verb === 'NOOP' || verb === 'RSET') write('250 2.0.0 OK\r\n');
      else write('502 5.5.2 unknown command\r\n');
    };
    socket.write('220 test.example ESMTP ready\r\n');
    // Emptying lines.pending inside handle(STARTTLS) stops this loop at the STARTTLS line.
    socket.on('data', (c: Buffer) => lines.push(c, handle));
  });
  return listen(server);
}

/** Accepts connections and never sends a byte. */
export function startSilentServer(): Promise<TestServer> {
  return listen(net.createServer(() => undefined));
}

/** Answers a ClientHello with the first bytes of a handshake record, then stalls. */
export function startStallingServer(): Promise<TestServer> {
  const server = net.createServer((socket) => {
    socket.once('data', () => {
      // Record header: handshake (22), TLS 1.2, 512 bytes announced; then a ServerHello header.
      socket.write(Buffer.from([0x16, 0x03, 0x03, 0x02, 0x00, 0x02, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    });
  });
  return listen(server);
}

/** Streams a multi-line SMTP greeting that never ends, as fast as the client reads. Counts
 * what it managed to send. */
export function startEndlessBannerServer(options: { singleLine?: boolean } = {}): Promise<TestServer & { sent(): number }> {
  let sent = 0;
  const chunk = Buffer.from(options.singleLine ? 'x'.repeat(16 * 1024) : '220-' + 'y'.repeat(1000) + '\r\n');
  const server = net.createServer((socket) => {
    if (options.singleLine) socket.write('220 ');
    const pump = (): void => {
      while (!socket.destroyed && socket.write(chunk)) sent += chunk.length;
    };
    socket.on('drain', pump);
    pump();
  });
  return listen(server).then((s) => ({ ...s, sent: () => sent }));
}

export interface ImapTlsOptions extends tls.TlsOptions {
  /** New ticket keys after every handshake, so a ticket never decrypts on the next connection. */
  rotateTicketKeys?: boolean;
}

/** Implicit-TLS IMAP: greets, answers CAPABILITY, LOGIN, AUTHENTICATE PLAIN and LOGOUT. */
export function startImapTlsServer(options: ImapTlsOptions): Promise<TestServer> {
  const { rotateTicketKeys, ...tlsOptions } = options;
  const server = tls.createServer(tlsOptions, (socket) => {
    const lines = new Lines();
    socket.on('error', () => undefined);
    socket.write('* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] test ready\r\n');
    socket.on('data', (c: Buffer) =>
      lines.push(c, (line) => {
        const [tag, cmd] = line.split(' ');
        switch ((cmd ?? '').toUpperCase()) {
          case 'CAPABILITY': socket.write(`* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN\r\n${tag} OK done\r\n`); break;
          case 'AUTHENTICATE':
          case 'LOGIN': socket.write(`${tag} OK logged in\r\n`); break;
          case 'LOGOUT': socket.end(`* BYE bye\r\n${tag} OK done\r\n`); break;
          default: socket.write(`${tag} BAD unknown\r\n`);
        }
      }),
    );
  });
  if (rotateTicketKeys) server.on('secureConnection', () => server.setTicketKeys(randomBytes(48)));
  server.on('tlsClientError', () => undefined);
  return listen(server);
}
