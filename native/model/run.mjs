#!/usr/bin/env node
// `npm run check:darwin-model`: compiles native/src's darwin files UNCHANGED with clang on Linux
// against a MODEL of the Darwin calls they make, runs them under AddressSanitizer (and
// UndefinedBehaviorSanitizer) and reports line coverage of the darwin files (llvm-cov), failing
// below MIN_LINE_COVERAGE. Two stages (native/model/README.md):
// 1. socket_darwin.cc (+ the shared socket_unix.cc) with darwin_model.h, driven by driver.cc on
//    loopback sockets;
// 2. nwgroup_darwin.cc as a Node addon built with -fblocks against the libdispatch and Network
//    framework models (dispatch_model.cc, nw_model.cc), driven from JS by nwgroup-driver.mjs in a
//    network namespace of its own (unshare -n: root) whose loopback carries multicast.
// The model is no claim of macOS behaviour: it maps each call to the Linux counterpart of its
// documented meaning, so the darwin code's own logic has run before a Mac runs it.
//
// Needs clang, llvm, compiler-rt and the Blocks runtime (Debian: clang llvm libclang-rt-dev
// libblocksruntime-dev), Node's headers, and root for stage 2. Exit 0 passed; 1 a check, a
// sanitizer or the coverage floor failed; 3 something needed is missing (said why).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { findNodeDir } from '../macos-check/gyp-mac.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '..', 'src');
const log = (m) => process.stderr.write(`check:darwin-model: ${m}\n`);
const MIN_LINE_COVERAGE = 80;

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const missing = ['clang++', 'llvm-profdata', 'llvm-cov', 'unshare', 'ip'].filter((t) => !onPath(t));
const nodeDir = findNodeDir();
if (!nodeDir) missing.push('Node headers (include/node/node_api.h)');
if (!existsSync('/usr/include/Block.h')) missing.push('the Blocks runtime (libblocksruntime-dev)');
if (missing.length) {
  log(`cannot run: missing ${missing.join(', ')} (Debian: clang llvm libclang-rt-dev libblocksruntime-dev)`);
  process.exit(3);
}
if (process.getuid?.() !== 0) {
  log('cannot run: stage 2 needs root for a network namespace of its own (unshare -n)');
  process.exit(3);
}

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'nc-darwin-model-'));
// process.exit skips `finally`: every way out removes the work folder first.
const fail = (message) => {
  log(`FAILED: ${message}`);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
};
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    fail(`${cmd} ${args.slice(0, 4).join(' ')} … (exit ${r.status ?? r.signal})`);
  }
  return r;
};
const SAN = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];
const COV = ['-fprofile-instr-generate', '-fcoverage-mapping'];
const UBSAN = 'print_stacktrace=1';
const CXX = ['-std=c++17', '-g', '-O1', '-Wall', '-Wextra', '-Werror', ...SAN, ...COV];
let seq = 0;
const compile = (file, extra) => {
  const out = join(work, `${seq++}-${file.split('/').pop()}.o`);
  run('clang++', [...CXX, ...extra, '-c', file, '-o', out]);
  return out;
};

/** Line coverage of `files` from a profile; fails below the floor for the measured ones. */
function coverage(binary, raw, files, measured) {
  const data = `${raw}.profdata`;
  run('llvm-profdata', ['merge', '-sparse', raw, '-o', data]);
  const paths = files.map((f) => join(src, f));
  const cov = run('llvm-cov', ['export', binary, `-instr-profile=${data}`, '-summary-only', ...paths]);
  for (const f of JSON.parse(cov.stdout).data[0].files) {
    const name = f.filename.split('/').pop();
    const { covered, count, percent } = f.summary.lines;
    const note = measured.includes(name) ? '' : ' (shared BSD layer, not measured)';
    log(`${name}: ${covered}/${count} lines, ${percent.toFixed(1)} %${note}`);
    if (measured.includes(name) && percent < MIN_LINE_COVERAGE) {
      fail(`${name} line coverage under ${MIN_LINE_COVERAGE} %`);
    }
  }
}

// Stage 1: socket_darwin.cc through darwin_model.h.
{
  const darwin = ['-I', join(here, 'include'), '-I', src, '-include', join(here, 'darwin_model.h')];
  const objects = [
    compile(join(here, 'darwin_model.cc'), []),
    compile(join(src, 'socket_darwin.cc'), darwin),
    compile(join(src, 'socket_unix.cc'), darwin),
    compile(join(here, 'driver.cc'), darwin),
  ];
  const driver = join(work, 'driver');
  run('clang++', [...SAN, ...COV, ...objects, '-o', driver]);
  const raw = join(work, 'sockets.profraw');
  const r = spawnSync(driver, [], {
    encoding: 'utf8',
    env: { ...process.env, LLVM_PROFILE_FILE: raw, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: UBSAN },
  });
  process.stderr.write(r.stderr);
  if (r.status !== 0) fail(`the socket driver exited ${r.status ?? r.signal} (a check or a sanitizer, above)`);
  coverage(driver, raw, ['socket_darwin.cc', 'socket_unix.cc'], ['socket_darwin.cc']);
}

// Stage 2: nwgroup_darwin.cc as a Node addon over the libdispatch and Network framework models.
{
  const napi = createRequire(import.meta.url)('node-addon-api').include_dir;
  const addon = [
    '-fPIC',
    '-fblocks',
    '-fexceptions',
    '-DNAPI_VERSION=8',
    '-DNAPI_CPP_EXCEPTIONS',
    '-I',
    join(here, '..', '..', napi),
    '-I',
    join(nodeDir, 'include', 'node'),
    '-I',
    join(here, 'include'),
    '-I',
    src,
  ];
  const objects = ['dispatch_model.cc', 'nw_model.cc', 'nwgroup_addon.cc'].map((f) => compile(join(here, f), addon));
  objects.push(compile(join(src, 'nwgroup_darwin.cc'), addon));
  const node = join(work, 'nwgroup_model.node');
  run('clang++', ['-shared', '-shared-libsan', ...SAN, ...COV, ...objects, '-lBlocksRuntime', '-o', node]);
  const asan = run('clang++', ['-print-file-name=libclang_rt.asan-x86_64.so']).stdout.trim();
  const raw = join(work, 'nwgroup.profraw');
  // Node itself does not free everything at exit, so leak checking is off in this stage.
  const setup = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo';
  const r = spawnSync(
    'unshare',
    ['-n', 'sh', '-c', `${setup} && exec "$0" "$@"`, process.execPath, join(here, 'nwgroup-driver.mjs'), node],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        LD_PRELOAD: asan,
        LLVM_PROFILE_FILE: raw,
        ASAN_OPTIONS: 'detect_leaks=0',
        UBSAN_OPTIONS: UBSAN,
      },
    },
  );
  process.stderr.write(r.stderr);
  if (r.status !== 0) fail(`the NwGroup driver exited ${r.status ?? r.signal} (a check or a sanitizer, above)`);
  coverage(node, raw, ['nwgroup_darwin.cc'], ['nwgroup_darwin.cc']);
}

rmSync(work, { recursive: true, force: true });
log(`passed under ASan and UBSan in ${((Date.now() - started) / 1000).toFixed(1)} s (MODEL, not macOS)`);
