#!/usr/bin/env node
// The package's command: runs the compiled CLI (npm run build makes dist/).
import { main } from '../dist/src/cli.js';
main(process.argv.slice(2)).then((code) => { if (typeof code === 'number') process.exitCode = code; });
