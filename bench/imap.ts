// `npm run bench -- imap [--vs dovecot] [--seconds S] [--clients 10,50,200] [--messages N]
//                        [--idle 10000] [--idle-dovecot 2000] [--fts 100000] [--only commands,idle,fts]
//                        [--scenarios login,select,"fetch headers",…]`
// IMAP over TLS, per command: ops/s and p50/p99 latency at 10, 50 and 200 clients (LOGIN,
// SELECT, FETCH of headers, FETCH of bodies, STORE, APPEND, SEARCH, EXPUNGE, and IDLE wake-up),
// for postern and — with --vs dovecot — Dovecot 2.3 in its fast login mode, in the same run, with
// the same users, password hashes (argon2id), certificate and messages; server on core 1, load
// generator on core 0. Then the resident memory of N idle IDLE sessions over TLS, and SEARCH
// latency on one mailbox of --fts messages (the full-text index).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { openStore } from '../src/store/index.js';
import type { MailStore } from '../src/store/types.js';
import { DEFAULT_FOLDERS, passwordFields } from '../src/admin/accounts.js';
import { ensureSelfSignedCertificate } from '../src/net/certificate.js';
import { hashPassword } from '../src/auth/passwords.js';
import { configSchema } from '../src/config/schema.js';
import { dovecotAvailable, sharedPeersDir, startDovecot, writeMaildirMessage } from './lib/dovecot.js';
import { hasTaskset, pinSelf, table, treeCpuSeconds, waitForPort } from './lib/system.js';

const PROJECT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

interface Options {
  vs: string | null;
  seconds: number;
  clients: number[];
  messages: number;
  idle: number;
  idleDovecot: number;
  fts: number;
  only: string[] | null;
  scenarios: string[] | null;
  repeat: number;
}

function parseArgs(args: string[]): Options {
  const o: Options = { vs: null, seconds: 4, clients: [10, 50, 200], messages: 100, idle: 10_000, idleDovecot: 2000, fts: 100_000, only: null, scenarios: null, repeat: 1 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    const num = () => { i++; return Number(v); };
    if (a === '--vs') { o.vs = v ?? null; i++; }
    else if (a === '--seconds') o.seconds = num();
    else if (a === '--clients') { o.clients = v!.split(',').map(Number); i++; }
    else if (a === '--messages') o.messages = num();
    else if (a === '--idle') o.idle = num();
    else if (a === '--idle-dovecot') o.idleDovecot = num();
    else if (a === '--fts') o.fts = num();
    else if (a === '--only') { o.only = v!.split(','); i++; }
    else if (a === '--repeat') o.repeat = num();
    else if (a === '--scenarios') { o.scenarios = v!.split(',').map((x) => x.toLowerCase()); i++; }
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

const PASSWORD = 'Bench password 1!';
const user = (i: number) => `bench${i}@example.test`;
const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa'];

/** A plain-text message of a few KB; `i` picks its words, so searches have hits and misses. */
function benchMessage(i: number, extraWord = ''): Buffer {
  const w = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
  const head = `From: Sender ${i % 37} <sender${i % 37}@example.test>\r\nTo: bench@example.test\r\nSubject: Report ${i} about ${w(0)} and ${w(1)}\r\n` +
    `Date: Mon, 1 Jan 2024 ${String(i % 24).padStart(2, '0')}:00:00 +0000\r\nMessage-ID: <m${i}.${extraWord}@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n`;
  let body = '';
  for (let l = 0; l < 40; l++) body += `Line ${l} of message ${i}: ${w(l)} ${w(l + 1)} ${w(l + 2)} the quick brown fox jumps ${extraWord}\r\n`;
  return Buffer.from(head + body);
}

// ---- a lean IMAP client for load ----------------------------------------------------------------

class LoadImap {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  private closed = false;
  private n = 0;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
      this.wake?.();
    });
    socket.on('close', () => { this.closed = true; this.wake?.(); });
    socket.on('error', () => { this.closed = true; this.wake?.(); });
  }

  static connect(port: number): Promise<LoadImap> {
    return new Promise((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(new LoadImap(s)));
      s.setNoDelay(true);
      s.once('error', reject);
    });
  }

  /** One response line with any literals inside it skipped (their sizes are counted). */
  async line(): Promise<string> {
    let out = '';
    for (;;) {
      const i = this.buf.indexOf('\r\n');
      if (i < 0) {
        if (this.closed) throw new Error('connection closed');
        await new Promise<void>((r) => { this.wake = r; });
        this.wake = null;
        continue;
      }
      const part = this.buf.subarray(0, i).toString('latin1');
      this.buf = this.buf.subarray(i + 2);
      out += part;
      const m = /\{(\d+)\}$/.exec(part);
      if (!m) return out;
      let left = Number(m[1]);
      while (left > 0) {
        if (this.buf.length === 0) {
          if (this.closed) throw new Error('connection closed');
          await new Promise<void>((r) => { this.wake = r; });
          this.wake = null;
          continue;
        }
        const k = Math.min(left, this.buf.length);
        this.buf = this.buf.subarray(k);
        left -= k;
      }
    }
  }

  /** Sends a command; resolves with the untagged lines once the tagged OK arrives. */
  async cmd(text: string | Buffer, untagged?: string[]): Promise<void> {
    const tag = `b${++this.n}`;
    this.socket.write(typeof text === 'string' ? `${tag} ${text}\r\n` : Buffer.concat([Buffer.from(`${tag} `), text, Buffer.from('\r\n')]));
    for (;;) {
      const l = await this.line();
      if (l.startsWith(tag + ' ')) {
        if (!l.startsWith(`${tag} OK`)) throw new Error(`${String(text).slice(0, 40)} → ${l}`);
        return;
      }
      if (l.startsWith('+') && typeof text !== 'string') continue;
      untagged?.push(l);
    }
  }

  async greeting(): Promise<void> {
    await this.line();
  }

  send(text: string): void {
    this.socket.write(text);
  }

  close(): void {
    this.socket.destroy();
  }
}

