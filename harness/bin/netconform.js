#!/usr/bin/env node
// Entry point. Starts the compiled CLI in dist/ (built at install by harness/bin/compile.ts)
// when it is fresh, else the TypeScript sources through tsx, so an edited source file is never
// shadowed by an older build. Fresh is checked (./dist-stamp.js, ~190 stats: about a tenth of a
// bare `node -e 0`, see the startup bench) in a git checkout, where sources change under a
// build; an installed package (no .git beside package.json) is replaced whole by npm, whose
// install script rebuilds dist/, so there dist/ is used whenever it is there.
// NETCONFORM_LOADER=source forces tsx; NETCONFORM_LOADER=compiled exits 3 rather than fall back.
// NETCONFORM_DEBUG_LOADER=1 prints which one started, and why, on stderr.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { staleReason } from './dist-stamp.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const forced = process.env.NETCONFORM_LOADER;
const checkout = existsSync(join(root, '.git'));
const reason =
  forced === 'source' ? 'NETCONFORM_LOADER=source'
  : checkout ? staleReason(root)
  : existsSync(join(root, 'dist', 'netconform.mjs')) ? undefined
  : 'dist/ is not built (npm rebuild netconform)';
if (reason !== undefined && forced === 'compiled') {
  process.stderr.write(`netconform: NETCONFORM_LOADER=compiled, but ${reason}\n`);
  process.exit(3);
}
if (process.env.NETCONFORM_DEBUG_LOADER === '1') {
  const which = checkout ? 'checked against the sources' : 'an installed package: not checked against the sources';
  process.stderr.write(reason === undefined ? `netconform: loader compiled (dist/, ${which})\n` : `netconform: loader source (tsx): ${reason}\n`);
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
