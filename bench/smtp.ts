// `npm run bench -- smtp [--vs postfix] [--seconds S] [--clients 1,10,50] [--size BYTES] [--per-session N]`
// Submission over TLS: messages/s and p99 latency at 1, 10 and 50 clients, for postern and —
// with --vs postfix — Postfix 3.7 from Debian, in the same run, with the same load generator,
// certificate and message. Each client opens a session (STARTTLS on the submission port,
// EHLO, AUTH PLAIN for postern — Postfix here relays for loopback without AUTH), then sends
// --per-session messages pipelined as a client would (MAIL, RCPT, DATA in one write; the
// body after 354), and starts over. Both servers queue to disk with a sync before the 250
// (postern: SQLite synchronous=FULL, group commit; Postfix: its queue file fsync), then hand
// the mail on: Postfix to its discard transport, postern to an smtp-sink smarthost. Server on
// core 1, load generator (and smtp-sink) on core 0; the table shows server CPU.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { openStore } from '../src/store/index.js';
import { addUser } from '../src/admin/accounts.js';
import { configSchema } from '../src/config/schema.js';
import { ensureSelfSignedCertificate } from '../src/net/certificate.js';
import { freePort, hasTaskset, pinSelf, table, treeCpuSeconds, waitForPort } from './lib/system.js';

const PROJECT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

const USER = 'bench@example.test';
const PASSWORD = 'Bench password 1!';

interface Options { vs: string | null; seconds: number; clients: number[]; size: number; perSession: number }

function parseArgs(args: string[]): Options {
  const o: Options = { vs: null, seconds: 5, clients: [1, 10, 50], size: 5000, perSession: 20 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--vs') { o.vs = v ?? null; i++; }
    else if (a === '--seconds') { o.seconds = Number(v); i++; }
    else if (a === '--clients') { o.clients = v!.split(',').map(Number); i++; }
    else if (a === '--size') { o.size = Number(v); i++; }
    else if (a === '--per-session') { o.perSession = Number(v); i++; }
    else throw new Error(`unknown option ${a}: use --vs postfix, --seconds S, --clients 1,10,50, --size BYTES, --per-session N`);
  }
  return o;
}

/** A text message of about `size` octets with CRLF lines, already dot-safe (no line starts with "."). */
function benchMessage(size: number): string {
  const head = `From: ${USER}\r\nTo: rcpt@remote.test\r\nSubject: SMTP benchmark message\r\nMessage-ID: <bench@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n`;
  const line = 'The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrst\r\n';
  return head + line.repeat(Math.max(1, Math.ceil((size - head.length) / line.length)));
}

// ---- the load generator: a minimal pipelining SMTP client ------------------------------------

class LoadSmtp {
  private lines: string[] = [];
  private partial = '';
  private waiter: (() => void) | null = null;
  private closed = false;

  private constructor(private socket: net.Socket | tls.TLSSocket) {
    this.attach(socket);
  }

  static async open(port: number, auth: boolean): Promise<LoadSmtp> {
    const raw = net.connect(port, '127.0.0.1');
    await new Promise<void>((r, j) => { raw.once('connect', () => r()); raw.once('error', j); });
    raw.setNoDelay(true);
    const c = new LoadSmtp(raw);
    await c.expect(220);
    c.write('EHLO bench.example\r\n');
    await c.expect(250);
    c.write('STARTTLS\r\n');
    await c.expect(220);
    raw.removeAllListeners('data');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((r, j) => { secure.once('secureConnect', () => r()); secure.once('error', j); });
    c.socket = secure;
    c.attach(secure);
    c.write('EHLO bench.example\r\n');
    await c.expect(250);
    if (auth) {
      c.write(`AUTH PLAIN ${Buffer.from(`\0${USER}\0${PASSWORD}`).toString('base64')}\r\n`);
      await c.expect(235);
    }
    return c;
  }

