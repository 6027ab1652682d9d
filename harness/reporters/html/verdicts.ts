/** Verdict order for "the worst of a scenario" and the report's counts. */
import type { Verdict } from '../../model/check.ts';
import type { RunResult, ScenarioResult } from '../../model/results.ts';

const WORST_FIRST: readonly Verdict[] = ['error', 'fail', 'flaky', 'xfail', 'pass', 'skip'];

export function worstVerdict(s: ScenarioResult): Verdict {
  return WORST_FIRST.find((v) => s.checks.some((c) => c.verdict === v)) ?? 'skip';
}

export function verdictCounts(r: RunResult): Record<Verdict, number> {
  const n: Record<Verdict, number> = { fail: 0, error: 0, flaky: 0, xfail: 0, skip: 0, pass: 0 };
  for (const s of r.scenarios) for (const c of s.checks) n[c.verdict]++;
  return n;
}

/** Failing scenarios first (in run order within each verdict), so the page reads top-down. */
export function scenarioOrder(r: RunResult): number[] {
  return r.scenarios
    .map((s, i) => ({ i, rank: WORST_FIRST.indexOf(worstVerdict(s)) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.i);
}
