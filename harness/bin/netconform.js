#!/usr/bin/env node
// Entry point. `netconform --version` (or `-V`) alone is answered here, from package.json, before
// anything else is loaded: it is the start-up users time, and the CLI would print the same (its
// VERSION, harness/runner/environment.ts, reads this package.json too). Anything else starts
// the compiled CLI in dist/ (built at install by harness/bin/compile.ts) when it is fresh, else
// the TypeScript sources through tsx, so an edited source file is never shadowed by an older
// build. Fresh is checked (./dist-stamp.js, ~190 stats: a few milliseconds, see the startup
// bench) in a git checkout, where sources change under a build; an installed package (no .git
// beside package.json) is replaced whole by npm, whose install script rebuilds dist/, so there
// dist/ is used whenever it is there.
// NETCONFORM_LOADER=source forces tsx; NETCONFORM_LOADER=compiled exits 3 rather than fall back.
// NETCONFORM_DEBUG_LOADER=1 prints which one started, and why, on stderr.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../../', import.meta.url);
const argv = process.argv.slice(2);
const debug = process.env.NETCONFORM_DEBUG_LOADER === '1';

if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  if (debug) process.stderr.write('netconform: no loader: --version is answered by the bin, from package.json\n');
  process.stdout.write(`${JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).version}\n`);
} else {
  await start();
}

async function start() {
  const { staleReason } = await import('./dist-stamp.js');
  const rootPath = fileURLToPath(root);
  const forced = process.env.NETCONFORM_LOADER;
  const checkout = existsSync(new URL('.git', root));
  const reason =
    forced === 'source'
      ? 'NETCONFORM_LOADER=source'
      : checkout
        ? staleReason(rootPath)
        : existsSync(new URL('dist/netconform.mjs', root))
          ? undefined
          : 'dist/ is not built (npm rebuild netconform)';
  if (reason !== undefined && forced === 'compiled') {
    process.stderr.write(`netconform: NETCONFORM_LOADER=compiled, but ${reason}\n`);
    process.exit(3);
  }
  if (debug) {
    const which = checkout ? 'checked against the sources' : 'an installed package: not checked against the sources';
    process.stderr.write(
      reason === undefined
        ? `netconform: loader compiled (dist/, ${which})\n`
        : `netconform: loader source (tsx): ${reason}\n`,
    );
  }

  let main;
  if (reason === undefined) {
    ({ main } = await import('../../dist/netconform.mjs'));
  } else {
    const { register } = await import('tsx/esm/api');
    register();
    ({ main } = await import('../cli/main.ts'));
  }
  const code = await main(argv);
  // Let stdout drain, then exit with the run's code (open handles must not keep us alive).
  process.stdout.write('', () => process.exit(code));
}
