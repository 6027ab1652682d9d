/**
 * Builds the compiled CLI that harness/bin/netconform.js starts when it is fresh: dist/, one
 * ES module bundle of harness/, suites/ and native/index.ts (esbuild, code-split so `--help`
 * loads only the commander program), with node_modules left as ordinary imports.
 *
 * Run by the package's `install` script after the addon (`npm ci` / `npm install` in a clone,
 * `npm install <tarball>` for a user, who has no devDependencies: hence esbuild, a runtime
 * dependency pinned to the range tsx itself uses, so there is one copy), and by `npm run build`.
 * Why a bundle: starting through tsx costs its loader hooks and one transform-cache lookup per
 * module (~180 modules); a bundle is a handful of plain files.
 *
 * The bundle keeps the source tree's meaning of `import.meta.url`: every `import.meta.url` in a
 * source file becomes that file's own URL (relative to the bundle, which sits in dist/, so it
 * resolves to the shipped source file). Paths built from it (profiles/, package.json,
 * native/build/, the tools suites start with tsx) therefore point where they do from source.
 * The scenario registry's directory listing becomes a list made here with the registry's own
 * `scenarioFilesIn`, each scenario described by its fields as JSON (`scenarioMeta`) and its file
 * imported only when it runs, handed over by `useBuiltinScenarios`.
 *
 * dist/stamp.json lists every source file the bundle was built from (and the suites/ folders,
 * whose listing is the registry, this script and the lockfile) with mtime and size; the bin
 * compares them at start and runs the TypeScript through tsx instead when anything differs
 * (harness/bin/dist-stamp.js).
 */
