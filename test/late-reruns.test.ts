/**
 * An attempt the harness's lateness kept from a verdict is set aside and re-run (`--late-reruns`,
 * harness/runner/execute.ts): the runner decides by the check's `cause`, never by its text; a
 * failure is never re-run that way (that is `--retries`, reported flaky); after the last
 * re-run the lateness error stands. The scenarios here are fakes that say what each attempt
 * measured; the real path (a harness made late in a real lab) is test/suites/lateness-lab.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { check, type Check } from '../harness/model/check.ts';
import { summarize, type RunResult, type ScenarioResult } from '../harness/model/results.ts';
import { ConsoleReporter } from '../harness/reporters/console.ts';
import { GithubReporter } from '../harness/reporters/github.ts';
import { scenarioSection } from '../harness/reporters/html/scenario.ts';
import { JUnitReporter } from '../harness/reporters/junit.ts';
import { tempDir } from './helpers/tmp.ts';
import { DEFAULT_LATE_RERUNS } from '../harness/runner/execute.ts';
import { runScripted } from './helpers/scripted-scenario.ts';

const LATE = 'the harness could not keep the schedule: dark wake 2/8 started 120 ms late (bound 75 ms)';

const runWith = runScripted;

const late = (): Check[] => [
  check.late('churn', `${LATE}; the SUT is not judged (it would have failed: 3 reconnects)`),
  check.pass('other', 'fine'),
];
const pass = (): Check[] => [check.pass('churn', '0 reconnects per dark wake'), check.pass('other', 'fine')];
const fail = (): Check[] => [check.fail('churn', '3 reconnects in dark wake 1/8 (max 0)'), check.pass('other', 'fine')];

describe('late re-runs', () => {
  it("a late attempt is set aside; the verdict is the clean re-run's, and the result says which attempt and why", async () => {
    const r = await runWith([late, pass]);
    expect(r.ran).toBe(2);
    expect(r.attempts).toBe(2);
    expect(r.checks.map((c) => [c.name, c.verdict, c.attempt])).toEqual([
      ['churn', 'pass', 2],
      ['other', 'pass', 2],
    ]);
    expect(r.lateReruns).toEqual([{ attempt: 1, check: 'churn', reason: expect.stringContaining(LATE) }]);
    expect(
      r.log.some((l) =>
        l.startsWith(
          `--- re-run 1 of ${DEFAULT_LATE_RERUNS}: attempt 1 set aside, the harness was late (churn: ${LATE}`,
        ),
      ),
    ).toBe(true);
  });

  it('a re-run is judged by the same bounds: a clean attempt that fails is a fail, not flaky and not retried', async () => {
    const r = await runWith([late, fail, pass]);
    expect(r.ran).toBe(2);
    expect(r.checks[0]).toMatchObject({ name: 'churn', verdict: 'fail', attempt: 2 });
  });

  it(`late on every attempt: the lateness error stands after ${DEFAULT_LATE_RERUNS} re-runs, with its cause`, async () => {
    const r = await runWith([late]);
    expect(r.ran).toBe(1 + DEFAULT_LATE_RERUNS);
    expect(r.checks[0]).toMatchObject({ verdict: 'error', cause: 'harness-late', attempt: 1 + DEFAULT_LATE_RERUNS });
    expect(r.lateReruns?.map((x) => x.attempt)).toEqual([1, 2]);
  });

  it("--late-reruns 0 reports the first attempt's lateness error at once", async () => {
    const r = await runWith([late, pass], { opts: { lateReruns: 0 } });
    expect(r.ran).toBe(1);
    expect(r.checks[0]!.verdict).toBe('error');
    expect(r.lateReruns).toBeUndefined();
  });

  it('decides by the cause, not the text: an error that only reads like lateness is not re-run', async () => {
    const r = await runWith([() => [check.error('churn', `${LATE}; but no cause set`)], pass]);
    expect(r.ran).toBe(1);
    expect(r.checks[0]!.verdict).toBe('error');
  });

  it('a failure or a plain error is never re-run without --retries; with it, a pass after a fail is flaky and a late attempt between does not count as a retry', async () => {
    expect((await runWith([fail, pass])).ran).toBe(1);
    expect((await runWith([() => [check.error('churn', 'the client never connected')], pass])).ran).toBe(1);
    const r = await runWith([fail, late, pass], { retries: 1 });
    expect(r.ran).toBe(3);
    expect(r.checks[0]).toMatchObject({ verdict: 'flaky', attempt: 3 });
    expect(r.lateReruns?.map((x) => x.attempt)).toEqual([2]);
  });

  it('a known-bad case (expectFail) gets re-runs too: its expected failure is judged on a clean attempt', async () => {
    const r = await runWith([late, fail], { expectFail: 'the naive client reconnects' });
    expect(r.ran).toBe(2);
    expect(r.checks[0]).toMatchObject({ verdict: 'xfail', attempt: 2 });
  });

  it('an interrupt ends the re-runs: the interrupted attempt is not set aside', async () => {
    const ac = new AbortController();
    const r = await runWith(
      [
        () => {
          ac.abort(new Error('SIGINT'));
          return late();
        },
        pass,
      ],
      { opts: { interrupt: ac.signal } },
    );
    expect(r.ran).toBe(1);
    expect(r.lateReruns).toBeUndefined();
  });
});

describe('reports say what was set aside', () => {
  const scenarioResult = async (): Promise<ScenarioResult> => {
    const { ran: _ran, ...r } = await runWith([late, pass]);
    return r;
  };
  const SET_ASIDE = `attempt 1 set aside, the harness was late (churn: ${LATE}`;

  it('console: a line per attempt set aside, and a count at the end', async () => {
    const r = await scenarioResult();
    const out: string[] = [];
    const rep = new ConsoleReporter((x) => out.push(x));
    const start = { index: 1, total: 1, profile: 'p', id: 'late', use: 'test.late' };
    rep.onScenarioEnd(start, r);
    rep.onEnd({ scenarios: [r], summary: summarize([r]), interrupted: false } as RunResult);
    const text = out.join('');
    expect(text).toContain(`↻ ${SET_ASIDE}`);
    expect(text).toContain('(1 scenario re-run after the harness was late)');
  });

  it("github: inside the scenario's group; html: in the section and its header; junit: in system-out", async () => {
    const r = await scenarioResult();
    const out: string[] = [];
    new GithubReporter((x) => out.push(x), undefined).onScenarioEnd(
      { index: 1, total: 1, profile: 'p', id: 'late', use: 'test.late' },
      r,
    );
    expect(out.join('')).toContain(SET_ASIDE);
    const html = scenarioSection(r, 0);
    expect(html).toContain('1 set aside (harness late)');
    expect(html).toContain('class="late-reruns');
    const dir = await tempDir('nc-late-junit-');
    const result = {
      netconform: 'test',
      profiles: [{ name: 'p', file: 'p.yaml', sha256: '' }],
      startedAt: new Date(0).toISOString(),
      durationMs: 1,
      interrupted: false,
      environment: {
        platform: 'linux',
        osRelease: '',
        arch: 'x64',
        node: '',
        netconform: '',
        root: false,
        hostname: 'h',
      },
      scenarios: [r],
      labs: [],
      summary: summarize([r]),
    } as RunResult;
    await new JUnitReporter(dir).onEnd(result);
    expect(await readFile(join(dir, 'junit.xml'), 'utf8')).toContain(SET_ASIDE.replace(/'/g, '&apos;').slice(0, 60));
  });
});
