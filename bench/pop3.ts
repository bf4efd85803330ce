// `npm run bench -- pop3 [--vs dovecot] [--seconds S] [--clients 1,10,100] [--size BYTES] [--only REGEX] [--rounds N]`
// (--only keeps the cells whose label matches; --rounds N runs every cell N times, alternating
// between the servers, and keeps each cell's best round — the machine's noise hits both alike; BENCH_NODE_ARGS adds node flags to postern's
// process, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
// POP3 logins/s and RETR MB/s over TLS (and RETR over plaintext) at 1, 10 and 100 clients,
// for postern and — with --vs dovecot — Dovecot 2.3 in its fast login mode, in the same run,
// with the same password scheme and parameters, the same certificate and message, server and
// load generator pinned to different cores. First logins pay the full password hash; repeat
// logins may use each server's verified-credential cache (postern: auth.credentialCacheTtl,
// Dovecot: auth_cache_size).
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { openStore } from '../src/store/index.js';
import { addUser } from '../src/admin/accounts.js';
import { deliverLocal } from '../src/server/delivery/local.js';
import { ensureSelfSignedCertificate } from '../src/net/certificate.js';
import { hashPassword } from '../src/auth/passwords.js';
import { configSchema } from '../src/config/schema.js';
import { LoadPop3, loadFor } from './lib/pop3-load.js';
import { dovecotAvailable, sharedPeersDir, startDovecot, writeMaildirMessage } from './lib/dovecot.js';
import { hasTaskset, pinSelf, table, treeCpuSeconds, waitForPort } from './lib/system.js';

const PROJECT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
})();

interface Target { name: string; pop3: number; pop3s: number; pid: number; stop(): Promise<void> }

interface Options { vs: string | null; seconds: number; clients: number[]; size: number; users: number; only: RegExp | null; rounds: number }

function parseArgs(args: string[]): Options {
  const o: Options = { vs: null, seconds: 4, clients: [1, 10, 100], size: 1 << 20, users: 100, only: null, rounds: 1 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const v = args[i + 1];
    if (a === '--vs') { o.vs = v ?? null; i++; } else if (a === '--seconds') { o.seconds = Number(v); i++; } else if (a === '--clients') { o.clients = v!.split(',').map(Number); i++; } else if (a === '--size') { o.size = Number(v); i++; } else if (a === '--only') { o.only = new RegExp(v!, 'i'); i++; } else if (a === '--rounds') { o.rounds = Math.max(1, Number(v)); i++; } else throw new Error(`unknown option ${a}`);
  }
  o.users = Math.max(...o.clients);
  return o;
}

/** A text message of about `size` octets: headers and 76-character lines, CRLF. */
function benchMessage(size: number): Buffer {
  const head = 'From: bench@example.test\r\nTo: user@example.test\r\nSubject: POP3 benchmark message\r\nMessage-ID: <bench@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n';
  const line = 'The quick brown fox jumps over the lazy dog; 0123456789 abcdefghijklmnopqrst\r\n';
  return Buffer.from(head + line.repeat(Math.ceil((size - head.length) / line.length)));
}

const user = (i: number) => `bench${i}@example.test`;
const PASSWORD = 'Bench password 1!';

