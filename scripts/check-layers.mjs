#!/usr/bin/env node
// DESIGN.md §1 layer rules, checked on every test run: an import that crosses a forbidden
// boundary fails the build with the file, the import and the rule.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const SRC = resolve('src');
const RULES = [
  { from: 'wire', forbid: ['net', 'auth', 'store', 'server', 'client', 'probe', 'admin', 'config', 'main.ts', 'cli.ts'], why: 'wire/ codecs are pure and import none of our other layers' },
  { from: 'store', forbid: ['server', 'net', 'client', 'probe', 'admin'], why: 'store/ never imports server/ or net/' },
  { from: 'auth', forbid: ['server', 'net', 'client', 'probe', 'admin'], why: 'auth/ never imports server/ or net/' },
  { from: 'client', forbid: ['server', 'store', 'auth', 'admin', 'main.ts', 'cli.ts'], why: 'the client library ships alone: no server/, store/ or auth/' },
  { from: 'probe', forbid: ['server', 'store', 'auth', 'admin', 'main.ts'], why: 'probe/ never imports server/, store/ or auth/' },
  { from: 'net', forbid: ['server', 'auth', 'store', 'admin', 'client', 'probe'], why: 'net/ never imports server/' },
];

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

const layerOf = (file) => relative(SRC, file).split(sep)[0];
const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
const violations = [];
for (const file of walk(SRC)) {
  const from = layerOf(file);
  const rule = RULES.find((r) => r.from === from);
  if (!rule) continue;
  const text = readFileSync(file, 'utf8');
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2];
    if (!spec.startsWith('.')) continue;
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(SRC)) continue;
    const to = layerOf(target).replace(/\.js$/, '.ts');
    if (rule.forbid.includes(to)) violations.push(`${relative('.', file)} imports ${spec}: ${rule.why}`);
  }
}
if (violations.length) {
  console.error(`layer rules broken (DESIGN.md §1):\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log('layer rules hold');
