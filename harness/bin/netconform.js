#!/usr/bin/env node
// Entry point. Starts the compiled CLI in dist/ (built at install by harness/bin/compile.ts)
// when it is fresh, else the TypeScript sources through tsx, so an edited source file is never
// shadowed by an older build (./dist-stamp.js says which, on every start, installed or not).
// NETCONFORM_LOADER=source forces tsx; NETCONFORM_LOADER=compiled exits 3 rather than fall back.
// NETCONFORM_DEBUG_LOADER=1 prints which one started, and why, on stderr.
import { fileURLToPath } from 'node:url';
import { staleReason } from './dist-stamp.js';

const forced = process.env.NETCONFORM_LOADER;
const reason = forced === 'source' ? 'NETCONFORM_LOADER=source' : staleReason(fileURLToPath(new URL('../../', import.meta.url)));
if (reason !== undefined && forced === 'compiled') {
  process.stderr.write(`netconform: NETCONFORM_LOADER=compiled, but ${reason}\n`);
  process.exit(3);
}
if (process.env.NETCONFORM_DEBUG_LOADER === '1') {
  process.stderr.write(reason === undefined ? 'netconform: loader compiled (dist/)\n' : `netconform: loader source (tsx): ${reason}\n`);
}

let main;
if (reason === undefined) {
  ({ main } = await import('../../dist/netconform.mjs'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
const code = await main(process.argv.slice(2));
// Let stdout drain, then exit with the run's code (open handles must not keep us alive).
process.stdout.write('', () => process.exit(code));
