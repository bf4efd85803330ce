// Small node:net / node:tls servers that misbehave on purpose, each to trigger one diagnosis:
// a STARTTLS server that keeps pipelined plaintext (injection), a silent port, a handshake
// that stalls, an endless banner, and an implicit-TLS IMAP greeter whose TLS options the test
// picks (ALPN, no EMS, ticket keys, certificates).
import net from 'node:net';
import tls from 'node:tls';
import { randomBytes } from 'node:crypto';
import { Duplex } from 'node:stream';
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
export interface StartTlsSmtpOptions {
  /** Run commands pipelined behind STARTTLS after the handshake. */
  vulnerable: boolean;
  /** Answer STARTTLS with 454 instead. */
  refuse?: boolean;
  /** Bytes sent right after the 220 to STARTTLS, in the same write. */
  afterReady?: string;
  /** Answer the ClientHello with garbage instead of TLS. */
  breakHandshake?: boolean;
  /** Offer AUTH PLAIN LOGIN before TLS. */
  authBeforeTls?: boolean;
}

export function startStartTlsSmtpServer(cert: TestCert, options: StartTlsSmtpOptions): Promise<TestServer> {
  const server = net.createServer((socket) => {
    const lines = new Lines();
    let secure: tls.TLSSocket | null = null;
    const write = (s: string): void => {
      (secure ?? socket).write(s);
    };
    const handle = (line: string): void => {
      const verb = line.split(' ')[0]!.toUpperCase();
      if (verb === 'EHLO') write(`250-test.example\r\n250-PIPELINING\r\n${secure ? '250-AUTH PLAIN\r\n' : `250-STARTTLS\r\n${options.authBeforeTls ? '250-AUTH PLAIN LOGIN\r\n' : ''}`}250 8BITMIME\r\n`);
      else if (verb === 'STARTTLS' && options.refuse) write('454 4.7.0 TLS not available due to local problem\r\n');
      else if (verb === 'STARTTLS' && options.breakHandshake) {
        socket.write('220 2.0.0 Ready to start TLS\r\n');
        socket.removeAllListeners('data');
        socket.once('data', () => socket.end('this is not TLS\r\n'));
      } else if (verb === 'STARTTLS' && !secure) {
        socket.write('220 2.0.0 Ready to start TLS\r\n' + (options.afterReady ?? ''));
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

/** Closes every connection as soon as it is accepted. */
export function startClosingServer(): Promise<TestServer> {
  return listen(net.createServer((s) => s.destroy()));
}

/** Greets with fixed text, then answers nothing (or closes when `close`). */
export function startGreetingServer(greeting: string, options: { close?: boolean } = {}): Promise<TestServer> {
  return listen(net.createServer((s) => (options.close ? s.end(greeting) : s.write(greeting))));
}

/**
 * Dual-mode IMAP: waits a moment for a ClientHello (first byte 0x16, RFC 8446 §5.1) and speaks
 * TLS if one comes, else greets in plaintext — the port sniffing postern's listeners do.
 */
export function startDualModeServer(cert: TestCert): Promise<TestServer> {
  const greet = (s: net.Socket | tls.TLSSocket): void => {
    s.write('* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] dual ready\r\n');
    const lines = new Lines();
    s.on('data', (c: Buffer) => lines.push(c, (line) => {
      const [tag, cmd] = line.split(' ');
      if ((cmd ?? '').toUpperCase() === 'CAPABILITY') s.write(`* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n${tag} OK done\r\n`);
      else if ((cmd ?? '').toUpperCase() === 'LOGOUT') s.end(`* BYE\r\n${tag} OK\r\n`);
      else s.write(`${tag} NO not here\r\n`);
    }));
  };
  const server = net.createServer((socket) => {
    let decided = false;
    const timer = setTimeout(() => {
      if (decided) return;
      decided = true;
      socket.removeAllListeners('data');
      greet(socket);
    }, 150);
    socket.once('data', (first: Buffer) => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      if (first[0] === 0x16) {
        // Replay the sniffed bytes to TLS through a JS stream.
        const duplex = new Duplex({
          read() {},
          write(chunk: Buffer, _enc, cb) {
            socket.write(chunk, cb);
          },
          final(cb) {
            socket.end();
            cb();
          },
        });
        duplex.push(first);
        socket.on('data', (c: Buffer) => duplex.push(c));
        socket.on('end', () => duplex.push(null));
        socket.on('close', () => duplex.destroy());
        const t = new tls.TLSSocket(duplex, { isServer: true, cert: cert.cert, key: cert.key });
        t.on('error', () => undefined);
        t.once('secure', () => greet(t));
      } else {
        socket.end('* BAD expected TLS or nothing\r\n');
      }
    });
  });
  return listen(server);
}

/** Implicit-TLS IMAP on ::1 (for the probing-from-the-server case). */
export async function startImapTlsServerV6(options: ImapTlsOptions): Promise<TestServer | null> {
  const server = tls.createServer(options, (socket) => {
    socket.on('error', () => undefined);
    socket.end('* BYE not today\r\n');
  });
  server.on('tlsClientError', () => undefined);
  const ok = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, '::1', () => resolve(true));
  });
  if (!ok) return null;
  return { port: (server.address() as net.AddressInfo).port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
