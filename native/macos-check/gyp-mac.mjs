// What a Mac's `node-gyp rebuild` compiles, read from gyp itself: runs node-gyp's own gyp on
// native/binding.gyp with the Makefile generator in its mac flavour (`-f make-mac`, the
// generator node-gyp uses on macOS) and OS=mac, then reads the generated
// netconform_native.target.mk. So the source list (every `OS=='mac'` source, including
// files added later), the defines (NAPI_VERSION, BUILDING_NODE_EXTENSION,
// NODE_GYP_MODULE_NAME, _DARWIN_USE_64_BIT_INODE, __APPLE_USE_RFC_3542, NAPI_CPP_EXCEPTIONS)
// and the flags (xcode_settings translated by gyp's xcode_emulation: -std=c++17, exceptions,
// -Werror, which binding.gyp adds for netconform_werror=1 as CI builds, -mmacosx-version-min) are
// gyp's, not a copy kept here.
//
// Differences from a real Mac, on purpose and small:
// - gyp's xcode_emulation insists on an Xcode version (`xcodebuild -version`); a two-line
//   stand-in on PATH answers it. `xcrun` is absent, so no -isysroot: zig supplies the SDK
//   headers instead.
// - config.gypi is made from this Node's process.config (as node-gyp does) with the
//   variables a macOS Node differs in that common.gypi reads: target_arch/host_arch and
//   clang=1.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** node-gyp's folder (npm ships one beside the running Node). */
export function findNodeGypDir() {
  const candidates = [
    process.env.npm_config_node_gyp && dirname(dirname(process.env.npm_config_node_gyp)),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp'),
    join(dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp'),
  ];
  return candidates.find((c) => c && existsSync(join(c, 'gyp', 'gyp_main.py')));
}

/** A prefix whose include/node has node_api.h and common.gypi (e.g. /usr for /usr/include/node). */
export function findNodeDir() {
  const candidates = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..'), '/usr'];
  return candidates.find(
    (c) =>
      c &&
      existsSync(join(c, 'include', 'node', 'node_api.h')) &&
      existsSync(join(c, 'include', 'node', 'common.gypi')),
  );
}

/** One `NAME := \` block of a gyp-generated makefile, as a list of words (quotes removed). */
function makeVar(text, name) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`${name} :=`));
  if (start < 0) throw new Error(`gyp output has no ${name}`);
  const words = [];
  let line = lines[start].slice(`${name} :=`.length);
  for (let i = start; ; ) {
    const more = line.trimEnd().endsWith('\\');
    const body = more ? line.trimEnd().slice(0, -1) : line;
    for (const w of body.trim().split(/\s+/)) if (w) words.push(w.replace(/^'(.*)'$/, '$1'));
    if (!more) break;
    line = lines[++i];
  }
  return words;
}

/** Removes `-arch X` pairs (zig takes the architecture from -target). */
const dropArch = (flags) => flags.filter((f, i) => f !== '-arch' && flags[i - 1] !== '-arch');

const SOURCE_EXTENSIONS = ['.cc', '.cpp', '.cxx', '.c', '.mm', '.m'];

/**
 * Runs gyp for one macOS architecture ('arm64' or 'x64') and returns what the Mac build
 * compiles and links: sources (paths relative to nativeDir) and the flag lists per language.
 */
