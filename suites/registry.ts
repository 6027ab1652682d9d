/**
 * The scenario registry: every `suites/<family>/<name>.ts` default-exports one scenario,
 * registered as `<family>.<name>` (toxiproxy-style: one file per kind, registered by name).
 * Helpers shared inside a family live in `suites/<family>/lib/`, across families in
 * `suites/lib/`; files starting with `_` are ignored. A scenario never imports another.
 */
import { readdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Scenario } from '../harness/model/scenario.ts';

/** Any registered scenario: its params are typed inside its own file (method parameters are bivariant). */
export type AnyScenario = Scenario<object, object>;

const suitesDir = dirname(fileURLToPath(import.meta.url));
let cache: Promise<Map<string, AnyScenario>> | undefined;

/**
 * Folders laid out like suites/ that are searched too: NETCONFORM_EXTRA_SUITES (path-list).
 * The tests use it for fixture scenarios that hang, throw or flake on purpose.
 */
function suiteDirs(): string[] {
  const extra = process.env.NETCONFORM_EXTRA_SUITES?.split(delimiter).filter(Boolean) ?? [];
  return [suitesDir, ...extra];
}

async function discover(): Promise<Map<string, AnyScenario>> {
  const registry = new Map<string, AnyScenario>();
  for (const dir of suiteDirs()) await discoverIn(dir, registry);
  return registry;
}

async function discoverIn(suitesDir: string, registry: Map<string, AnyScenario>): Promise<void> {
  const families = (await readdir(suitesDir, { withFileTypes: true }))
    .filter((d) => d.isDirectory() && d.name !== 'lib' && !d.name.startsWith('_'))
    .map((d) => d.name)
    .sort();
  for (const family of families) {
    const files = (await readdir(join(suitesDir, family), { withFileTypes: true }))
      .filter((f) => f.isFile() && f.name.endsWith('.ts') && !f.name.endsWith('.d.ts') && !f.name.startsWith('_'))
      .map((f) => f.name)
      .sort();
    for (const file of files) {
      const use = `${family}.${file.slice(0, -3)}`;
      const mod = (await import(pathToFileURL(join(suitesDir, family, file)).href)) as { default?: AnyScenario };
      const scenario = mod.default;
      if (!scenario || typeof scenario.run !== 'function') {
        throw new Error(`${join(suitesDir, family, file)} does not default-export a scenario (defineScenario({...}))`);
      }
      if (scenario.id !== use) throw new Error(`${join(suitesDir, family, file)} declares id "${scenario.id}"; it must be "${use}"`);
      if (registry.has(use)) throw new Error(`${join(suitesDir, family, file)}: scenario ${use} is defined twice`);
      registry.set(use, scenario);
    }
  }
}

/** All scenarios by `use:` name (loaded once). */
export function loadRegistry(): Promise<Map<string, AnyScenario>> {
  cache ??= discover();
  return cache;
}
