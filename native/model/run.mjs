#!/usr/bin/env node
// `npm run check:darwin-model`: compiles native/src's darwin files UNCHANGED with clang on Linux
// against a MODEL of the Darwin calls they make (darwin_model.h, darwin_model.cc, include/), runs
// a driver on real loopback sockets under AddressSanitizer and UndefinedBehaviorSanitizer, and
// reports line coverage of the darwin files (llvm-cov), failing below MIN_LINE_COVERAGE.
// The model is no claim of macOS behaviour: it maps each BSD option to the Linux counterpart of
// its documented meaning (IP_BOUND_IF → SO_BINDTODEVICE, IP_RECVPKTINFO → IP_PKTINFO, …), so the
// darwin code's own logic has run before a Mac runs it.
//
// Needs clang, llvm (llvm-profdata, llvm-cov) and compiler-rt (Debian: clang llvm libclang-rt-dev).
// Exit 0 passed; 1 a check, a sanitizer or the coverage floor failed; 3 the toolchain is missing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, '..', 'src');
const log = (m) => process.stderr.write(`check:darwin-model: ${m}\n`);
const MIN_LINE_COVERAGE = 80;
// The darwin files the model runs, and the shared BSD layer they call into (not measured).
const MEASURED = ['socket_darwin.cc'];
const SHARED = ['socket_unix.cc'];

const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
for (const tool of ['clang++', 'llvm-profdata', 'llvm-cov']) {
  if (!onPath(tool)) {
    log(`${tool} not found: install clang, llvm and libclang-rt-dev (Debian)`);
    process.exit(3);
  }
}

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'nc-darwin-model-'));
// process.exit skips `finally`: every way out removes the work folder first.
const fail = (message) => {
  log(`FAILED: ${message}`);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
};
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`);
    fail(`${cmd} ${args.join(' ')} (exit ${r.status ?? r.signal})`);
  }
  return r;
};

try {
  const flags = ['-std=c++17', '-g', '-O1', '-fno-omit-frame-pointer', '-fsanitize=address,undefined',
    '-fno-sanitize-recover=all', '-fprofile-instr-generate', '-fcoverage-mapping', '-Wall', '-Wextra', '-Werror'];
  const darwin = ['-I', join(here, 'include'), '-I', src, '-include', join(here, 'darwin_model.h')];
  const objects = [];
  const compile = (file, extra) => {
    const out = join(work, `${objects.length}.o`);
    run('clang++', [...flags, ...extra, '-c', file, '-o', out]);
    objects.push(out);
  };
  compile(join(here, 'darwin_model.cc'), []);
  for (const f of [...MEASURED, ...SHARED]) compile(join(src, f), darwin);
  compile(join(here, 'driver.cc'), darwin);
  const driver = join(work, 'driver');
  run('clang++', [...flags, ...objects, '-o', driver]);

  const raw = join(work, 'driver.profraw');
  const r = spawnSync(driver, [], {
    encoding: 'utf8',
    env: {
      ...process.env, LLVM_PROFILE_FILE: raw, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1',
    },
  });
  process.stderr.write(r.stderr);
  if (r.status !== 0) fail(`the driver exited ${r.status ?? r.signal} (a check or a sanitizer, above)`);
  const data = join(work, 'driver.profdata');
  run('llvm-profdata', ['merge', '-sparse', raw, '-o', data]);
  const files = [...MEASURED, ...SHARED].map((f) => join(src, f));
  const cov = run('llvm-cov', ['export', driver, `-instr-profile=${data}`, '-summary-only', ...files]);
  const json = JSON.parse(cov.stdout);
  let low = false;
  for (const f of json.data[0].files) {
    const name = f.filename.split('/').pop();
    const { covered, count, percent } = f.summary.lines;
    const measured = MEASURED.includes(name);
    const note = measured ? '' : ', shared BSD layer, not measured';
    log(`${name}: ${covered}/${count} lines (${percent.toFixed(1)} %)${note}`);
    if (measured && percent < MIN_LINE_COVERAGE) low = true;
  }
  if (low) fail(`line coverage of the darwin files under ${MIN_LINE_COVERAGE} %`);
  log(`passed under ASan and UBSan in ${((Date.now() - started) / 1000).toFixed(1)} s (MODEL, not macOS)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