export function macBuildFlags({ nativeDir, workDir, arch }) {
  const gypDir = findNodeGypDir();
  if (!gypDir) throw Object.assign(new Error('cannot find node-gyp (npm ships one)'), { code: 'ENOGYP' });
  const nodeDir = findNodeDir();
  if (!nodeDir)
    throw Object.assign(
      new Error('no Node headers (include/node/node_api.h and common.gypi) beside this Node or in /usr'),
      { code: 'ENOHEADERS' },
    );

  mkdirSync(join(workDir, 'bin'), { recursive: true });
  const xcodebuild = join(workDir, 'bin', 'xcodebuild');
  writeFileSync(
    xcodebuild,
    '#!/bin/sh\n# stand-in for gyp\'s xcode_emulation version probe\necho "Xcode 15.4"\necho "Build version 15F31d"\n',
  );
  chmodSync(xcodebuild, 0o755);

  const config = JSON.parse(JSON.stringify(process.config));
  config.target_defaults = {
    ...(config.target_defaults ?? {}),
    cflags: [],
    defines: [],
    include_dirs: [],
    libraries: [],
    default_configuration: 'Release',
  };
  config.variables = {
    ...(config.variables ?? {}),
    target_arch: arch,
    host_arch: arch,
    clang: 1,
    nodedir: nodeDir,
    standalone_static_library: 1,
  };
  const configGypi = join(workDir, 'config.gypi');
  writeFileSync(
    configGypi,
    JSON.stringify(config, (_k, v) => (typeof v === 'boolean' ? String(v) : v), 2),
  );

  const out = join(workDir, 'gyp');
  const args = [
    join(gypDir, 'gyp', 'gyp_main.py'),
    'binding.gyp',
    '-f',
    'make-mac',
    '-DOS=mac',
    '-I',
    configGypi,
    '-I',
    join(gypDir, 'addon.gypi'),
    '-I',
    join(nodeDir, 'include', 'node', 'common.gypi'),
    '-Dlibrary=shared_library',
    '-Dvisibility=default',
    `-Dnode_root_dir=${nodeDir}`,
    `-Dnode_gyp_dir=${gypDir}`,
    `-Dnode_lib_file=${join(nodeDir, '$(Configuration)', 'node.lib')}`,
    `-Dmodule_root_dir=${nativeDir}`,
    '-Dnode_engine=v8',
    '--depth=.',
    '--no-parallel',
    // CI's build: warnings are errors (a user's install only prints them; binding.gyp).
    '-Dnetconform_werror=1',
    '--generator-output',
    out,
    '-Goutput_dir=.',
  ];
  const python = ['python3', 'python'].find((p) => spawnSync(p, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!python) throw Object.assign(new Error('gyp needs python3'), { code: 'ENOPYTHON' });
  const r = spawnSync(python, args, {
    cwd: nativeDir,
    encoding: 'utf8',
    env: {
      ...process.env,
      PATH: `${join(workDir, 'bin')}:${process.env.PATH}`,
      PYTHONPATH: join(gypDir, 'gyp', 'pylib'),
    },
  });
  if (r.status !== 0)
    throw Object.assign(new Error(`gyp -f make-mac failed (exit ${r.status}):\n${r.stderr}${r.stdout}`), {
      code: 'EGYP',
    });

  const mkName = readdirSync(out).find((f) => f.endsWith('.target.mk') && !f.startsWith('node_addon_api'));
  if (!mkName) throw Object.assign(new Error(`gyp wrote no target makefile in ${out}`), { code: 'EGYP' });
  const mk = readFileSync(join(out, mkName), 'utf8');
  const expand = (words) => words.map((w) => w.replaceAll('$(srcdir)', nativeDir));

  const sources = makeVar(mk, 'OBJS').map((o) => {
    const stem = o.replace(/^\$\(obj\)\.target\/\$\(TARGET\)\//, '').replace(/\.o$/, '');
    const ext = SOURCE_EXTENSIONS.find((e) => existsSync(join(nativeDir, stem + e)));
    if (!ext)
      throw Object.assign(
        new Error(`gyp lists ${o} but no ${stem}{${SOURCE_EXTENSIONS.join(',')}} exists in ${nativeDir}`),
        { code: 'ENOSRC' },
      );
    return stem + ext;
  });
  return {
    sources,
    target: mkName.replace(/\.target\.mk$/, ''),
    defines: makeVar(mk, 'DEFS_Release'),
    includes: expand(makeVar(mk, 'INCS_Release')),
    cflags: dropArch(makeVar(mk, 'CFLAGS_Release')),
    cflagsC: makeVar(mk, 'CFLAGS_C_Release'),
    cflagsCC: makeVar(mk, 'CFLAGS_CC_Release'),
    cflagsObjC: makeVar(mk, 'CFLAGS_OBJC_Release'),
    cflagsObjCC: makeVar(mk, 'CFLAGS_OBJCC_Release'),
    ldflags: dropArch(makeVar(mk, 'LDFLAGS_Release')).filter((f) => !f.startsWith('-L$(builddir)')),
    libs: makeVar(mk, 'LIBS'),
  };
}