import { build, type Plugin } from 'esbuild';
import { existsSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';

import { loaderSchemas, precompiledModule, standaloneValidators } from '../loader/standalone.ts';
import { loadRegistry, scenarioFilesIn, scenarioMeta, type ScenarioMeta } from '../runner/registry.ts';

const root = resolve(import.meta.dirname, '../..');
const dist = join(root, 'dist');
const ENTRY = 'netconform:entry';
const SCENARIOS = 'netconform:scenarios';

/** The `import.meta.url` of a source file, as seen from a bundle file in dist/. */
const sourceUrlPlugin: Plugin = {
  name: 'source-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const fromDist = relative(dist, args.path).split('\\').join('/');
      return {
        contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`),
        loader: 'ts',
      };
    });
  },
};

/**
 * harness/loader/precompiled.ts becomes the validators Ajv generates now for every shipped
 * schema (standalone code), so a `validate` does not compile them at start.
 */
function precompiledValidators(moduleText: string): Plugin {
  const target = join(root, 'harness/loader/precompiled.ts');
  return {
    name: 'netconform-precompiled-validators',
    setup(b) {
      b.onLoad({ filter: /precompiled\.ts$/ }, (args) =>
        args.path === target ? { contents: moduleText, loader: 'js', resolveDir: dirname(target) } : undefined,
      );
    },
  };
}

/**
 * The entry (main + the registry hand-over) and the module describing every shipped scenario:
 * its stored fields (`scenarioMeta`) and an import of its file, made when it runs.
 */
function virtualModules(scenarios: { family: string; file: string; meta: ScenarioMeta }[]): Plugin {
  const entry = [
    `import { useBuiltinScenarios } from './harness/runner/registry.ts';`,
    `export { main } from './harness/cli/main.ts';`,
    `useBuiltinScenarios(async () => (await import(${JSON.stringify(SCENARIOS)})).scenarios);`,
  ].join('\n');
  const all = [
    `export const scenarios = [`,
    ...scenarios.map(
      (s) =>
        `  { family: ${JSON.stringify(s.family)}, file: ${JSON.stringify(s.file)}, meta: ${JSON.stringify(s.meta)}, load: () => import(${JSON.stringify(`./suites/${s.family}/${s.file}`)}) },`,
    ),
    `];`,
  ].join('\n');
  return {
    name: 'netconform-virtual',
    setup(b) {
      b.onResolve({ filter: /^netconform:/ }, (args) => ({ path: args.path, namespace: 'netconform' }));
      b.onLoad({ filter: /.*/, namespace: 'netconform' }, (args) => ({
        contents: args.path === ENTRY ? entry : all,
        loader: 'ts',
        resolveDir: root,
      }));
    },
  };
}

/** What the bin compares at start (./dist-stamp.js): [path relative to `pkgRoot`, mtimeMs, size]. */
export async function stampOf(pkgRoot: string, paths: string[]): Promise<{ files: [string, number, number][] }> {
  const files = await Promise.all(
    [...paths].sort().map(async (p): Promise<[string, number, number]> => {
      const s = await stat(join(pkgRoot, p));
      return [p, s.mtimeMs, s.size];
    }),
  );
  return { files };
}

export async function compile(): Promise<{ outdir: string; inputs: number; validators: number; ms: number }> {
  const t0 = performance.now();
  // Only the shipped scenarios: a test's fixture folder must not end up in the bundle.
  delete process.env.NETCONFORM_EXTRA_SUITES;
  const registry = await loadRegistry();
  const scenarios = (await scenarioFilesIn(join(root, 'suites'))).map((s) => {
    const path = `suites/${s.family}/${s.file}`;
    return { ...s, meta: scenarioMeta(registry.get(`${s.family}.${s.file.slice(0, -3)}`)!, path) };
  });
  const validators = standaloneValidators(loaderSchemas(registry));
  const tmp = `${dist}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  try {
    const result = await build({
      absWorkingDir: root,
      entryPoints: [{ in: ENTRY, out: 'netconform' }],
      outdir: tmp,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      // Dependencies are bundled too: importing them one CommonJS file at a time (ajv, yaml,
      // @peculiar/*: a few hundred files, each lexed for its exports) was most of a validate.
      // tsx stays outside (the registry loads it for NETCONFORM_EXTRA_SUITES), and so does
      // node-gyp-build (it require()s the addon by a path found at run time).
      external: ['tsx', 'tsx/*', 'node-gyp-build'],
      // Bundled CommonJS calls require() for Node's built-ins: give the ES module one.
      banner: {
        js: `import { createRequire as __ncCreateRequire } from 'node:module'; const require = __ncCreateRequire(import.meta.url);`,
      },
      // Less text for V8 to parse at each start (parsing the bundle is a good part of a
      // `validate`); names are kept, and the source map leads a stack back to the .ts files.
      minifyWhitespace: true,
      minifySyntax: true,
      sourcemap: 'linked',
      metafile: true,
      logLevel: 'warning',
      plugins: [virtualModules(scenarios), precompiledValidators(precompiledModule(validators)), sourceUrlPlugin],
    });
    const inputs = Object.keys(result.metafile.inputs).filter(
      (p) => !p.startsWith('netconform:') && !p.includes('node_modules/'),
    );
    const dirs = ['suites', ...new Set(scenarios.map((s) => `suites/${s.family}`))];
    // This script, and the lockfile (the bundle holds the dependencies' code), when present.
    const buildInputs = [
      'harness/bin/compile.ts',
      ...(existsSync(join(root, 'package-lock.json')) ? ['package-lock.json'] : []),
    ];
    const stamp = { builtBy: 'harness/bin/compile.ts', ...(await stampOf(root, [...inputs, ...dirs, ...buildInputs])) };
    await writeFile(join(tmp, 'stamp.json'), `${JSON.stringify(stamp)}\n`);
    // Swap by two renames, so a CLI starting meanwhile finds either build or none (then tsx),
    // never a half-written one. A run already going keeps importing chunks lazily (commands,
    // each scenario as it runs) from the build it started with: rebuild between runs.
    const old = `${dist}.old-${process.pid}`;
    await rename(dist, old).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rename(tmp, dist);
    await rm(old, { recursive: true, force: true });
    return { outdir: dist, inputs: inputs.length, validators: validators.length, ms: performance.now() - t0 };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
  try {
    const r = await compile();
    process.stderr.write(
      `netconform: compiled the CLI into ${relative(root, r.outdir)}/ (${r.inputs} source files, ${r.validators} validators generated) in ${(r.ms / 1000).toFixed(1)} s\n`,
    );
  } catch (e) {
    // esbuild has printed the file:line:col of what it could not compile.
    process.stderr.write(
      `netconform: compiling the CLI failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}\n`,
    );
    process.exitCode = 1;
  }
}
