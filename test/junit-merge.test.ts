/**
 * JUnit classes, repetitions, not-run scenarios and the strict flavour (validated against
 * junit-10.xsd as published); merge's refusals and order.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult, ScenarioResult } from '../harness/model/results.ts';
import { summarize } from '../harness/model/results.ts';
import { JUnitReporter } from '../harness/reporters/junit.ts';
import { mergeResults, profileOrder } from '../harness/runner/merge.ts';
import { manyFailures } from './fixtures/results/many-failures.ts';
import { validateJunit } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/** The fixture with one id in two profiles, a scenario run three times and two scenarios a --bail left out. */
function ciRun(): RunResult {
  const r = manyFailures();
  const twin = (profile: string): ScenarioResult => ({
    ...r.scenarios.find((s) => s.id === 'schedule')!,
    profile,
    file: `profiles/${profile}.yaml`,
    id: 'same-id',
  });
  const repeated = [1, 2, 3].map(
    (repeat): ScenarioResult => ({ ...r.scenarios.find((s) => s.id === 'reach')!, id: 'loop', repeat }),
  );
  r.scenarios.push(twin('darkwake'), twin('keepalive'), ...repeated);
  r.summary = summarize(r.scenarios);
  r.notRun = 2;
  r.maxFailures = 1;
  r.notRunScenarios = [
    { profile: 'keepalive', id: 'later', use: 'keepalive.honoured', file: 'profiles/keepalive.yaml', line: 50 },
    { profile: 'multicast', id: 'last', use: 'multicast.reach', file: 'profiles/multicast.yaml', line: 60 },
  ];
  return r;
}

async function junit(r: RunResult, flavour?: 'annotated' | 'strict'): Promise<{ xml: string; file: string }> {
  const dir = await tempDir('nc-junit-');
  await new JUnitReporter(dir, flavour).onEnd(r);
  const file = join(dir, 'junit.xml');
  return { xml: await readFile(file, 'utf8'), file };
}

const cases = (xml: string) =>
  [...xml.matchAll(/<testcase classname="([^"]*)" name="([^"]*)"/g)].map((m) => `${m[1]} / ${m[2]}`);

describe('JUnit', () => {
  it('classname is <profile>.<scenario>, so one id in two profiles stays two classes', async () => {
    const { xml } = await junit(ciRun());
    expect(cases(xml)).toContain('darkwake.same-id / schedule');
    expect(cases(xml)).toContain('keepalive.same-id / schedule');
    expect(cases(xml)).toContain('tls.client-verifies / expired');
  });

  it('--repeat-each: each repetition is its own testcase', async () => {
    const { xml } = await junit(ciRun());
    expect(cases(xml).filter((c) => c.startsWith('multicast.loop /'))).toEqual([
      'multicast.loop / reach (repeat 1)',
      'multicast.loop / reach (repeat 2)',
      'multicast.loop / reach (repeat 3)',
    ]);
  });

  it('scenarios a stopped run did not reach are skipped testcases "not run (--bail)" in their profile\'s suite', async () => {
    const { xml } = await junit(ciRun());
    expect(xml).toMatch(
      /<testsuite name="keepalive"[\s\S]*?<testcase classname="keepalive\.later" name="\(not run\)" file="profiles\/keepalive\.yaml" line="50" time="0">\s*<skipped message="not run \(--bail\)"\/>/,
    );
    expect(xml).toMatch(/<testcase classname="multicast\.last" name="\(not run\)"/);
    const r = ciRun();
    r.maxFailures = 3;
    expect((await junit(r)).xml).toContain('<skipped message="not run (--max-failures 3)"/>');
  });

  it('strict: no file or line on a testcase, and junit-10.xsd validates it as published; annotated keeps them', async () => {
    const strict = await junit(ciRun(), 'strict');
    expect(strict.xml).not.toMatch(/<testcase [^>]*\b(file|line)=/);
    const v = await validateJunit(strict.file, { strict: true });
    expect(v.ok, v.output).toBe(true);
    const annotated = await junit(ciRun());
    expect(annotated.xml).toMatch(/<testcase [^>]*file="profiles\/tls\.yaml" line="5"/);
    expect((await validateJunit(annotated.file, { strict: true })).ok).toBe(false);
    expect((await validateJunit(annotated.file)).ok).toBe(true);
  });
});

describe('merge', () => {
  /** The fixture split round-robin into n shards, as `--shard i/n` would. */
  const shards = (r: RunResult, n: number): RunResult[] =>
    Array.from({ length: n }, (_, i) => {
      const scenarios = r.scenarios.filter((_, k) => k % n === i);
      const names = new Set(scenarios.map((s) => s.profile));
      return { ...r, scenarios, profiles: r.profiles.filter((p) => names.has(p.name)), summary: summarize(scenarios) };
    });

  it('refuses the same folder twice, and shards that hold the same scenario', () => {
    const [a, b] = shards(manyFailures(), 2);
    expect(() => mergeResults([a!, a!], ['s1', './s1'])).toThrow(
      'merge: ./s1 is given twice (as shard 1 and 2); each shard once',
    );
    expect(() => mergeResults([a!, b!, a!], ['s1', 's2', 's3'])).toThrow(
      /merge: tls › client-verifies is in both s1 and s3: the shards overlap/,
    );
    expect(mergeResults([a!, b!], ['s1', 's2']).summary).toEqual(manyFailures().summary);
  });

  it("orders the merged scenarios as the run does (profiles, then lines), whatever the shards' order", () => {
    const whole = manyFailures();
    const expected = [...whole.scenarios]
      .sort(
        (x, y) =>
          whole.profiles.findIndex((p) => p.name === x.profile) -
            whole.profiles.findIndex((p) => p.name === y.profile) || x.line - y.line,
      )
      .map((s) => `${s.profile}/${s.id}`);
    const [a, b, c] = shards(whole, 3);
    for (const order of [
      [a, b, c],
      [c, b, a],
      [b, c, a],
    ]) {
      const m = mergeResults(order as RunResult[], ['x', 'y', 'z']);
      expect(m.scenarios.map((s) => `${s.profile}/${s.id}`)).toEqual(expected);
      expect(m.profiles.map((p) => p.name)).toEqual(['tls', 'darkwake', 'multicast', 'keepalive']);
    }
  });

  it('profile order from partial lists: a profile goes before the one that follows it in its own shard', () => {
    const p = (name: string) => ({ name, file: `${name}.yaml`, sha256: '' });
    expect(
      profileOrder([
        [p('a'), p('c')],
        [p('b'), p('c')],
      ]).map((x) => x.name),
    ).toEqual(['a', 'b', 'c']);
    expect(profileOrder([[p('c')], [p('a'), p('b')], [p('b'), p('c')]]).map((x) => x.name)).toEqual(['a', 'b', 'c']);
  });
});
