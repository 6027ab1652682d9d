import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { formatIssue, loadProfile, ProfileError } from '../harness/loader/profile.ts';
import type { AnyScenario } from '../harness/model/scenario.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import { tempDir } from './helpers/tmp.ts';

const fixture = (name: string) => join('test/fixtures/profiles', name);
let registry: Map<string, AnyScenario>;

beforeAll(async () => {
  registry = await loadRegistry();
});

async function errorsOf(file: string): Promise<string[]> {
  try {
    await loadProfile(file, registry);
  } catch (err) {
    if (err instanceof ProfileError) return err.issues.map(formatIssue);
    throw err;
  }
  throw new Error(`${file} loaded without errors`);
}

describe('profile loading', () => {
  it('loads a good profile and applies defaults from the scenario schemas', async () => {
    const p = await loadProfile(fixture('good.yaml'), registry);
    expect(p.profile.profile).toBe('good');
    expect(p.profile.scenarios[0]!.with).toEqual({ port: 4242, passOnAttempt: 1 });
    expect(p.profile.scenarios[0]!.expect).toEqual({ outcome: 'pass' });
    expect(p.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports every schema error with file:line:col and the dotted path', async () => {
    expect(await errorsOf(fixture('bad-schema.yaml'))).toEqual([
      'test/fixtures/profiles/bad-schema.yaml:6:13: scenarios[0].with.port must be ≤ 65535',
      'test/fixtures/profiles/bad-schema.yaml:7:9: scenarios[1].id "first" is already used by scenarios[0]',
      'test/fixtures/profiles/bad-schema.yaml:8:10: scenarios[1].use: unknown scenario "fixture.countr"; did you mean fixture.counter? (netconform list shows them all)',
      'test/fixtures/profiles/bad-schema.yaml:11:5: scenarios[2].wiht is not allowed (unknown key; did you mean "with"?)',
      'test/fixtures/profiles/bad-schema.yaml:12:5: scenarios[3].use is required',
      'test/fixtures/profiles/bad-schema.yaml:16:16: scenarios[4].expect.outcome must be one of: pass, fail',
      'test/fixtures/profiles/bad-schema.yaml:17:14: scenarios[4].timeout must be a duration up to 2147483647 ms (about 596h31m): milliseconds, or a string like 500ms, 30s, 15m',
    ]);
  });

  it('names invalid YAML, duplicate keys, empty files and non-mappings', async () => {
    expect(await errorsOf(fixture('bad-yaml.yaml'))).toEqual([
      'test/fixtures/profiles/bad-yaml.yaml:5:1: invalid YAML: Sequence item without - indicator',
    ]);
    expect(await errorsOf(fixture('duplicate-key.yaml'))).toEqual([
      'test/fixtures/profiles/duplicate-key.yaml:2:1: invalid YAML: duplicate key "profile" (first at line 1); map keys must be unique',
    ]);
    expect(await errorsOf(fixture('empty.yaml'))).toEqual([
      'test/fixtures/profiles/empty.yaml:1:1: the file is empty: a profile is a mapping with profile: and scenarios:',
    ]);
    expect(await errorsOf(fixture('list.yaml'))).toEqual([
      'test/fixtures/profiles/list.yaml:1:1: the top level must be a mapping (profile:, scenarios:, …); found a list',
    ]);
  });

  it('stops an alias bomb quickly', async () => {
    const t = performance.now();
    const errors = await errorsOf(fixture('alias-bomb.yaml'));
    expect(errors[0]).toMatch(
      /alias-bomb.yaml:\d+:\d+: invalid YAML: with its aliases expanded \(\*\w+ here\) the document passes 1048576 characters/,
    );
    expect(performance.now() - t).toBeLessThan(5000); // a guard against hanging, not a speed assertion
  });

  it('refuses a huge file before parsing it', async () => {
    const dir = await tempDir('nc-loader-');
    const file = join(dir, 'huge.yaml');
    await writeFile(file, `profile: huge\n# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    expect((await errorsOf(file))[0]).toMatch(
      /huge.yaml:1:1: file is \d+ bytes; a profile may be at most 262144 bytes/,
    );
  });

  it('rejects unknown top-level keys with a hint', async () => {
    const dir = await tempDir('nc-loader-');
    const file = join(dir, 'typo.yaml');
    await writeFile(file, 'profile: typo\nscenaros: []\nscenarios:\n  - { id: a, use: fixture.counter }\n');
    expect(await errorsOf(file)).toEqual([
      `${file}:2:1: scenaros is not allowed (unknown key; did you mean "scenarios"?)`,
    ]);
  });

  it('reports a missing file as a profile error', async () => {
    expect(await errorsOf('test/fixtures/profiles/nope.yaml')).toEqual([
      'test/fixtures/profiles/nope.yaml:1:1: cannot read profile: ENOENT',
    ]);
  });
});