  private attach(s: net.Socket): void {
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      const parts = (this.partial + d).split('\r\n');
      this.partial = parts.pop()!;
      for (const p of parts) this.lines.push(p);
      this.waiter?.();
    });
    s.on('close', () => { this.closed = true; this.waiter?.(); });
    s.on('error', () => { this.closed = true; this.waiter?.(); });
  }

  write(s: string): void {
    this.socket.write(s);
  }

  /** The code of the next complete reply. */
  async reply(): Promise<number> {
    for (;;) {
      while (this.lines.length) {
        const l = this.lines.shift()!;
        if (l[3] === ' ' || l.length === 3) return Number(l.slice(0, 3));
      }
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => { this.waiter = r; });
      this.waiter = null;
    }
  }

  async expect(code: number): Promise<void> {
    const got = await this.reply();
    if (got !== code) throw new Error(`expected ${code}, got ${got}`);
  }

  /** One message: MAIL, RCPT and DATA pipelined (RFC 2920), then the body. */
  async send(body: string, rcpt: string): Promise<void> {
    this.write(`MAIL FROM:<${USER}>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n`);
    await this.expect(250);
    await this.expect(250);
    await this.expect(354);
    this.write(body + '.\r\n');
    await this.expect(250);
  }

  async quit(): Promise<void> {
    this.write('QUIT\r\n');
    await this.reply().catch(() => 0);
    this.socket.destroy();
  }
}

interface Cell { rate: number; p50: number; p99: number; cpu: number; errors: number }

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function load(t: Target, clients: number, o: Options, body: string): Promise<Cell> {
  const latencies: number[] = [];
  let errors = 0;
  let stop = false;
  const cpu0 = treeCpuSeconds(t.pid);
  const t0 = process.hrtime.bigint();
  const timer = setTimeout(() => { stop = true; }, o.seconds * 1000);
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    while (!stop) {
      let c: LoadSmtp;
      try {
        c = await LoadSmtp.open(t.port, t.auth);
      } catch {
        errors++;
        continue;
      }
      try {
        for (let k = 0; k < o.perSession && !stop; k++) {
          const s = process.hrtime.bigint();
          await c.send(body, `rcpt${i}@remote.test`);
          latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
        }
        await c.quit();
      } catch {
        errors++;
      }
    }
  }));
  clearTimeout(timer);
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  return { rate: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: (treeCpuSeconds(t.pid) - cpu0) / elapsed, errors };
}

// ---- the servers -----------------------------------------------------------------------------

interface Target { name: string; port: number; auth: boolean; pid: number; stop(): Promise<void>; note?(): Promise<string> }

function spawnPinned(cmd: string, args: string[], core: number, opts: { detached?: boolean } = {}): ChildProcess {
  return hasTaskset()
    ? spawn('taskset', ['-c', String(core), cmd, ...args], { stdio: 'ignore', detached: opts.detached ?? true })
    : spawn(cmd, args, { stdio: 'ignore', detached: opts.detached ?? true });
}

async function stopGroup(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  try { process.kill(-child.pid!, 'SIGTERM'); } catch { child.kill('SIGTERM'); }
  await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
}

async function startSink(): Promise<{ port: number; stop(): Promise<void> } | null> {
  if (!existsSync('/usr/sbin/smtp-sink')) return null;
  const port = await freePort();
  // smtp-sink (from the postfix package) answers everything and keeps nothing: the smarthost
  // postern relays to, the counterpart of Postfix's discard transport.
  const child = spawnPinned('/usr/sbin/smtp-sink', ['-u', 'postfix', '-c', `127.0.0.1:${port}`, '1000'], 0);
  await waitForPort(port);
  return { port, stop: () => stopGroup(child) };
}

