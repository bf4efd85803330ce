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

/**
 * Greets, then hangs up when a line from the client holds the word `command` (EHLO, or an
 * IMAP tag's CAPABILITY), or at once when `command` is '': with an RST (`reset`, plaintext
 * only) or a FIN (`close`). Other lines (the bytes of a ClientHello) are ignored. With
 * `tlsCert` it speaks implicit TLS and greets inside it.
 */
export function startHangUpServer(greeting: string, command: string, how: 'reset' | 'close', tlsCert?: TestCert): Promise<TestServer> {
  const onSocket = (socket: net.Socket): void => {
    const lines = new Lines();
    const hangUp = (): void => {
      if (socket.destroyed) return;
      if (how === 'reset') socket.resetAndDestroy();
      else socket.end();
    };
    socket.on('error', () => undefined);
    if (greeting) socket.write(greeting);
    if (!command) return hangUp();
    socket.on('data', (c: Buffer) =>
      lines.push(c, (line) => {
        if (line.toUpperCase().split(' ').includes(command.toUpperCase())) hangUp();
      }),
    );
  };
  if (!tlsCert) return listen(net.createServer(onSocket));
  const server = tls.createServer({ cert: tlsCert.cert, key: tlsCert.key }, onSocket);
  server.on('tlsClientError', () => undefined);
  return listen(server);
}

/**
 * A port whose TCP connects get no answer at all, like one behind a firewall that drops SYNs,
 * without firewall rules: a listener with a backlog of 1 whose thread never accepts. Its
 * accept queue is filled with connections of our own, and Linux then drops every further SYN
 * (no SYN-ACK, no RST). The listener lives in a worker thread blocked in Atomics.wait, so this
 * process's event loop (which would accept) never sees it; close() wakes it and ends it.
 */
