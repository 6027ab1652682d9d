import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfile, type LoadedProfile } from '../harness/loader/profile.ts';
import { buildPlan, parseShard } from '../harness/runner/plan.ts';
import { CliError } from '../harness/util/exit-codes.ts';
import type { AnyScenario } from '../harness/model/scenario.ts';
import { loadRegistry } from '../harness/runner/registry.ts';

let registry: Map<string, AnyScenario>;
let profiles: LoadedProfile[];

beforeAll(async () => {
  registry = await loadRegistry();
  profiles = [
    await loadProfile('test/fixtures/profiles/failing.yaml', registry),
    await loadProfile('test/fixtures/profiles/good.yaml', registry),
  ];
});

describe('plan', () => {
  it('shards deterministically and in balance, covering every scenario once', () => {
    const all = buildPlan(profiles, registry).map((p) => p.key);
    expect(all).toHaveLength(8);
    for (const n of [1, 2, 3, 5, 8, 11]) {
      const shards = Array.from({ length: n }, (_, i) =>
        buildPlan(profiles, registry, { shard: { index: i + 1, total: n } }).map((p) => p.key),
      );
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(shards.flat().sort()).toEqual([...all].sort());
      // Same input, same shard.
      expect(buildPlan(profiles, registry, { shard: { index: 1, total: n } }).map((p) => p.key)).toEqual(shards[0]);
    }
  });

  it('filters by --grep on ids and --tag on profile or scenario tags', () => {
    expect(buildPlan(profiles, registry, { grep: /^fl/ }).map((p) => p.key)).toEqual(['failing/flaky']);
    expect(buildPlan(profiles, registry, { tags: ['net'] }).map((p) => p.key)).toEqual(['good/loopback']);
    expect(buildPlan(profiles, registry, { tags: ['fixture'] }).map((p) => p.key)).toEqual([
      'good/counter',
      'good/loopback',
    ]);
  });

  it('parses --shard and rejects i > n, zero and junk with a usage error', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, total: 4 });
    for (const bad of ['5/4', '0/3', '1/0', 'a/b', '2', '-1/2']) {
      expect(() => parseShard(bad)).toThrow(CliError);
    }
    try {
      parseShard('5/4');
    } catch (err) {
      expect((err as CliError).exitCode).toBe(2);
      expect((err as Error).message).toBe('--shard 5/4: i must be between 1 and 4');
    }
  });

  it('a --grep or --tag that selects nothing is a usage error naming the filter and the profiles', () => {
    const refused = (opts: Parameters<typeof buildPlan>[2]) => {
      try {
        buildPlan(profiles, registry, opts);
      } catch (err) {
        expect(err).toBeInstanceOf(CliError);
        expect((err as CliError).exitCode).toBe(2);
        return (err as Error).message;
      }
      throw new Error('an empty selection was accepted');
    };
    expect(refused({ grep: /^nope/ })).toBe(
      "no scenario matched --grep '^nope' in test/fixtures/profiles/failing.yaml (failing), test/fixtures/profiles/good.yaml (good) (8 scenarios); --pass-with-no-tests allows an empty selection",
    );
    expect(refused({ tags: ['nope'], shard: { index: 1, total: 2 } })).toMatch(/^no scenario matched --tag 'nope' in /);
    const notes: string[] = [];
    expect(
      buildPlan(profiles, registry, { grep: /^nope/, passWithNoTests: true, onNote: (l) => notes.push(l) }),
    ).toEqual([]);
    expect(notes).toEqual([
      expect.stringMatching(/^no scenario matched --grep '\^nope' in .*nothing to run \(--pass-with-no-tests\)$/),
    ]);
  });

  it('an empty shard is legitimate: a note naming the profile, no error', () => {
    const notes: string[] = [];
    const good = profiles.slice(1);
    expect(buildPlan(good, registry, { shard: { index: 3, total: 3 }, onNote: (l) => notes.push(l) })).toEqual([]);
    expect(notes).toEqual([
      'shard 3/3 is empty: test/fixtures/profiles/good.yaml (good) has 2 selected scenarios, all in shards 1–2; nothing to run',
    ]);
    notes.length = 0;
    expect(buildPlan(good, registry, { shard: { index: 2, total: 3 }, onNote: (l) => notes.push(l) })).toHaveLength(1);
    expect(notes).toEqual([]);
  });
});
