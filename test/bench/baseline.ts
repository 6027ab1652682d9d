/**
 * Comparing a bench run against a stored one (`npm run bench -- --baseline=path/to/bench.json`).
 * Ratios against the in-run reference are what compare across runs and machines (absolute times
 * on a noisy 2-core box do not), so the comparison is ratio to ratio, row by row.
 */
import { readFileSync } from 'node:fs';
import type { BenchRow, BenchSection } from './types.ts';

export interface BaselineComparison {
  section: string;
  impl: string;
  case: string;
  baselineRatio: number;
  ratio: number;
  /** Relative change of the ratio in the direction that is worse for this metric (+ = worse). */
  worseBy: number;
  regression: boolean;
}

/** A rate (…/s) is better higher; a time or CPU cost is better lower. */
const higherIsBetter = (row: BenchRow): boolean => /\/s$/.test(row.unit);

/** Rows whose ratio moved more than `tolerance` (0.10 = 10 %) the wrong way are regressions. */
export function compareToBaseline(file: string, sections: BenchSection[], tolerance = 0.1): BaselineComparison[] {
  const stored = JSON.parse(readFileSync(file, 'utf8')) as { sections?: BenchSection[] };
  const key = (s: string, r: BenchRow) => `${s}\u0000${r.impl}\u0000${r.case}`;
  const before = new Map<string, BenchRow>();
  for (const s of stored.sections ?? []) for (const r of s.rows) before.set(key(s.name, r), r);
  const out: BaselineComparison[] = [];
  for (const s of sections) {
    for (const r of s.rows) {
      const b = before.get(key(s.name, r));
      if (r.ratio === undefined || b?.ratio === undefined) continue;
      const change = r.ratio / b.ratio - 1;
      const worseBy = higherIsBetter(r) ? -change : change;
      out.push({
        section: s.name,
        impl: r.impl,
        case: r.case,
        baselineRatio: b.ratio,
        ratio: r.ratio,
        worseBy,
        regression: worseBy > tolerance,
      });
    }
  }
  return out;
}

export function comparisonTable(rows: BaselineComparison[]): string {
  if (rows.length === 0) return 'no row with a ratio in both runs';
  return rows
    .map(
      (c) =>
        `${c.regression ? 'WORSE' : c.worseBy < -0.1 ? 'better' : 'same '}  ${c.impl} ${c.case}: ${c.baselineRatio.toFixed(2)}× → ${c.ratio.toFixed(2)}× (${c.worseBy >= 0 ? '+' : ''}${(c.worseBy * 100).toFixed(0)} % worse)`,
    )
    .join('\n');
}
