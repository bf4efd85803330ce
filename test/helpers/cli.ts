// Runs the real `postern` command (bin/postern.js over the compiled dist/) as a user would.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './run.js';

/** The project root, whether the test runs from test/ (tsx) or dist/test/ (compiled). */
export const PROJECT_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
})();

export const POSTERN_BIN = resolve(PROJECT_ROOT, 'bin/postern.js');

export function postern(args: string[], options: { input?: string; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(process.execPath, [POSTERN_BIN, ...args], { ...options, timeoutMs: options.timeoutMs ?? 30_000 });
}

/** `postern serve …` in a child process; resolves once listeners.json is written. */
export async function spawnServer(args: string[], dataDir: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<{ child: ChildProcess; output: () => string; listeners: Array<{ protocol: string; security: string; address: string; port: number }> }> {
  // A crashed server leaves its listeners.json behind; don't read the old ports.
  rmSync(join(dataDir, 'listeners.json'), { force: true });
  const child = spawn(process.execPath, [POSTERN_BIN, 'serve', ...args], { cwd: options.cwd ?? PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const path = join(dataDir, 'listeners.json');
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    if (existsSync(path) && readFileSync(path, 'utf8').trim().endsWith(']')) break;
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}: ${out}`);
    if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`no listeners.json: ${out}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, output: () => out, listeners: JSON.parse(readFileSync(path, 'utf8')) };
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await done;
}
