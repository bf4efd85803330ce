// Process-level helpers for benchmarks: CPU pinning, CPU time of a process tree, free ports.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';

const TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) used so far by pid and all its descendants. */
export function treeCpuSeconds(rootPid: number): number {
  const parents = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(name), Number(fields[1]));
      // utime + stime, plus cutime + cstime: children that already exited and were reaped
      // (Dovecot's per-session processes) count through their parent.
      cpu.set(Number(name), (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS);
    } catch { /* gone */ }
  }
  let total = 0;
  for (const [pid, seconds] of cpu) {
    let p: number | undefined = pid;
    while (p && p !== rootPid && p > 1) p = parents.get(p);
    if (p === rootPid) total += seconds;
  }
  return total;
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['--version']).status === 0;
}

/** Pins this process (the load generator) to one core, leaving the other to the server. */
export function pinSelf(core: number): void {
  if (hasTaskset()) spawnSync('taskset', ['-a', '-cp', String(core), String(process.pid)]);
}

export async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => s.once('listening', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
