/**
 * A run that judged nothing is not green: when every check was skipped (no root, no addon, a
 * profile whose scenarios all need something missing) a known-bad product would "pass" the
 * gate. Such a run exits ExitCode.nothingJudged with a line saying why, unless the user allows
 * it (`--pass-with-no-tests`); a profile may also state how many checks it must judge
 * (`minJudged`).
 */
import type { CheckResult, RunResult } from '../model/results.ts';

/** A check the product was judged by: pass, fail, flaky or xfail (a skip or an error judged nothing). */
export const isJudged = (c: CheckResult): boolean => c.verdict !== 'skip' && c.verdict !== 'error';

/** The distinct skip reasons, most frequent first, at most `max`, for the line that explains. */
function skipReasons(checks: readonly CheckResult[], max = 2): string {
  const counts = new Map<string, number>();
  for (const c of checks) if (c.verdict === 'skip') counts.set(c.reason, (counts.get(c.reason) ?? 0) + 1);
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, max)
    .map(([r]) => r);
  const more = counts.size > max ? ` (and ${counts.size - max} other reason${counts.size - max === 1 ? '' : 's'})` : '';
  return top.length ? ` — ${top.join('; ')}${more}` : '';
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * Why the run's green would mean nothing, one line per problem; empty when it judged enough.
 * `minJudged` maps a profile's name to its minimum.
 */
export function unjudgedProblems(result: RunResult, minJudged: ReadonlyMap<string, number> = new Map()): string[] {
  if (result.scenarios.length === 0) return [];
  const all = result.scenarios.flatMap((s) => s.checks);
  if (!all.some(isJudged)) {
    const skipped = all.filter((c) => c.verdict === 'skip').length;
    return [`nothing was judged: ${plural(skipped, 'check')} skipped${skipReasons(all)}`];
  }
  const problems: string[] = [];
  for (const [profile, min] of minJudged) {
    const checks = result.scenarios.filter((s) => s.profile === profile).flatMap((s) => s.checks);
    if (checks.length === 0) continue; // not selected in this run (--grep, --shard)
    const judged = checks.filter(isJudged).length;
    if (judged < min)
      problems.push(
        `profile ${profile} judged ${plural(judged, 'check')}, fewer than its minJudged ${min}${skipReasons(checks)}`,
      );
  }
  return problems;
}
