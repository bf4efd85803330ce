// A linear-time guard without a wall-clock budget (a budget fails on a busy CI machine and
// proves nothing on a fast one): four times the input may take at most eight times as long;
// a quadratic algorithm takes sixteen. Best of three runs per size shrugs off a busy moment.
import assert from 'node:assert/strict';

export function assertScalesLinearly(run: (n: number) => void, n: number, what: string): void {
  const best = (size: number) => {
    let ms = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      run(size);
      ms = Math.min(ms, performance.now() - t0);
    }
    return Math.max(ms, 1); // below a millisecond the ratio is noise
  };
  const small = best(n);
  const large = best(4 * n);
  assert.ok(large < 8 * small, `${what}: ${n} took ${small.toFixed(1)} ms, ${4 * n} took ${large.toFixed(1)} ms (×${(large / small).toFixed(1)}; linear is ×4)`);
}