export async function startUnansweredPort(): Promise<TestServer> {
  const { Worker } = await import('node:worker_threads');
  const wake = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const server = require('node:net').createServer();
     server.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(server.address().port);
       Atomics.wait(workerData, 0, 0);
       process.exit(0);
     });`,
    { eval: true, workerData: wake },
  );
  const exited = new Promise<void>((r) => worker.once('exit', () => r()));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const fillers: net.Socket[] = [];
  const close = async (): Promise<void> => {
    for (const s of fillers) s.destroy();
    Atomics.store(wake, 0, 1);
    Atomics.notify(wake, 0);
    await exited;
  };
  // Fill the accept queue: connect until one connect gets no answer. The verdict waits for a
  // setImmediate after the timer, so a SYN-ACK that came while this loop was stalled is still
  // seen (the poll phase runs before the check phase) and never taken for "no answer".
  for (;;) {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.on('error', () => undefined);
    fillers.push(s);
    const answered = await new Promise<boolean>((r) => {
      s.once('connect', () => r(true));
      setTimeout(() => setImmediate(() => r(false)), 500);
    });
    if (!answered) break;
    if (fillers.length > 8) {
      await close();
      throw new Error('the kernel kept accepting connections for a listener that never accepts');
    }
  }
  return { port, close };
}

export interface FtpsServerOptions {
  /** Answer PROT P with 536: data connections could only be unencrypted. */
  refuseProtP?: boolean;
  /**
   * Data connections get a TLS context of their own (other ticket keys), so none can resume
   * the control connection's session, and the server refuses each with "522 session reuse
   * required" — vsftpd's require_ssl_reuse behind processes that do not share ticket keys.
   * Otherwise data connections share the control context, resume, and are served.
   */
  dataContextOfItsOwn?: boolean;
}

/**
 * A small FTPS server (RFC 4217, explicit AUTH TLS): FEAT, AUTH TLS (dropping whatever was
 * pipelined behind it), USER/PASS (any password, only over TLS), PBSZ, PROT, PASV/EPSV with a
 * one-shot data listener, LIST, TYPE, NOOP, QUIT.
 */
export function startFtpsServer(cert: TestCert, options: FtpsServerOptions = {}): Promise<TestServer> {
  const controlContext = tls.createSecureContext({ cert: cert.cert, key: cert.key });
  const dataContext = options.dataContextOfItsOwn ? tls.createSecureContext({ cert: cert.cert, key: cert.key }) : controlContext;
  const dataServers = new Set<net.Server>();
  const server = net.createServer((socket) => {
    const lines = new Lines();
    let secure: tls.TLSSocket | null = null;
    let user: string | null = null;
    let protP = false;
    let data: Promise<net.Socket | null> | null = null;
    const write = (s: string): void => {
      const out = secure ?? socket;
      if (!out.destroyed) out.write(s);
    };
    /** A listener for one data connection; resolves with it, or null after 3 s. */
    const passive = async (): Promise<number> => {
      const ds = net.createServer();
      dataServers.add(ds);
      const done = (): void => {
        ds.close();
        dataServers.delete(ds);
      };
      await new Promise<void>((r) => ds.listen(0, '127.0.0.1', () => r()));
      data = new Promise((resolve) => {
        const timer = setTimeout(() => {
          done();
          resolve(null);
        }, 3000);
        ds.once('connection', (d: net.Socket) => {
          clearTimeout(timer);
          d.on('error', () => undefined);
          done();
          resolve(d);
        });
      });
      return (ds.address() as net.AddressInfo).port;
    };
    const list = async (): Promise<void> => {
      const raw = await (data ?? Promise.resolve(null));
      data = null;
      if (!raw) return write('425 Use PASV or EPSV first, and connect.\r\n');
      let out: net.Socket | tls.TLSSocket = raw;
      if (protP) {
        const t = new tls.TLSSocket(raw, { isServer: true, secureContext: dataContext });
        t.on('error', () => undefined);
        const ok = await new Promise<boolean>((r) => {
          t.once('secure', () => r(true));
          t.once('close', () => r(false));
        });
        if (!ok) return write('425 TLS handshake on the data connection failed.\r\n');
        if (!t.isSessionReused()) {
          t.destroy();
          return write('522 SSL connection failed: session reuse required\r\n');
        }
        out = t;
      }
      write('150 Here comes the directory listing.\r\n');
      out.end('-rw-r--r--    1 ftp      ftp             0 Jan 01 00:00 empty.txt\r\n', () => write('226 Directory send OK.\r\n'));
    };
    const handle = (line: string): void => {
      const sp = line.indexOf(' ');
      const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
      const arg = sp < 0 ? '' : line.slice(sp + 1);
      switch (verb) {
        case 'FEAT':
          return write('211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n EPSV\r\n PASV\r\n211 End\r\n');
        case 'AUTH':
          if (secure || arg.toUpperCase() !== 'TLS') return write('504 Unsupported mechanism.\r\n');
          socket.write('234 Proceeding with negotiation.\r\n');
          // RFC 4217 §4: nothing pipelined behind AUTH TLS is run (ends the push loop, too).
          socket.removeAllListeners('data');
          lines.pending = Buffer.alloc(0);
          secure = new tls.TLSSocket(socket, { isServer: true, secureContext: controlContext });
          secure.on('error', () => undefined);
          secure.on('data', (c: Buffer) => lines.push(c, handle));
          return;
        case 'USER':
          if (!secure) return write('530 Non-anonymous sessions must use encryption.\r\n');
          user = arg;
          return write('331 Please specify the password.\r\n');
        case 'PASS':
          return write(user === null ? '503 Login with USER first.\r\n' : '230 Login successful.\r\n');
        case 'PBSZ':
          return write(secure ? '200 PBSZ set to 0.\r\n' : '503 PBSZ needs a TLS session.\r\n');
        case 'PROT':
          if (arg.toUpperCase() === 'C') {
            protP = false;
            return write('200 PROT now Clear.\r\n');
          }
          if (arg.toUpperCase() !== 'P' || options.refuseProtP) return write('536 Requested PROT level not supported by mechanism.\r\n');
          protP = true;
          return write('200 PROT now Private.\r\n');
        case 'PASV':
        case 'EPSV':
          void passive().then((port) =>
            write(verb === 'PASV' ? `227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255}).\r\n` : `229 Entering Extended Passive Mode (|||${port}|).\r\n`),
          );
          return;
        case 'LIST':
        case 'NLST':
          void list();
          return;
        case 'TYPE':
          return write('200 Switching to Binary mode.\r\n');
        case 'NOOP':
          return write('200 NOOP ok.\r\n');
        case 'QUIT':
          write('221 Goodbye.\r\n');
          (secure ?? socket).end();
          return;
        default:
          return write('500 Unknown command.\r\n');
      }
    };
    socket.write('220 fake FTPS ready\r\n');
    socket.on('data', (c: Buffer) => lines.push(c, handle));
  });
  return listen(server).then((s) => ({
    port: s.port,
    close: async () => {
      for (const ds of dataServers) ds.close();
      await s.close();
    },
  }));
}