// ---- targets ------------------------------------------------------------------------------------

interface Target { name: string; port: number; pid: number; stop(): Promise<void> }

async function spawnPostern(data: string, core: number | null): Promise<{ child: ChildProcess; port: number }> {
  const args = [resolve(PROJECT, 'bin/postern.js'), 'serve', '--data', data];
  const child: ChildProcess = hasTaskset() && core !== null
    ? spawn('taskset', ['-c', String(core), process.execPath, '--max-old-space-size=4096', ...args], { stdio: ['ignore', 'ignore', 'inherit'], detached: true })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'], detached: true });
  const listeners = join(data, 'listeners.json');
  rmSync(listeners, { force: true });
  for (let i = 0; i < 600 && !existsSync(listeners); i++) await new Promise((r) => setTimeout(r, 100));
  const all = JSON.parse(readFileSync(listeners, 'utf8')) as Array<{ protocol: string; security: string; port: number }>;
  const port = all.find((l) => l.protocol === 'imap' && l.security === 'tls')!.port;
  await waitForPort(port);
  return { child, port };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    try { process.kill(-child.pid!, 'SIGTERM'); } catch { child.kill('SIGTERM'); }
    await Promise.race([done, new Promise((r) => setTimeout(r, 8000))]);
    try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
  };
}

function posternConfig(): Record<string, unknown> {
  return {
    hostname: 'localhost',
    imap: {
      unencryptedOrTLSBindings: ['127.0.0.1:0'], sslBindings: ['127.0.0.1:0'], loginType: 'PlainTextLogin',
      maxConnectionsPerUserIp: 20_000, authenticatedConnectionTimeout: '2h',
    },
    pop3: { enabled: false }, submission: { enabled: false }, lmtp: { enabled: false },
    limits: { maxConnectionsPerIp: 20_000 },
  };
}

/** Accounts as `postern user add` makes them, with one argon2id hash (the same Dovecot gets). */
async function createUsers(store: MailStore, users: number): Promise<number[]> {
  const parsed = configSchema.parse({});
  const creds = await passwordFields(PASSWORD, { hash: { scheme: 'argon2id', argon2: parsed.auth.argon2 }, scramIterations: parsed.auth.scramIterations });
  const inboxes: number[] = [];
  for (let u = 0; u < users; u++) {
    const [local] = user(u).split('@') as [string];
    const account = await store.createAccount({
      address: user(u), upn: user(u), domain: 'EXAMPLE', sam: local, alias: local, ...creds,
      imapEnabled: true, popEnabled: true, smtpEnabled: true, admin: false, disabled: false, shared: false,
    });
    for (const [name, use] of DEFAULT_FOLDERS) {
      const box = await store.createMailbox(account.id, name, use);
      if (name === 'INBOX') inboxes.push(box.id);
    }
  }
  return inboxes;
}

