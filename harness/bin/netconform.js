#!/usr/bin/env node
// Entry point. Starts the compiled CLI in dist/ (built at install by harness/bin/compile.ts)
// when it is fresh, else the TypeScript sources through tsx, so an edited source file is never
// shadowed by an older build: dist/stamp.json lists each source file the bundle was built from
// with its mtime and size, and one differing (or missing) file means "stale". The check is
// one stat per listed file (~170), a few milliseconds, and runs on every start, installed or
// not. NETCONFORM_LOADER=source forces tsx; NETCONFORM_LOADER=compiled refuses to fall back.
// NETCONFORM_DEBUG_LOADER=1 prints which one started, and why, on stderr.
import { readFileSync, statSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const forced = process.env.NETCONFORM_LOADER;

/** Why dist/ cannot be used, or undefined when it is fresh. */
function staleReason() {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(new URL('dist/stamp.json', root), 'utf8'));
  } catch {
    return 'dist/ is not built (npm run build)';
  }
  for (const [path, mtimeMs, size] of stamp.files) {
    let s;
    try {
      s = statSync(new URL(path, root));
    } catch {
      return `${path} is gone since the build`;
    }
    if (s.mtimeMs !== mtimeMs || s.size !== size) return `${path} changed since the build`;
  }
  return undefined;
}

const reason = forced === 'source' ? 'NETCONFORM_LOADER=source' : staleReason();
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
