/**
 * The scenario registry: in a suites folder, every `<family>/<name>.ts` default-exports one
 * scenario, registered as `<family>.<name>` (toxiproxy-style: one file per kind, registered
 * by name). Helpers shared inside a family live in `<family>/lib/`, across families in
 * `lib/`; files starting with `_` are ignored. A scenario never imports another.
 *
 * The folder is a parameter: the harness finds scenarios by listing it and importing each
 * file, never by importing suites/ code itself (harness/README.md "Layers and import
 * direction"); by default it is the shipped suites/ beside harness/.
 */
import { readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyScenario } from '../model/scenario.ts';

/** The suites/ folder this package ships (a path, not an import). */
export const SHIPPED_SUITES_DIR = fileURLToPath(new URL('../../suites', import.meta.url));

const cache = new Map<string, Promise<Map<string, AnyScenario>>>();

/** A scenario's description without its code: every field but `run`. */
export type ScenarioMeta = Omit<AnyScenario, 'run'>;

/** One shipped scenario file as the compiled CLI lists it: `suites/<family>/<file>`. */
export interface BuiltinScenario {
  family: string;
  file: string;
  /** Its fields but `run`, as JSON, taken from the module when the CLI was compiled. */
  meta: ScenarioMeta;
  /** The module itself, imported when the scenario runs. */
  load: () => Promise<{ default?: AnyScenario }>;
}
let builtins: (() => Promise<BuiltinScenario[]>) | undefined;

/**
 * The compiled CLI (harness/bin/compile.ts) lists suites/'s scenario files at build time, with
 * `scenarioFilesIn`, and describes each with `scenarioMeta`: then suites/ is not read, and a
 * scenario's code (and its libraries: @peculiar/x509, asn1, plist, …) is imported only when it
 * runs, so `validate` and `list` load none of it. From source (tsx) this is never called.
 * @public (called by the generated entry, which knip does not see)
 */
export function useBuiltinScenarios(load: () => Promise<BuiltinScenario[]>): void {
  builtins = load;
  cache.clear();
}

/**
 * The JSON of everything but `run` (what compile.ts stores). Throws when that would lose
 * something: a function (other than `run`), a number JSON cannot hold, or a value that is not
 * plain JSON data (symbol keys, e.g. TypeBox's, are not data and go).
 */
export function scenarioMeta(s: AnyScenario, path: string): ScenarioMeta {
  const check = (v: unknown, at: string): void => {
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint' || v === undefined)
      throw new Error(`${path}: ${at} is ${typeof v}, which the compiled CLI cannot store as JSON`);
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`${path}: ${at} is ${v}, which JSON cannot hold`);
    if (v === null || typeof v !== 'object') return;
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null)
      throw new Error(`${path}: ${at} is a ${proto?.constructor?.name ?? 'non-plain object'}, not JSON data`);
    for (const [k, x] of Object.entries(v)) check(x, `${at}.${k}`);
  };
  const { run: _run, ...meta } = s;
  for (const [k, v] of Object.entries(meta)) if (v !== undefined) check(v, k);
  return JSON.parse(JSON.stringify(meta)) as ScenarioMeta;
}

/** A scenario from its stored description, whose `run` imports the module on first use. */
function lazyScenario(b: BuiltinScenario, path: string): AnyScenario {
  let loaded: Promise<AnyScenario> | undefined;
  const load = () =>
    (loaded ??= b.load().then((m) => {
      if (m.default?.id !== b.meta.id || typeof m.default.run !== 'function')
        throw new Error(`${path} no longer default-exports scenario ${b.meta.id}: rebuild the CLI (npm run build)`);
      return m.default;
    }));
  return { ...b.meta, run: async (ctx, input, signal) => (await load()).run(ctx, input, signal) };
}

/**
 * Folders laid out like suites/ that are searched too: NETCONFORM_EXTRA_SUITES (path-list).
 * The tests use it for fixture scenarios that hang, throw or flake on purpose.
 */
function extraSuiteDirs(): string[] {
  return process.env.NETCONFORM_EXTRA_SUITES?.split(delimiter).filter(Boolean) ?? [];
}

async function discover(suitesDir: string): Promise<Map<string, AnyScenario>> {
  const registry = new Map<string, AnyScenario>();
  if (builtins && suitesDir === SHIPPED_SUITES_DIR) {
    for (const b of await builtins()) {
      const path = join(suitesDir, b.family, b.file);
      register(registry, path, `${b.family}.${b.file.slice(0, -3)}`, { default: lazyScenario(b, path) });
    }
  } else {
    await discoverIn(suitesDir, registry);
  }
  const extra = extraSuiteDirs();
  // Extra folders hold TypeScript: the compiled CLI loads tsx only when there are some.
  if (builtins && extra.length > 0) (await import('tsx/esm/api')).register();
  for (const dir of extra) await discoverIn(dir, registry);
  return registry;
}

/**
 * The scenario files under a suites/-like folder, in registration order: `<family>/<name>.ts`,
 * skipping `lib/` and names starting with `_`. harness/bin/compile.ts lists suites/ with it too.
 */
export async function scenarioFilesIn(suitesDir: string): Promise<{ family: string; file: string }[]> {
  const families = (await readdir(suitesDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && d.name !== 'lib' && !d.name.startsWith('_'))
    .map((d) => d.name)
    .sort();
  const out: { family: string; file: string }[] = [];
  for (const family of families) {
    const files = (await readdir(join(suitesDir, family), { withFileTypes: true }))
      .filter((f) => f.isFile() && f.name.endsWith('.ts') && !f.name.endsWith('.d.ts') && !f.name.startsWith('_'))
      .map((f) => f.name)
      .sort();
    for (const file of files) out.push({ family, file });
  }
  return out;
}

async function discoverIn(suitesDir: string, registry: Map<string, AnyScenario>): Promise<void> {
  for (const { family, file } of await scenarioFilesIn(suitesDir)) {
    const path = join(suitesDir, family, file);
    register(
      registry,
      path,
      `${family}.${file.slice(0, -3)}`,
      (await import(pathToFileURL(path).href)) as { default?: AnyScenario },
    );
  }
}

function register(registry: Map<string, AnyScenario>, path: string, use: string, mod: { default?: AnyScenario }): void {
  const scenario = mod.default;
  if (!scenario || typeof scenario.run !== 'function')
    throw new Error(`${path} does not default-export a scenario (defineScenario({...}))`);
  if (scenario.id !== use) throw new Error(`${path} declares id "${scenario.id}"; it must be "${use}"`);
  if (registry.has(use)) throw new Error(`${path}: scenario ${use} is defined twice`);
  registry.set(use, scenario);
}

/** All scenarios in `suitesDir` (and NETCONFORM_EXTRA_SUITES) by `use:` name, loaded once per folder. */
export function loadRegistry(suitesDir: string = SHIPPED_SUITES_DIR): Promise<Map<string, AnyScenario>> {
  let registry = cache.get(suitesDir);
  if (registry === undefined) {
    registry = discover(suitesDir);
    cache.set(suitesDir, registry);
  }
  return registry;
}