async function seedPostern(store: MailStore, users: number, messages: number): Promise<void> {
  const inboxes = await createUsers(store, users);
  for (const [u, inbox] of inboxes.entries()) {
    for (let i = 0; i < messages; i++) await store.append(inbox, { raw: benchMessage(i, `u${u}`) });
  }
}

async function startPosternTarget(dir: string, users: number, messages: number): Promise<Target> {
  const data = join(dir, 'postern');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'postern.yaml'), stringify(posternConfig()));
  const store = await openStore({ kind: 'sqlite' }, data);
  await seedPostern(store, users, messages);
  await store.close();
  const { child, port } = await spawnPostern(data, 1);
  return { name: 'postern', port, pid: child.pid!, stop: stopper(child) };
}

async function dovecotPasswd(users: number): Promise<string[]> {
  const parsed = configSchema.parse({});
  const hash = await hashPassword(PASSWORD, { scheme: 'argon2id', argon2: parsed.auth.argon2 });
  return Array.from({ length: users }, (_, i) => `${user(i)}:{ARGON2ID}${hash}`);
}

async function startDovecotTarget(dir: string, users: number, messages: number): Promise<Target> {
  const ddir = join(dir, 'dovecot');
  for (let u = 0; u < users; u++) {
    for (let i = 0; i < messages; i++) writeMaildirMessage(ddir, user(u), `1700000000.M${i}P1.bench`, benchMessage(i, `u${u}`));
  }
  const d = await startDovecot({
    dir: ddir,
    peersDir: sharedPeersDir(PROJECT),
    cert: { certPath: join(dir, 'tls', 'cert.pem'), keyPath: join(dir, 'tls', 'key.pem') },
    passwd: await dovecotPasswd(users),
    extra: ['auth_cache_size = 10M', 'auth_cache_ttl = 1 hour', 'service auth-worker {\n  process_limit = 2\n}', 'imap_idle_notify_interval = 2 mins'],
    core: 1,
  });
  return { name: 'dovecot', port: d.imaps, pid: d.pid, stop: () => d.stop() };
}

// ---- scenarios ----------------------------------------------------------------------------------

interface Cell { ops: number; p50: number; p99: number; cpu: number }

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function session(t: Target, u: number, select = true): Promise<LoadImap> {
  const c = await LoadImap.connect(t.port);
  await c.greeting();
  await c.cmd(`LOGIN ${user(u)} "${PASSWORD}"`);
  if (select) await c.cmd('SELECT INBOX');
  return c;
}

/**
 * `clients` sessions run `op` in a loop for `seconds`; each call's latency is recorded. Sessions
 * are opened (logged in, INBOX selected) before the clock starts.
 */
async function phase(t: Target, clients: number, seconds: number, o: Options,
                     op: (c: LoadImap, client: number, k: number) => Promise<void>, fresh = true): Promise<Cell> {
  const sessions = fresh ? await Promise.all(Array.from({ length: clients }, (_, i) => session(t, i))) : [];
  const lat: number[] = [];
  const cpu0 = treeCpuSeconds(t.pid);
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, i) => {
    const c = sessions[i]!;
    for (let k = 0; performance.now() < deadline; k++) {
      const s = performance.now();
      await op(c, i, k);
      lat.push(performance.now() - s);
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = (treeCpuSeconds(t.pid) - cpu0) / elapsed;
  for (const s of sessions) s.close();
  lat.sort((a, b) => a - b);
  void o;
  return { ops: lat.length / elapsed, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), cpu };
}

type Scenario = { name: string; run(t: Target, clients: number, o: Options): Promise<Cell> };

const rnd = (n: number) => 1 + Math.floor(Math.random() * n);

