#!/usr/bin/env node
// Builds the native addon (native/build/Release/netconform_native.node) with node-gyp.
// Run by the package's "install" script, so `npm ci` / `npm install` / `npm rebuild` build
// it on a fresh clone. Uses npm's bundled node-gyp and, when the running Node ships its
// headers (e.g. /usr/include/node), points node-gyp at them so no download is needed.
//
// Missing toolchain (no C++ compiler, make or python3): prints what to install and exits 0,
// so the package still installs and native/index.ts reports the addon as not built.
// A real compile error exits 1. NETCONFORM_SKIP_NATIVE=1 skips the build.
// Warnings are printed and the build goes on: a user's compiler (a newer Xcode, gcc) may warn
// about what ours does not. NETCONFORM_WERROR=1 makes them errors, for this repo's CI only
// (.ci/run; `npm run check:macos` sets the same gyp variable for the macOS cross-compile).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const log = (m) => process.stderr.write(`netconform native: ${m}\n`);

if (process.env.NETCONFORM_SKIP_NATIVE === '1') {
  log('NETCONFORM_SKIP_NATIVE=1: not building the addon');
  process.exit(0);
}

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = [];
if (!onPath(process.env.CXX ?? 'c++') && !onPath('g++') && !onPath('clang++')) missing.push('a C++ compiler (g++)');
if (!onPath('make')) missing.push('make');
if (!onPath('python3') && !onPath('python')) missing.push('python3');
if (missing.length > 0) {
  log(`cannot build the addon: missing ${missing.join(', ')}.`);
  log('native addon not built: run `npm rebuild` after installing a C++ toolchain (g++, make, python3)');
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(
      dirname(process.execPath),
      '..',
      'lib',
      'node_modules',
      'npm',
      'node_modules',
      'node-gyp',
      'bin',
      'node-gyp.js',
    ),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, c];
  if (onPath('node-gyp')) return ['node-gyp'];
  return undefined;
}

const gyp = findNodeGyp();
if (!gyp) {
  log('cannot find node-gyp (npm ships one): native addon not built; run `npm rebuild`');
  process.exit(0);
}

const args = [...gyp.slice(1), 'rebuild', '--jobs=max'];
// node-gyp turns an unknown --flag into a gyp variable (create-config-gypi.js): binding.gyp's
// netconform_werror.
if (process.env.NETCONFORM_WERROR === '1') args.push('--netconform-werror=1');
// Local headers for this exact Node version avoid a download (this machine has no network).
if (!process.env.npm_config_nodedir) {
  const prefix = join(dirname(process.execPath), '..');
  const ver = join(prefix, 'include', 'node', 'node_version.h');
  if (existsSync(ver)) {
    const text = readFileSync(ver, 'utf8');
    const num = (n) => text.match(new RegExp(`#define NODE_${n}_VERSION (\\d+)`))?.[1];
    if (`v${num('MAJOR')}.${num('MINOR')}.${num('PATCH')}` === process.version) args.push(`--nodedir=${prefix}`);
  }
}
const started = Date.now();
log(`building: ${[gyp[0], ...args].join(' ')}`);
const r = spawnSync(gyp[0], args, { cwd: here, stdio: 'inherit', env: process.env });
if (r.status !== 0) {
  log(`build failed (exit ${r.status ?? r.signal}); see the compiler output above`);
  process.exit(1);
}
log(`built native/build/Release/netconform_native.node in ${((Date.now() - started) / 1000).toFixed(1)} s`);
