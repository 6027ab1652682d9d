/** darkwake.flows-after-wake's verdict and matrix (pure). */
import type { MatrixEvidence } from '../../../harness/model/check.ts';

export interface FlowResult {
  /** "before sleep", "dark wake 2/8", "full wake". */
  wake: string;
  ok: boolean;
  ms: number | null;
  detail: string;
  /** The prober gave up waiting for the echo (as opposed to a refused or closed connection). */
  timedOut?: boolean;
  /** The prober reported nothing for this flow. */
  missing?: boolean;
}

/**
 * Whether the harness's lateness on a flow (the proxy's wait for a CPU, the prober's late start
 * and stalls: `delayMs` in all) could have turned a good flow into this failed one. An echo
 * that came late is explained when, less the delay, it was within the bound; an echo that
 * never came within the prober's window is explained when the bound plus the delay reaches
 * that window (a good proxy made that late could have answered after it); a refused or closed
 * connection is the proxy's doing whatever the load; a flow the prober never reported is not
 * known either way, so lateness may explain it. A failure no delay explains stands.
 */
export function lateFlowExplained(r: FlowResult, delayMs: number, maxFlowMs: number, windowMs: number): boolean {
  if (r.ok) return r.ms === null || r.ms - delayMs <= maxFlowMs;
  if (r.timedOut) return maxFlowMs + delayMs >= windowMs;
  return r.missing === true;
}

/** Connected and echoed within the bound. */
export function goodFlow(r: FlowResult, maxFlowMs: number): boolean {
  return r.ok && r.ms !== null && r.ms <= maxFlowMs;
}

export function flowVerdict(
  results: FlowResult[],
  maxFlowMs: number,
): { ok: boolean; reason: string; summary: string; matrix: MatrixEvidence } {
  const good = (r: FlowResult): boolean => goodFlow(r, maxFlowMs);
  const matrix: MatrixEvidence = {
    kind: 'matrix',
    title: `new flow per wake (bound ${maxFlowMs} ms)`,
    rowLabel: 'wake',
    colLabel: '',
    rows: results.map((r) => r.wake),
    cols: ['result', 'latency'],
    cells: results.map((r) => [good(r) ? '✓' : r.ok ? 'slow' : '✗', r.ms === null ? '—' : `${r.ms.toFixed(1)} ms`]),
    mismatches: results.flatMap((r, i) => (good(r) ? [] : [[i, 0] as [number, number]])),
    legend: '✓ connected and echoed within the bound; slow = echoed too late; ✗ = failed (detail in the timeline)',
  };
  const after = results.filter((r) => r.wake !== 'before sleep');
  const baseline = results.find((r) => r.wake === 'before sleep');
  const badAfter = after.filter((r) => !good(r));
  const worst = Math.max(0, ...results.filter((r) => r.ms !== null).map((r) => r.ms!));
  const summary =
    `${after.length - badAfter.length} of ${after.length} wakes had a working new flow ` +
    `(slowest ${worst.toFixed(1)} ms)`;
  if (baseline && !good(baseline)) {
    return {
      ok: false,
      summary,
      matrix,
      reason:
        `the flow before any sleep already failed (${baseline.detail}): ` + `the proxy does not relay new flows at all`,
    };
  }
  if (badAfter.length === 0)
    return {
      ok: true,
      summary,
      matrix,
      reason:
        `every new flow after ${after.length} wakes connected and echoed within ${maxFlowMs} ms ` +
        `(slowest ${worst.toFixed(1)} ms)`,
    };
  // The reason says what the matrix shows: failures that persist to the last wake are a proxy
  // that stops; a failure followed by working wakes is intermittent, and says which worked.
  const firstBad = after.findIndex((r) => !good(r));
  const first = after[firstBad]!;
  const what = (r: FlowResult): string => (r.ok ? `took ${r.ms?.toFixed(1)} ms` : r.detail);
  const laterGood = after.slice(firstBad + 1).filter(good);
  const failedAt = `${badAfter.length} of ${after.length} wakes`;
  if (laterGood.length === 0) {
    const tail = after.length - firstBad > 1 ? `, and every wake after it` : '';
    return {
      ok: false,
      summary,
      matrix,
      reason:
        `new flows failed from ${first.wake} on (${what(first)}${tail}: ${failedAt}) ` +
        `while the flow before sleep worked: the proxy stops handling new flows after a wake`,
    };
  }
  const worked = laterGood.map((r) => r.wake);
  const listed =
    worked.length > 3 ? `${worked.slice(0, 3).join(', ')} and ${worked.length - 3} more` : worked.join(', ');
  const bad = badAfter
    .map((r) => `${r.wake}: ${what(r)}`)
    .slice(0, 3)
    .join('; ');
  return {
    ok: false,
    summary,
    matrix,
    reason:
      `new flows failed at ${failedAt} (${bad}) while later wakes worked (${listed}): ` +
      `an intermittent failure, not a proxy that stops after a wake`,
  };
}
