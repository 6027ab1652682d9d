/**
 * Convention for benchmarks: each `test/bench/<name>.bench.ts` default-exports a BenchSuite;
 * `npm run bench` (test/bench/run.ts) runs them all, prints one table, and writes
 * `reports/bench.json`. Figures are medians of several runs with min and max, and every
 * comparison is a ratio against a reference measured in the same run.
 */
export interface BenchRow {
  /** What was measured, e.g. "UDP round trip p50". */
  case: string;
  /** Implementation measured, e.g. "native", "dgram", "C". */
  impl: string;
  unit: string;
  median: number;
  min: number;
  max: number;
  /** Ratio of this median to the reference's median (same case), when there is one. */
  ratio?: number;
  /** The impl the ratio is against. */
  reference?: string;
  /** Target as stated in the issue, e.g. "≤ 1.2×", and whether it was met. */
  target?: string;
  met?: boolean;
}

export interface BenchSection {
  name: string;
  rows: BenchRow[];
  notes: string[];
}

export interface BenchSuite {
  name: string;
  /** `quick` shortens runs (CI smoke); the full run is what notes quote. */
  run(opts: { quick: boolean; log: (line: string) => void }): Promise<BenchSection>;
}