const SCENARIOS: Scenario[] = [
  {
    name: 'LOGIN',
    // A new TLS connection and LOGIN each time (repeat logins: both servers cache verified passwords).
    run: (t, n, o) => phase(t, n, o.seconds, o, async (_c, i) => {
      const c = await LoadImap.connect(t.port);
      await c.greeting();
      await c.cmd(`LOGIN ${user(i)} "${PASSWORD}"`);
      c.close();
    }, false).then(async (cell) => cell),
  },
  { name: 'SELECT', run: (t, n, o) => phase(t, n, o.seconds, o, (c) => c.cmd('SELECT INBOX')) },
  {
    name: 'FETCH headers',
    run: (t, n, o) => phase(t, n, o.seconds, o, (c) => {
      const a = rnd(Math.max(1, o.messages - 10));
      return c.cmd(`UID FETCH ${a}:${a + 9} (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID)])`);
    }),
  },
  { name: 'FETCH body', run: (t, n, o) => phase(t, n, o.seconds, o, (c) => c.cmd(`UID FETCH ${rnd(o.messages)} (BODY.PEEK[])`)) },
  { name: 'STORE', run: (t, n, o) => phase(t, n, o.seconds, o, (c, _i, k) => c.cmd(`UID STORE ${rnd(o.messages)} ${k % 2 ? '-' : '+'}FLAGS.SILENT (\\Flagged)`)) },
  {
    name: 'APPEND',
    run: (t, n, o) => phase(t, n, o.seconds, o, (c, i, k) => {
      const m = benchMessage(100_000 + k, `append${i}x${k}`);
      return c.cmd(Buffer.concat([Buffer.from(`APPEND Archive {${m.length}+}\r\n`), m]));
    }),
  },
  { name: 'SEARCH', run: (t, n, o) => phase(t, n, o.seconds, o, (c, _i, k) => c.cmd(`UID SEARCH TEXT "${WORDS[k % WORDS.length]} ${WORDS[(k + 1) % WORDS.length]}"`)) },
  {
    name: 'EXPUNGE',
    // Appended messages in Archive are flagged and expunged one at a time (UIDPLUS UID EXPUNGE).
    run: async (t, n, o) => {
      const sessions = await Promise.all(Array.from({ length: n }, (_, i) => session(t, i, false)));
      for (const s of sessions) await s.cmd('SELECT Archive');
      const next = sessions.map(() => 1);
      for (const s of sessions) s.close();
      void next;
      return phase(t, n, o.seconds, o, async (c, _i, k) => {
        if (k === 0) await c.cmd('SELECT Archive');
        const found: string[] = [];
        await c.cmd('UID SEARCH RETURN (MIN) UNDELETED', found);
        const min = /MIN (\d+)/.exec(found.join(' '))?.[1];
        if (!min) return;
        await c.cmd(`UID STORE ${min} +FLAGS.SILENT (\\Deleted)`);
        await c.cmd(`UID EXPUNGE ${min}`);
      });
    },
  },
  {
    name: 'IDLE wake-up',
    // Each client idles on INBOX; a second session of the same user appends; the time from the
    // APPEND to the idler's EXISTS is the latency.
    run: async (t, n, o) => {
      const idlers = await Promise.all(Array.from({ length: n }, (_, i) => session(t, i)));
      const writers = await Promise.all(Array.from({ length: n }, (_, i) => session(t, i, false)));
      const lat: number[] = [];
      const cpu0 = treeCpuSeconds(t.pid);
      const t0 = performance.now();
      const deadline = t0 + o.seconds * 1000;
      await Promise.all(idlers.map(async (c, i) => {
        for (let k = 0; performance.now() < deadline; k++) {
          c.send(`i${k} IDLE\r\n`);
          for (;;) if ((await c.line()).startsWith('+')) break;
          const m = benchMessage(200_000 + k, `idle${i}x${k}`);
          const s = performance.now();
          const wrote = writers[i]!.cmd(Buffer.concat([Buffer.from(`APPEND INBOX {${m.length}+}\r\n`), m]));
          for (;;) if (/EXISTS$/.test(await c.line())) break;
          lat.push(performance.now() - s);
          await wrote;
          c.send('DONE\r\n');
          for (;;) if ((await c.line()).startsWith(`i${k} `)) break;
        }
      }));
      const elapsed = (performance.now() - t0) / 1000;
      const cpu = (treeCpuSeconds(t.pid) - cpu0) / elapsed;
      for (const s of [...idlers, ...writers]) s.close();
      lat.sort((a, b) => a - b);
      return { ops: lat.length / elapsed, p50: percentile(lat, 0.5), p99: percentile(lat, 0.99), cpu };
    },
  },
];

// ---- idle memory ------------------------------------------------------------------------------