async function startPostern(dir: string, sinkPort: number | null): Promise<Target> {
  const data = join(dir, 'postern');
  mkdirSync(data, { recursive: true });
  const config = {
    hostname: 'localhost',
    tls: { cert: '../tls/cert.pem', key: '../tls/key.pem' },
    submission: { unencryptedOrTLSBindings: ['127.0.0.1:0'], sslBindings: ['127.0.0.1:0'], maxConnectionsPerUserIp: 10000 },
    imap: { enabled: false }, pop3: { enabled: false }, lmtp: { enabled: false },
    limits: { maxConnectionsPerIp: 10000 },
    ...(sinkPort ? { relay: { host: '127.0.0.1', port: sinkPort, security: 'none', concurrency: 8, retry: ['10s'] } } : {}),
  };
  writeFileSync(join(data, 'postern.yaml'), stringify(config));
  const parsed = configSchema.parse(config);
  const store = await openStore({ kind: 'sqlite' }, data);
  await addUser(store, { address: USER, password: PASSWORD }, { hash: { scheme: 'argon2id', argon2: parsed.auth.argon2 }, scramIterations: parsed.auth.scramIterations });
  await store.close();
  const child = spawnPinned(process.execPath, [resolve(PROJECT, 'bin/postern.js'), 'serve', '--data', data], 1);
  const listeners = join(data, 'listeners.json');
  for (let i = 0; i < 200 && !existsSync(listeners); i++) await new Promise((r) => setTimeout(r, 100));
  const all = JSON.parse(readFileSync(listeners, 'utf8')) as Array<{ protocol: string; security: string; port: number }>;
  const port = all.find((l) => l.protocol === 'submission' && l.security === 'starttls')!.port;
  await waitForPort(port);
  return {
    name: 'postern', port, auth: true, pid: child.pid!,
    async stop() {
      await stopGroup(child);
    },
    // How far the relay to the sink kept up: what was still queued when the load stopped, and
    // how fast the queue runner then emptied it.
    async note() {
      const { openSqliteQueue } = await import('../src/store/sqlite/queue.js');
      const q = await openSqliteQueue(data);
      try {
        const left = (await q.list()).length;
        const t0 = Date.now();
        let now = left;
        while (now > 0 && Date.now() - t0 < 60_000) {
          await new Promise((r) => setTimeout(r, 250));
          now = (await q.list()).length;
        }
        const secs = (Date.now() - t0) / 1000;
        return `postern: ${left} message(s) still queued for the smarthost when the load stopped; ` +
          (now === 0 ? `the queue runner relayed them in ${secs.toFixed(1)} s (${left ? Math.round(left / secs) : 0} msg/s with no load).` : `${now} left after 60 s.`);
      } finally {
        await q.close();
      }
    },
  };
}

function postfixAvailable(): string | null {
  if (!existsSync('/usr/sbin/postfix')) return 'postfix is not installed (apt-get install -y --no-install-recommends postfix)';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return 'postfix start needs root';
  return null;
}

/** Every process below `root` (Postfix's master forks smtpd, cleanup, qmgr, …). */
function descendants(root: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  return [...parents.keys()].filter((pid) => { let p: number | undefined = pid; while (p && p !== root && p > 1) p = parents.get(p); return p === root; });
}

