// Child processes for the store tests: a fixture script run with node (through tsx when the
// tests themselves run from TypeScript), its stdout read line by line.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface Child {
  process: ChildProcess;
  lines: string[];
  /** Resolves with the first line (already seen or yet to come) that satisfies `match`. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  exited: Promise<number | string>;
  stderr(): string;
}

export function runFixture(name: string, args: string[]): Child {
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(`./fixtures/${name}${fromSource ? '.ts' : '.js'}`, import.meta.url));
  const child = spawn(process.execPath, [...(fromSource ? ['--import', 'tsx'] : []), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    lines.push(line);
    for (const w of [...waiters]) w();
  });
  let done = false;
  // 'close', not 'exit': by then every line the child wrote has been read.
  const exited = new Promise<number | string>((resolve) =>
    child.on('close', (code, signal) => {
      done = true;
      resolve(code ?? signal ?? -1);
      for (const w of [...waiters]) w();
    }),
  );
  return {
    process: child,
    lines,
    exited,
    stderr: () => err,
    waitForLine(match, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => finish(new Error(`no matching line from ${name} in ${timeoutMs} ms; stderr: ${err}`)), timeoutMs);
        const finish = (result: string | Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (typeof result === 'string') resolve(result);
          else reject(result);
        };
        const check = () => {
          const line = lines.find(match);
          if (line !== undefined) finish(line);
          else if (done) finish(new Error(`${name} exited without a matching line; stderr: ${err}`));
        };
        waiters.add(check);
        check();
      });
    },
  };
}
