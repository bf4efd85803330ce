#!/usr/bin/env node
// Runs every compiled test file with node's test runner, spec output plus one closing
// "N passed, N failed" line. Usage: node scripts/run-tests.mjs [path-filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.test.js')) out.push(p);
  }
  return out;
}
const filters = process.argv.slice(2);
const files = walk('dist/test').filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))).sort();
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
const concurrency = process.env.TEST_CONCURRENCY ?? '3';
const r = spawnSync(process.execPath, [
  '--import', './scripts/test-setup.mjs',
  '--test', `--test-concurrency=${concurrency}`,
  '--test-reporter=spec', '--test-reporter-destination=stdout',
  '--test-reporter=./scripts/summary-reporter.mjs', '--test-reporter-destination=stdout',
  ...files,
], { stdio: 'inherit' });
process.exit(r.status ?? 1);