async function startPostern(dir: string, o: Options, msg: Buffer): Promise<Target> {
  const data = join(dir, 'postern');
  const config = {
    hostname: 'localhost',
    pop3: { unencryptedOrTLSBindings: ['127.0.0.1:0'], sslBindings: ['127.0.0.1:0'], loginType: 'PlainTextLogin', maxConnectionsPerUserIp: 10000 },
    imap: { enabled: false }, submission: { enabled: false }, lmtp: { enabled: false },
    limits: { maxConnectionsPerIp: 10000 },
  };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(data, { recursive: true });
  writeFileSync(join(data, 'postern.yaml'), stringify(config));
  const parsed = configSchema.parse(config);
  const store = await openStore({ kind: 'sqlite' }, data);
  const policy = { hash: { scheme: 'argon2id' as const, argon2: parsed.auth.argon2 }, scramIterations: parsed.auth.scramIterations };
  for (let i = 0; i < o.users; i++) {
    await addUser(store, { address: user(i), password: PASSWORD }, policy);
    await deliverLocal(store, user(i), msg);
  }
  await store.close();
  const nodeArgs = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const args = [...nodeArgs, resolve(PROJECT, 'bin/postern.js'), 'serve', '--data', data];
  const child: ChildProcess = hasTaskset()
    ? spawn('taskset', ['-c', '1', process.execPath, ...args], { stdio: 'ignore', detached: true })
    : spawn(process.execPath, args, { stdio: 'ignore', detached: true });
  const listeners = join(data, 'listeners.json');
  for (let i = 0; i < 200 && !existsSync(listeners); i++) await new Promise((r) => setTimeout(r, 100));
  const all = JSON.parse((await import('node:fs')).readFileSync(listeners, 'utf8')) as Array<{ protocol: string; security: string; port: number }>;
  const pop3 = all.find((l) => l.security === 'starttls')!.port;
  const pop3s = all.find((l) => l.security === 'tls')!.port;
  await waitForPort(pop3s);
  return {
    name: 'postern', pop3, pop3s, pid: child.pid!,
    async stop() {
      const done = new Promise((r) => child.once('exit', r));
      try { process.kill(-child.pid!, 'SIGTERM'); } catch { child.kill('SIGTERM'); }
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
    },
  };
}

async function startDovecotTarget(dir: string, o: Options, msg: Buffer, certDir: string): Promise<Target> {
  const parsed = configSchema.parse({});
  const hash = (await hashPassword(PASSWORD, { scheme: 'argon2id', argon2: parsed.auth.argon2 }));
  const ddir = join(dir, 'dovecot');
  const passwd: string[] = [];
  for (let i = 0; i < o.users; i++) {
    passwd.push(`${user(i)}:{ARGON2ID}${hash}`);
    writeMaildirMessage(ddir, user(i), `1700000000.M1P1.bench`, msg);
  }
  const d = await startDovecot({
    dir: ddir,
    peersDir: sharedPeersDir(PROJECT),
    cert: { certPath: join(certDir, 'tls', 'cert.pem'), keyPath: join(certDir, 'tls', 'key.pem') },
    passwd,
    extra: ['auth_cache_size = 10M', 'auth_cache_ttl = 1 hour', 'service auth-worker {\n  process_limit = 2\n}'],
    core: 1,
  });
  return { name: 'dovecot', pop3: d.pop3, pop3s: d.pop3s, pid: d.pid, stop: () => d.stop() };
}

async function loginOnce(t: Target, i: number): Promise<void> {
  const c = await LoadPop3.connect(t.pop3s, true);
  await c.readLine();
  await c.command(`USER ${user(i)}`);
  await c.command(`PASS ${PASSWORD}`);
  await c.command('QUIT');
  c.close();
}

interface Cell { value: number; cpu: number; load: number }

async function measure(t: Target, fn: () => Promise<number>): Promise<Cell> {
  const cpu0 = treeCpuSeconds(t.pid);
  const load0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const load = process.cpuUsage(load0);
  return { value, cpu: (treeCpuSeconds(t.pid) - cpu0) / elapsed, load: (load.user + load.system) / 1e6 / elapsed };
}