/** Resident set of a process tree, kB (sum of RSS; PSS too where /proc offers it). */
function treeMemory(rootPid: number): { rssKiB: number; pssKiB: number; processes: number } {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      parents.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  let rss = 0;
  let pss = 0;
  let processes = 0;
  for (const pid of parents.keys()) {
    let p: number | undefined = pid;
    while (p && p !== rootPid && p > 1) p = parents.get(p);
    if (p !== rootPid) continue;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      rss += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      pss += Number(/Pss:\s+(\d+)/.exec(rollup)?.[1] ?? 0);
      processes++;
    } catch { /* gone or not ours to read */ }
  }
  return { rssKiB: rss, pssKiB: pss, processes };
}

async function idleMemory(t: Target, sessions: number, users: number): Promise<{ before: number; after: number; perSessionKiB: number; pss: number; processes: number }> {
  const before = treeMemory(t.pid);
  const open: LoadImap[] = [];
  const batch = 100;
  for (let i = 0; i < sessions; i += batch) {
    const made = await Promise.all(Array.from({ length: Math.min(batch, sessions - i) }, async (_, k) => {
      const c = await session(t, (i + k) % users);
      c.send(`idle IDLE\r\n`);
      for (;;) if ((await c.line()).startsWith('+')) break;
      return c;
    }));
    open.push(...made);
  }
  await new Promise((r) => setTimeout(r, 3000));
  if (global.gc) global.gc();
  const after = treeMemory(t.pid);
  for (const c of open) c.close();
  return {
    before: before.rssKiB, after: after.rssKiB,
    perSessionKiB: (after.rssKiB - before.rssKiB) / sessions,
    pss: after.pssKiB, processes: after.processes,
  };
}

// ---- full-text search on a large mailbox ---------------------------------------------------------

async function ftsBench(dir: string, count: number): Promise<Array<[string, number, number]>> {
  const data = join(dir, 'postern-fts');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'postern.yaml'), stringify(posternConfig()));
  const store = await openStore({ kind: 'sqlite' }, data);
  const [inbox] = await createUsers(store, 1);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await store.append(inbox!, { raw: benchMessage(i, i === count - 7 ? 'zanzibar' : '') });
  const loadSeconds = (performance.now() - t0) / 1000;
  await store.close();
  console.log(`  ${count} messages stored and indexed in ${loadSeconds.toFixed(0)} s (${(count / loadSeconds).toFixed(0)} msg/s)`);
  const { child, port } = await spawnPostern(data, 1);
  const out: Array<[string, number, number]> = [];
  try {
    const c = await session({ name: 'postern', port, pid: child.pid!, stop: async () => {} }, 0);
    for (const q of ['TEXT zanzibar', 'BODY "quick brown fox jumps zanzibar"', 'SUBJECT "Report 4242 about"', 'TEXT "sender17@example"', 'BODY golf']) {
      const lines: string[] = [];
      await c.cmd(`SEARCH RETURN (COUNT) ${q}`); // warm
      const times: number[] = [];
      for (let k = 0; k < 5; k++) {
        const s = performance.now();
        lines.length = 0;
        await c.cmd(`SEARCH RETURN (COUNT) ${q}`, lines);
        times.push(performance.now() - s);
      }
      times.sort((a, b) => a - b);
      out.push([q, Number(/COUNT (\d+)/.exec(lines.join(' '))?.[1] ?? -1), times[2]!]);
    }
    c.close();
  } finally {
    await stopper(child)();
  }
  return out;
}

// ---- main -----------------------------------------------------------------------------------------

