// Preloaded into every test process. On CI the property tests run with one fixed seed, so a
// submission's result does not depend on the draw; locally each run draws anew to find new
// cases. FC_SEED=N reproduces a reported counterexample either way.
import fc from 'fast-check';

const seed = process.env.FC_SEED ?? (process.env.CI ? '20261125' : undefined);
if (seed !== undefined) fc.configureGlobal({ seed: Number(seed) });