async function startPostfixTarget(dir: string, certDir: string): Promise<Target> {
  const pdir = join(dir, 'postfix');
  for (const sub of ['etc', 'spool', 'data', 'logs']) mkdirSync(join(pdir, sub), { recursive: true });
  spawnSync('chown', ['postfix', join(pdir, 'data')]);
  const peers = join(PROJECT, 'test', 'peers', 'configs');
  const port = await freePort();
  const main = readFileSync(join(peers, 'postfix-main.cf'), 'utf8').replaceAll('@DIR@', pdir) +
    `\nsmtpd_tls_cert_file = ${join(certDir, 'tls', 'cert.pem')}\nsmtpd_tls_key_file = ${join(certDir, 'tls', 'key.pem')}\nsmtpd_tls_security_level = may\n`;
  const master = readFileSync(join(peers, 'postfix-master.cf'), 'utf8').replace('127.0.0.1:11587', `127.0.0.1:${port}`);
  writeFileSync(join(pdir, 'etc', 'main.cf'), main);
  writeFileSync(join(pdir, 'etc', 'master.cf'), master);
  const etc = join(pdir, 'etc');
  spawnSync('/usr/sbin/postfix', ['-c', etc, 'set-permissions'], { stdio: 'ignore' });
  const child = spawnPinned('/usr/sbin/postfix', ['-c', etc, 'start-fg'], 1);
  try {
    await waitForPort(port);
  } catch (err) {
    const log = join(pdir, 'logs', 'postfix.log');
    throw new Error(`Postfix did not start: ${(err as Error).message}${existsSync(log) ? `; its log: ${readFileSync(log, 'utf8').slice(-500)}` : ''}`);
  }
  // start-fg runs the master in the foreground: pin it and everything it has forked to core 1
  // (children forked later inherit the affinity).
  if (hasTaskset()) for (const pid of [child.pid!, ...descendants(child.pid!)]) spawnSync('taskset', ['-a', '-cp', '1', String(pid)], { stdio: 'ignore' });
  return {
    name: 'postfix', port, auth: false, pid: child.pid!,
    async stop() {
      spawnSync('/usr/sbin/postfix', ['-c', etc, 'stop'], { stdio: 'ignore' });
      await stopGroup(child);
    },
  };
}

export async function runSmtpBench(args: string[]): Promise<void> {
  const o = parseArgs(args);
  pinSelf(0);
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-smtp-'));
  chmodSync(dir, 0o755); // Postfix's unprivileged processes work below it
  const body = benchMessage(o.size);
  console.log(`SMTP submission benchmark: ${body.length}-octet messages over STARTTLS, ${o.perSession} per session, ${o.seconds} s per cell; ` +
    `every 250 follows a synced queue write; ${hasTaskset() ? 'server on core 1, load generator on core 0' : 'no taskset: not pinned'}.`);
  const results: Array<[string, Map<string, Cell>]> = [];
  const notes: string[] = [];
  const sink = await startSink();
  if (!sink) console.log('smtp-sink not found: postern relays to nothing (its queue runner retries later instead).');
  try {
    await ensureSelfSignedCertificate(dir, 'localhost');
    const targets: Array<() => Promise<Target>> = [() => startPostern(dir, sink?.port ?? null)];
    if (o.vs === 'postfix') {
      const why = postfixAvailable();
      if (why) console.log(`--vs postfix skipped: ${why}`);
      else targets.push(() => startPostfixTarget(dir, dir));
    } else if (o.vs) {
      throw new Error(`--vs ${o.vs}: only postfix is supported`);
    }
    for (const start of targets) {
      const t = await start();
      try {
        const cells = new Map<string, Cell>();
        // A short warm-up (JIT, TLS session cache, first queue files) that is not counted.
        await load(t, 4, { ...o, seconds: 1 }, body);
        for (const n of o.clients) cells.set(`× ${n}`, await load(t, n, o, body));
        results.push([t.name, cells]);
      } finally {
        if (t.note) notes.push(await t.note().catch((e: Error) => `${t.name}: ${e.message}`));
        await t.stop();
      }
    }
  } finally {
    await sink?.stop();
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`); else rmSync(dir, { recursive: true, force: true });
  }
  const rows = [...results[0]![1].keys()].map((k) => [`clients ${k}`, ...results.flatMap(([, m]) => {
    const c = m.get(k)!;
    return [c.rate.toFixed(0), c.p50.toFixed(1), c.p99.toFixed(1), `${Math.round(c.cpu * 100)}%`, String(c.errors)];
  })]);
  console.log('\n' + table(['', ...results.flatMap(([n]) => [`${n} msg/s`, 'p50 ms', 'p99 ms', 'cpu', 'err'])], rows));
  for (const n of notes) console.log(n);
  console.log('\nmsg/s = messages acknowledged with 250 per second; p50/p99 = MAIL to final 250; cpu = server CPU time / wall time (100% = one core).');
}
