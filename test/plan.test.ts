import { beforeAll, describe, expect, it } from 'vitest';
import { loadProfile, type LoadedProfile } from '../harness/loader/profile.ts';
import { buildPlan, parseShard } from '../harness/runner/plan.ts';
import { CliError } from '../harness/util/exit-codes.ts';
import { loadRegistry, type AnyScenario } from '../suites/registry.ts';

let registry: Map<string, AnyScenario>;
let profiles: LoadedProfile[];

beforeAll(async () => {
  registry = await loadRegistry();
  profiles = [await loadProfile('test/fixtures/profiles/failing.yaml', registry), await loadProfile('test/fixtures/profiles/good.yaml', registry)];
});

describe('plan', () => {
  it('shards deterministically and in balance, covering every scenario once', () => {
    const all = buildPlan(profiles, registry).map((p) => p.key);
    expect(all).toHaveLength(8);
    for (const n of [1, 2, 3, 5, 8, 11]) {
      const shards = Array.from({ length: n }, (_, i) => buildPlan(profiles, registry, { shard: { index: i + 1, total: n } }).map((p) => p.key));
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
    expect(buildPlan(profiles, registry, { tags: ['fixture'] }).map((p) => p.key)).toEqual(['good/counter', 'good/loopback']);
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
});