export async function runImapBench(args: string[]): Promise<void> {
  const o = parseArgs(args);
  pinSelf(0);
  const users = Math.max(...o.clients);
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-imap-'));
  chmodSync(dir, 0o755); // Dovecot's unprivileged processes read below it
  const want = (what: string) => !o.only || o.only.includes(what);
  console.log(`IMAP benchmark over TLS: ${users} users with ${o.messages} messages (~${benchMessage(1).length} octets) each, ` +
    `${o.seconds} s per cell; argon2id passwords for both servers; ` +
    `${hasTaskset() ? 'server on core 1, load generator on core 0' : 'no taskset: not pinned'}.`);
  const results: Array<[string, Map<string, Cell>]> = [];
  const memory: Array<[string, Awaited<ReturnType<typeof idleMemory>>, number]> = [];
  const running: Target[] = [];
  try {
    await ensureSelfSignedCertificate(dir, 'localhost');
    running.push(await startPosternTarget(dir, users, o.messages));
    if (o.vs === 'dovecot') {
      const why = dovecotAvailable();
      if (why) console.log(`--vs dovecot skipped: ${why}`);
      else running.push(await startDovecotTarget(dir, users, o.messages));
    } else if (o.vs) throw new Error(`--vs ${o.vs}: only dovecot is supported`);
    for (const t of running) {
      results.push([t.name, new Map()]);
      // Warm-up: every user logs in and selects once (first logins pay the full password hash).
      await Promise.all(Array.from({ length: users }, async (_, i) => {
        const c = await session(t, i);
        await c.cmd('CREATE Archive').catch(() => {}); // postern users have it already
        c.close();
      }));
    }
    // Idle sessions first, on servers that have only logged every user in once: the memory
    // they add is what is measured, not caches the command phases fill.
    if (want('idle')) {
      for (const t of running) {
        const n = t.name === 'dovecot' ? Math.min(o.idleDovecot, 4500) : o.idle;
        const m = await idleMemory(t, n, users);
        memory.push([t.name, m, n]);
        console.log(`  ${t.name}: ${n} idle TLS IDLE sessions: RSS ${Math.round(m.before / 1024)} → ${Math.round(m.after / 1024)} MiB (${m.perSessionKiB.toFixed(1)} KiB per session; PSS ${Math.round(m.pss / 1024)} MiB over ${m.processes} processes)`);
      }
    }
    if (want('commands')) {
      // Cells alternate between the servers (both are up, one is loaded at a time), so load from
      // anything else on the machine falls on both alike; with --repeat the rounds alternate too,
      // and each server's best round is kept.
      for (const s of SCENARIOS.filter((x) => !o.scenarios || o.scenarios.includes(x.name.toLowerCase()))) {
        for (const n of o.clients) {
          const best: Array<Cell | null> = running.map(() => null);
          for (let r = 0; r < o.repeat; r++) {
            for (const [k, t] of running.entries()) {
              const cell = await s.run(t, n, o);
              if (!best[k] || cell.ops > best[k]!.ops) best[k] = cell;
            }
          }
          for (const [k, t] of running.entries()) {
            const b = best[k]!;
            results[k]![1].set(`${s.name} × ${n}`, b);
            console.log(`  ${t.name.padEnd(8)} ${s.name.padEnd(14)} × ${String(n).padStart(3)}: ${b.ops.toFixed(0).padStart(6)} ops/s  p50 ${b.p50.toFixed(2)} ms  p99 ${b.p99.toFixed(2)} ms  cpu ${Math.round(b.cpu * 100)}%`);
          }
        }
      }
    }
    for (const t of running.splice(0)) await t.stop();
    if (want('fts') && o.fts > 0) {
      console.log(`\nSEARCH on one mailbox of ${o.fts} messages (postern, SQLite FTS5 trigram index):`);
      const rows = await ftsBench(dir, o.fts);
      console.log(table(['query', 'matches', 'median ms'], rows.map(([q, n, ms]) => [q, String(n), ms.toFixed(1)])));
    }
  } finally {
    for (const t of running) await t.stop();
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`); else rmSync(dir, { recursive: true, force: true });
  }
  if (results.length > 0 && results[0]![1].size > 0) {
    const keys = [...results[0]![1].keys()];
    const rows = keys.map((k) => [k, ...results.flatMap(([, m]) => {
      const c = m.get(k);
      return c ? [c.ops.toFixed(0), c.p50.toFixed(2), c.p99.toFixed(2), `${Math.round(c.cpu * 100)}%`] : ['-', '-', '-', '-'];
    })]);
    console.log('\n' + table(['', ...results.flatMap(([n]) => [`${n} ops/s`, 'p50 ms', 'p99 ms', 'cpu'])], rows));
    console.log('\ncpu = server CPU time / wall time (100% = one core busy).');
  }
  if (memory.length > 0) {
    console.log('\n' + table(['idle IDLE sessions (TLS)', 'sessions', 'RSS before MiB', 'RSS after MiB', 'KiB/session', 'PSS MiB'],
      memory.map(([name, m, n]) => [name, String(n), (m.before / 1024).toFixed(0), (m.after / 1024).toFixed(0), m.perSessionKiB.toFixed(1), (m.pss / 1024).toFixed(0)])));
  }
}
