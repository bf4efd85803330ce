// Shared plumbing for loopback peers: where the configs live, free ports, waiting for a
// listener, finding binaries, and stopping only the processes we started.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import net from 'node:net';
import { spawnSync, type ChildProcess } from 'node:child_process';

/** The repository root (works from test/ under tsx and from dist/test after the build). */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'test', 'peers', 'configs'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root not found from ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

/** A peer config from test/peers/configs (copied from the team's shared/peers folder). */
export function peerConfig(name: string): string {
  return readFileSync(join(repoRoot(), 'test', 'peers', 'configs', name), 'utf8');
}

export function peerConfigPath(name: string): string {
  return join(repoRoot(), 'test', 'peers', 'configs', name);
}

/** Ports the OS says are free right now (bind to 0, read, close). */
export async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  for (let i = 0; i < n; i++) {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    ports.push((s.address() as net.AddressInfo).port);
    servers.push(s);
  }
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** Resolves once host:port accepts a TCP connection; rejects after timeoutMs. */
export async function waitForPort(port: number, timeoutMs = 10_000, host = '127.0.0.1'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host, port });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Absolute path of a program, or null when it is not installed. */
export function which(program: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin', '/bin', '/usr/local/sbin', '/usr/local/bin']) {
    const p = join(dir, program);
    if (existsSync(p)) return p;
  }
  const r = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Why a peer cannot run here, printed so a skipped test says what to install. */
export function skipReason(peer: string, missing: string, debianPackages: string): string {
  const msg = `${peer} peer skipped: ${missing} (install with: apt-get install -y --no-install-recommends ${debianPackages})`;
  console.log(`# ${msg}`);
  return msg;
}

/** Stops a child we spawned in its own process group (detached), and waits for it. */
export async function stopChild(child: ChildProcess, timeoutMs = 5000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  } catch {
    child.kill('SIGTERM');
  }
  const timer = setTimeout(() => {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}
