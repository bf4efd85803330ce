// A linear-time guard without a wall-clock budget (a budget fails on a busy CI machine and
// proves nothing on a fast one): four times the input may take at most ten times the CPU time;
// linear takes four, quadratic sixteen. CPU time, not wall time, so other processes on the
// machine do not count; best of three runs per size shrugs off a garbage collection.
import assert from 'node:assert/strict';

export function assertScalesLinearly(run: (n: number) => void, n: number, what: string): void {
  const best = (size: number) => {
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.cpuUsage();
      run(size);
      const used = process.cpuUsage(t0);
      ms = Math.min(ms, (used.user + used.system) / 1000);
    }
    return Math.max(ms, 2); // below a couple of milliseconds the ratio is noise
  };
  const small = best(n);
  const large = best(4 * n);
  assert.ok(large < 10 * small, `${what}: ${n} took ${small.toFixed(1)} ms of CPU, ${4 * n} took ${large.toFixed(1)} ms (×${(large / small).toFixed(1)}; linear is ×4)`);
}
