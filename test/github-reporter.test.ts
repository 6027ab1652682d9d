/**
 * `--reporter github` on a run past GitHub's limit of 10 error annotations per step: one
 * annotation per failing scenario, the rest named together, live and from a merge alike, and a
 * job summary whose headline is its table's counts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/model/results.ts';
import { ANNOTATIONS_PER_STEP, escapeData, GithubReporter } from '../harness/reporters/github.ts';
import { summaryMarkdown } from '../harness/reporters/github-summary.ts';
import { manyFailures } from './fixtures/results/many-failures.ts';
import { tempDir } from './helpers/tmp.ts';

const failing = (r: RunResult) =>
  r.scenarios.filter((s) => s.checks.some((c) => c.verdict === 'fail' || c.verdict === 'error'));

/** Feeds the result through the reporter: live (each scenario ended, then the end) or as a merge (the end only). */
async function emit(r: RunResult, how: 'live' | 'merge', standalone = true, summaryFile?: string): Promise<string[]> {
  const out: string[] = [];
  const rep = new GithubReporter((s) => out.push(s), summaryFile, standalone);
  if (how === 'live') {
    r.scenarios.forEach((s, i) => {
      const start = { index: i + 1, total: r.scenarios.length, profile: s.profile, id: s.id, use: s.use };
      rep.onScenarioBegin(start);
      rep.onScenarioEnd(start, s);
    });
  }
  await rep.onEnd(r);
  return out.join('').split('\n').filter(Boolean);
}

describe('github annotations', () => {
  const run = manyFailures();

  it("the fixture is the issue's case: 14 failing checks (13 fail + 1 error) in 11 scenarios of 4 profiles", () => {
    expect(run.summary.failed + run.summary.errors).toBe(14);
    expect(run.summary.errors).toBe(1);
    expect(failing(run)).toHaveLength(11);
    expect(new Set(failing(run).map((s) => s.profile)).size).toBe(4);
  });

  for (const how of ['live', 'merge'] as const) {
    it(`${how}: at most 10 error annotations, naming every failing scenario; one per scenario with its checks`, async () => {
      const lines = await emit(run, how);
      const errors = lines.filter((l) => l.startsWith('::error'));
      expect(errors).toHaveLength(ANNOTATIONS_PER_STEP);
      for (const s of failing(run))
        expect(
          errors.filter((l) => l.includes(escapeData(`${s.profile} › ${s.id}`))),
          s.id,
        ).toHaveLength(1);
      const tls = errors.find((l) => l.includes('tls › client-verifies'))!;
      expect(tls).toContain('title=tls › client-verifies%3A 4 of 5 checks failed');
      for (const name of ['expired (fail)', 'wrong-host (fail)', 'self-signed (fail)', 'pinned (error)'])
        expect(tls).toContain(name);
      expect(tls).not.toContain('valid');
      expect(errors.at(-1)).toMatch(
        /^::error title=2 more failing scenarios \(all in the job summary\)::keepalive › ka-2 \(profiles\/keepalive\.yaml:12\)%0Akeepalive › ka-3 \(profiles\/keepalive\.yaml:18\)$/,
      );
      expect(lines.filter((l) => l.startsWith('::warning'))).toEqual([
        expect.stringContaining('title=multicast › reach%3A flaky::reach: passed on attempt 2'),
      ]);
    });
  }

  it('ten failing scenarios get ten annotations of their own; nine as well', async () => {
    for (const n of [9, 10]) {
      const r = manyFailures();
      const keep = new Set(failing(r).slice(0, n));
      r.scenarios = r.scenarios.filter((s) => keep.has(s) || !failing(r).includes(s));
      const errors = (await emit(r, 'live')).filter((l) => l.startsWith('::error'));
      expect(errors).toHaveLength(n);
      expect(errors.every((l) => l.startsWith('::error file='))).toBe(true);
    }
  });

  it('alone it groups each scenario and ends with the count line; beside the console it prints annotations only', async () => {
    const alone = await emit(run, 'live');
    expect(alone.filter((l) => l.startsWith('::group::'))).toHaveLength(run.scenarios.length);
    expect(alone.at(-1)).toBe('28 passed, 14 failed, 1 skipped'.replace('28', String(run.summary.passed)));
    const beside = await emit(run, 'live', false);
    expect(beside.every((l) => l.startsWith('::error') || l.startsWith('::warning'))).toBe(true);
  });

  it("the job summary: headline counts are the table's, every failing scenario with its profile and checks", async () => {
    const dir = await tempDir('nc-gh-');
    const file = join(dir, 'summary.md');
    await emit(run, 'live', true, file);
    const md = await readFile(file, 'utf8');
    const s = run.summary;
    expect(md.split('\n')[0]).toBe(`## netconform: ${s.passed} passed, 13 failed, 1 error, ${s.skipped} skipped`);
    expect(md).toContain(`| ${s.passed} | 13 | 1 | ${s.skipped} | ${s.flaky} | ${s.xfail} |`);
    expect(md).toContain(
      'GitHub shows 10 error annotations per step: 9 scenarios have their own, the other 2 share one.',
    );
    for (const sc of failing(run))
      expect(md).toContain(`- **${sc.profile} › ${sc.id}** (\`${sc.use}\`, \`${sc.file}:${sc.line}\`)`);
    expect(md).toContain('  - pinned (error): the SUT did not start: ENOENT');
    expect(summaryMarkdown({ ...run, notRun: 3, maxFailures: 1 })).toContain('3 scenarios not run (--bail).');
  });
});
