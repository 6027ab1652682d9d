/**
 * Progress of long scenarios: a scenario says where it is through ctx.progress, the
 * runner forwards it to reporters, and the console prints it sparingly ("dark wake 3/8, 41s
 * left") instead of only "still running".
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { check } from '../harness/model/check.ts';
import { defineScenario, type Capabilities, type ScenarioProgress } from '../harness/model/scenario.ts';
import type { LoadedProfile } from '../harness/loader/profile.ts';
import { ConsoleReporter, progressText } from '../harness/reporters/console.ts';
import type { ScenarioStart } from '../harness/reporters/reporter.ts';
import { executeScenario } from '../harness/runner/execute.ts';
import type { AnyScenario } from '../harness/model/scenario.ts';

const start: ScenarioStart = { index: 1, total: 1, profile: 'p', id: 'night', use: 'darkwake.churn' };

describe('progressText', () => {
  it('says where, and what is left counted down from when it was said', () => {
    expect(progressText({ where: 'variant 4/10', atMs: 0 }, 5000)).toBe('variant 4/10');
    expect(progressText({ where: 'dark wake 3/8', remainingMs: 41_000, atMs: 0 }, 0)).toBe('dark wake 3/8, 41s left');
    expect(progressText({ where: 'dark wake 3/8', remainingMs: 41_000, atMs: 0 }, 10_500)).toBe(
      'dark wake 3/8, 31s left',
    );
    expect(progressText({ where: 'sleep 1/8', remainingMs: 125_000, atMs: 0 }, 0)).toBe('sleep 1/8, 2m5s left');
    expect(progressText({ where: 'full wake', remainingMs: 2000, atMs: 0 }, 9000)).toBe('full wake, under 1s left');
  });
});

describe('console progress', () => {
  afterEach(() => vi.useRealTimers());

  function reporter(): { r: ConsoleReporter; lines: () => string[] } {
    const out: string[] = [];
    const r = new ConsoleReporter((s) => out.push(s));
    return {
      r,
      lines: () =>
        out
          .join('')
          .split('\n')
          .filter((l) => l.startsWith('      …')),
    };
  }

  it('without progress: "still running" every 15 s', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const { r, lines } = reporter();
    r.onScenarioBegin(start);
    vi.advanceTimersByTime(14_000);
    expect(lines()).toEqual([]);
    vi.advanceTimersByTime(16_000);
    expect(lines()).toEqual(['      … night still running (15.0s)', '      … night still running (30.0s)']);
  });

  it('new progress at most every 5 s, unchanged progress only as the 15 s heartbeat, nothing after the scenario ends', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const { r, lines } = reporter();
    r.onScenarioBegin(start);
    vi.advanceTimersByTime(6000);
    r.onScenarioProgress(start, { where: 'dark wake 1/8', remainingMs: 60_000, atMs: 6000 });
    expect(lines()).toEqual(['      … night: dark wake 1/8, 1m left (6.0s)']);
    vi.advanceTimersByTime(1000);
    r.onScenarioProgress(start, { where: 'sleep 2/8', remainingMs: 50_000, atMs: 7000 }); // too soon: held back
    expect(lines()).toHaveLength(1);
    vi.advanceTimersByTime(4000); // 5 s after the last line: the held-back progress, counted down
    expect(lines()[1]).toBe('      … night: sleep 2/8, 46s left (11.0s)');
    vi.advanceTimersByTime(14_000);
    expect(lines()).toHaveLength(2); // unchanged: nothing until the heartbeat
    vi.advanceTimersByTime(1000);
    expect(lines()[2]).toBe('      … night: sleep 2/8, 31s left (26.0s)');
    r.onScenarioEnd(start, {
      id: 'night',
      use: 'darkwake.churn',
      profile: 'p',
      checks: [],
      durationMs: 26_000,
      log: [],
    } as never);
    r.onScenarioProgress(start, { where: 'dark wake 2/8', atMs: 27_000 });
    vi.advanceTimersByTime(60_000);
    expect(lines()).toHaveLength(3);
  });
});

describe('the runner forwards ctx.progress', () => {
  it('from a running scenario to onProgress, with the attempt clock and a remainder never below 0', async () => {
    const scenario = defineScenario({
      id: 'test.progress',
      summary: 'says where it is',
      platforms: ['linux', 'darwin'],
      requires: [],
      defaultTimeoutMs: 10_000,
      withSchema: { type: 'object', additionalProperties: false, properties: {} },
      expectSchema: { type: 'object', additionalProperties: false, properties: {} },
      async run(ctx) {
        ctx.progress('step 1/2', 5000);
        await new Promise((r) => setTimeout(r, 20));
        ctx.progress('step 2/2', -3);
        return [check.pass('said', 'said where it was')];
      },
    }) as unknown as AnyScenario;
    const profile = {
      file: 'p.yaml',
      dir: '.',
      sha256: '',
      profile: { profile: 'p', tags: [], scenarios: [] },
      scenarioLines: {},
    } as LoadedProfile;
    const seen: ScenarioProgress[] = [];
    const result = await executeScenario(
      { profile, spec: { id: 'progress', use: 'test.progress', with: {}, expect: {} }, scenario, key: 'p/progress' },
      {
        capabilities: {} as Capabilities,
        lab: undefined,
        allowHostNetwork: false,
        interrupt: new AbortController().signal,
        onProgress: (p) => seen.push(p),
      },
    );
    expect(result.checks.map((c) => c.verdict)).toEqual(['pass']);
    expect(seen.map((p) => [p.where, p.remainingMs])).toEqual([
      ['step 1/2', 5000],
      ['step 2/2', 0],
    ]);
    expect(seen[1]!.atMs).toBeGreaterThan(seen[0]!.atMs);
  });
});