async function scenarios(t: Target, o: Options, firstRound: boolean): Promise<Map<string, Cell>> {
  const out = new Map<string, Cell>();
  const want = (label: string) => !o.only || o.only.test(label);
  // First logins: every user once, 10 at a time — each pays the full argon2id verification.
  // Always run in the first round (whatever --only says): it is also what makes the later
  // logins repeat logins. Later rounds would measure cached logins, so they skip it.
  if (firstRound) out.set('first logins/s (TLS)', await measure(t, async () => {
    const t0 = Date.now();
    let next = 0;
    await Promise.all(Array.from({ length: 10 }, async () => {
      while (next < o.users) await loginOnce(t, next++);
    }));
    return o.users / ((Date.now() - t0) / 1000);
  }));
  for (const n of o.clients) {
    if (want(`repeat logins/s (TLS) × ${n}`)) out.set(`repeat logins/s (TLS) × ${n}`, await measure(t, async () => {
      const r = await loadFor(n, o.seconds, async (i, stop) => {
        let k = 0;
        while (!stop()) { await loginOnce(t, i % o.users); k++; }
        return k;
      });
      return r.units / r.elapsed;
    }));
  }
  for (const [label, useTls] of [['RETR MB/s (TLS)', true], ['RETR MB/s (plain)', false]] as const) {
    for (const n of o.clients) {
      if (!want(`${label} × ${n}`)) continue;
      // Every client is logged in before the clock starts: the cell times RETR alone.
      const sessions = await Promise.all(Array.from({ length: n }, async (_, i) => {
        const c = await LoadPop3.connect(useTls ? t.pop3s : t.pop3, useTls);
        await c.readLine();
        await c.command(`USER ${user(i % o.users)}`);
        await c.command(`PASS ${PASSWORD}`);
        return c;
      }));
      out.set(`${label} × ${n}`, await measure(t, async () => {
        const r = await loadFor(n, o.seconds, async (i, stop) => {
          let bytes = 0;
          while (!stop()) bytes += await sessions[i]!.retr(1);
          return bytes;
        });
        return r.units / r.elapsed / 1e6;
      }));
      await Promise.all(sessions.map(async (c) => { await c.command('QUIT').catch(() => undefined); c.close(); }));
    }
  }
  return out;
}

export async function runPop3Bench(args: string[]): Promise<void> {
  const o = parseArgs(args);
  pinSelf(0);
  const dir = mkdtempSync(join(tmpdir(), 'postern-bench-pop3-'));
  chmodSync(dir, 0o755); // Dovecot's unprivileged auth and mail processes read below it
  const msg = benchMessage(o.size);
  const argon = configSchema.parse({}).auth.argon2;
  console.log(`POP3 benchmark: ${o.users} users, one ${msg.length}-octet message each, ${o.seconds} s per cell; ` +
    `passwords argon2id m=${argon.memoryKiB} KiB t=${argon.iterations} p=${argon.parallelism} (OWASP minimum) for both servers; ` +
    `${hasTaskset() ? 'server on core 1, load generator on core 0' : 'no taskset: not pinned'}.`);
  const results: Array<[string, Map<string, Cell>]> = [];
  try {
    await ensureSelfSignedCertificate(dir, 'localhost');
    const targets: Array<() => Promise<Target>> = [() => startPostern(dir, o, msg)];
    if (o.vs === 'dovecot') {
      const why = dovecotAvailable();
      if (why) console.log(`--vs dovecot skipped: ${why}`);
      else targets.push(() => startDovecotTarget(dir, o, msg, dir));
    } else if (o.vs) {
      throw new Error(`--vs ${o.vs}: only dovecot is supported`);
    }
    const started: Target[] = [];
    try {
      for (const start of targets) started.push(await start());
      for (let round = 0; round < o.rounds; round++) {
        for (const t of started) {
          const cells = await scenarios(t, o, round === 0);
          const best = results.find(([name]) => name === t.name)?.[1];
          if (!best) { results.push([t.name, cells]); continue; }
          for (const [k, c] of cells) if (c.value > best.get(k)!.value) best.set(k, c);
        }
      }
    } finally {
      for (const t of started) await t.stop();
    }
  } finally {
    if (process.env.BENCH_KEEP) console.log(`kept ${dir}`); else rmSync(dir, { recursive: true, force: true });
  }
  const rows = [...results[0]![1].keys()].map((k) => [k, ...results.flatMap(([, m]) => {
    const c = m.get(k)!;
    return [c.value.toFixed(1), `${Math.round(c.cpu * 100)}%`, `${Math.round(c.load * 100)}%`];
  })]);
  console.log('\n' + table(['', ...results.flatMap(([n]) => [n, 'cpu', 'load'])], rows));
  console.log('\ncpu = server CPU time / wall time (100% = one core busy); load = the same for the load generator' +
    ' (near 100%: the figure is bounded by the generator, not the server).');
}
