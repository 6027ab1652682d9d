/**
 * Confirming a timing-judged failure before it stands: the scenario runs again with the same
 * input, and each check that failed is judged by every attempt it had. Failed every time: the
 * `fail` stands (its reason says it was seen again). Failed once and passed once: `flaky`, with
 * both attempts' reasons and evidence — the product may be at fault, or the moment was, and the
 * report says which attempt saw what. A confirmation that could not judge the check (an error,
 * the check missing) leaves the failure unconfirmed: an `error` naming both.
 */
import type { Check, Evidence } from '../model/check.ts';
import type { CheckResult, Confirmation } from '../model/results.ts';

export interface ConfirmOptions {
  /** How many confirmation attempts at most (they stop early once every failure is told apart). */
  times: number;
  interrupt: AbortSignal;
  log: (line: string) => void;
  /** Runs the scenario once more (late attempts already set aside and re-run). */
  attempt: () => Promise<{ attempt: number; checks: Check[] }>;
  onConfirmation: (c: Confirmation) => void;
}

const titled = (attempt: number, evidence: readonly Evidence[]): Evidence[] =>
  evidence.map((e) => ({ ...e, title: `attempt ${attempt}: ${e.title ?? e.kind}` }) as Evidence);

/** "the confirmation: attempt 2" / "all 2 confirmations: attempts 2, 3". */
const seenIn = (attempts: number[]): string =>
  attempts.length === 1
    ? `the confirmation: attempt ${attempts[0]}`
    : `all ${attempts.length} confirmations: attempts ${attempts.join(', ')}`;

export async function confirmFailures(first: CheckResult[], o: ConfirmOptions): Promise<CheckResult[]> {
  const failing = first.filter((c) => c.verdict === 'fail');
  const seen = new Map<string, Array<{ attempt: number; check: Check | undefined }>>(failing.map((c) => [c.name, []]));
  for (let k = 1; k <= o.times && !o.interrupt.aborted; k++) {
    const open = failing.filter((c) => seen.get(c.name)!.every((x) => x.check?.verdict === 'fail'));
    if (open.length === 0) break;
    o.log(
      `--- confirmation ${k} of ${o.times}: re-running to see the failure again ` +
        `(${open.map((c) => c.name).join(', ')}) ---`,
    );
    const again = await o.attempt();
    if (o.interrupt.aborted) break;
    const reproduced: string[] = [];
    const notReproduced: string[] = [];
    for (const c of open) {
      const now = again.checks.find((x) => x.name === c.name);
      seen.get(c.name)!.push({ attempt: again.attempt, check: now });
      if (now?.verdict === 'fail') reproduced.push(c.name);
      else if (now?.verdict === 'pass') notReproduced.push(c.name);
    }
    o.onConfirmation({ attempt: again.attempt, reproduced, notReproduced });
  }
  if (o.interrupt.aborted) return first;
  return first.map((c) => {
    const later = seen.get(c.name);
    if (!later || later.length === 0) return c;
    const passed = later.find((x) => x.check?.verdict === 'pass');
    if (passed) {
      const p = passed.check!;
      return {
        ...c,
        verdict: 'flaky',
        reason: `failed in attempt ${c.attempt} (${c.reason}), passed in attempt ${passed.attempt} (${p.reason})`,
        evidence: [...titled(c.attempt, c.evidence), ...titled(passed.attempt, p.evidence ?? [])],
      };
    }
    const unjudged = later.find((x) => x.check?.verdict !== 'fail');
    // The harness was too late to confirm it: that lateness stands (and keeps its cause), the
    // first failure said beside it.
    if (unjudged?.check?.cause === 'harness-late') {
      const late = unjudged.check;
      return {
        ...c,
        verdict: 'error',
        cause: 'harness-late',
        reason:
          `attempt ${c.attempt} failed (${c.reason}); ` +
          `its confirmation, attempt ${unjudged.attempt}: ${late.reason}`,
        evidence: late.evidence ?? c.evidence,
      };
    }
    if (unjudged) {
      const why = unjudged.check ? `${unjudged.check.verdict}: ${unjudged.check.reason}` : 'it returned no such check';
      return {
        ...c,
        verdict: 'error',
        reason:
          `failed in attempt ${c.attempt} (${c.reason}), ` +
          `and attempt ${unjudged.attempt} could not confirm it (${why})`,
      };
    }
    return {
      ...c,
      reason: `${c.reason} (seen again in ${seenIn(later.map((x) => x.attempt))})`,
    };
  });
}
