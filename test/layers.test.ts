/**
 * The import rule (harness/README.md "Layers and import direction") is dependency-cruiser's
 * .ci/dependency-cruiser.cjs. The tree must pass it, and each rule must catch the violation
 * planted for it in a scratch tree laid out like this one.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { tempDir } from './helpers/tmp.ts';

const repoRoot = resolve(import.meta.dirname, '..');
const config = join(repoRoot, '.ci/dependency-cruiser.cjs');
const depcruise = join(repoRoot, 'node_modules/.bin/depcruise');

interface Violation {
  rule: { name: string };
  from: string;
  to: string;
}

async function cruise(cwd: string, paths: string[]): Promise<{ violations: Violation[] }> {
  const r = await execa(depcruise, ['--config', config, '--output-type', 'json', ...paths], { cwd, reject: false });
  const out = JSON.parse(r.stdout) as { summary: { violations: Violation[] } };
  return { violations: out.summary.violations };
}

/** One file per violation: [importing file, imported file, the rule that must name it]. */
const PLANTED: [string, string, string][] = [
  ['harness/runner/run.ts', 'suites/multicast/lib/groups.ts', 'harness-imports-suites'],
  ['harness/lab/lab.ts', 'harness/model/check.ts', 'bottom-imports-up'],
  ['harness/net/safety.ts', 'harness/util/duration.ts', 'net-imports-repo-code'],
  ['harness/model/results.ts', 'harness/reporters/json.ts', 'model-imports-up'],
  ['harness/loader/profile.ts', 'harness/runner/plan.ts', 'middle-imports-up'],
  ['harness/reporters/console.ts', 'harness/lab/types.ts', 'reporters-see-only-results'],
  ['harness/runner/execute.ts', 'harness/cli/main.ts', 'runner-imports-cli'],
  ['suites/darkwake/lib/schedule.ts', 'harness/loader/ajv.ts', 'suites-import-harness-above-model'],
  ['suites/discovery/lib/churn-steps.ts', 'suites/darkwake/lib/tunnel.ts', 'family-imports-family'],
  ['suites/lib/params.ts', 'suites/tls/lib/variants.ts', 'suites-lib-imports-family'],
  ['suites/multicast/lib/peers.ts', 'suites/multicast/asymmetry.ts', 'imports-a-scenario'],
];

describe('import layers (dependency-cruiser)', () => {
  it('the tree has no violation', async () => {
    const r = await cruise(repoRoot, ['harness', 'suites', 'native/index.ts', 'native/types.ts']);
    expect(r.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
  });

  it('each rule catches the violation planted for it, and only those are reported', async () => {
    const dir = await tempDir('nc-layers-');
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          allowImportingTsExtensions: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          noEmit: true,
        },
      }),
    );
    const files = new Map<string, string[]>();
    for (const [from, to] of PLANTED) {
      files.set(to, files.get(to) ?? []);
      files.set(from, [...(files.get(from) ?? []), to]);
    }
    for (const [file, imports] of files) {
      await mkdir(join(dir, dirname(file)), { recursive: true });
      const lines = imports.map(
        (to, i) => `import * as m${i} from '${relativeImport(file, to)}';\nexport const u${i} = m${i};`,
      );
      await writeFile(join(dir, file), `${lines.join('\n')}\nexport const here = 1;\n`);
    }
    const r = await cruise(dir, ['harness', 'suites']);
    const found = r.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(found).toEqual(PLANTED.map(([from, to, rule]) => `${rule}: ${from} -> ${to}`).sort());
    // What CI sees: the plain text report exits with the number of errors.
    const ci = await execa(depcruise, ['--config', config, 'harness', 'suites'], { cwd: dir, reject: false });
    expect(ci.exitCode).toBe(PLANTED.length);
  });
});

function relativeImport(from: string, to: string): string {
  const up = from
    .split('/')
    .slice(0, -1)
    .map(() => '..');
  return [...up, to].join('/');
}
