/**
 * A check is the unit of verdict: one scenario returns several. Reporters see only
 * these objects (and RunResult), never the runner or the lab.
 */

/** What a scenario may return. `flaky` and `xfail` are assigned by the runner, never by a scenario. */
export type ScenarioVerdict = 'pass' | 'fail' | 'skip' | 'error';
/** What reports carry: `flaky` = passed on a retry; `xfail` = failed as the profile's `expectFail` said. */
export type Verdict = ScenarioVerdict | 'flaky' | 'xfail';

/** A grid of outcomes, e.g. sender interface × segment. `cells[r][c]` is short text ("✓", "—", "lan-b#4"). */
export interface MatrixEvidence {
  kind: 'matrix';
  title: string;
  rowLabel?: string;
  colLabel?: string;
  rows: string[];
  cols: string[];
  cells: string[][];
  /** Cells (row, col) that differ from what was expected; reporters highlight them. */
  mismatches?: Array<[number, number]>;
  /**
   * For a table of rows "expected | observed | context…": the two columns to compare. The
   * observed cell of each row that differs from its expected cell is a mismatch (added to
   * `mismatches`), and only the observed column is judged: the others are context, not coloured.
   */
  compare?: { expected: number; observed: number };
  legend?: string;
}

/** Every mismatch of a matrix: the listed ones and, with `compare`, each observed cell unlike its expected one. */
export function matrixMismatches(m: MatrixEvidence): Array<[number, number]> {
  const out = new Map<string, [number, number]>();
  for (const [r, c] of m.mismatches ?? []) out.set(`${r},${c}`, [r, c]);
  if (m.compare) {
    const { expected, observed } = m.compare;
    m.rows.forEach((_, r) => {
      if ((m.cells[r]?.[observed] ?? '') !== (m.cells[r]?.[expected] ?? '')) out.set(`${r},${observed}`, [r, observed]);
    });
  }
  return [...out.values()];
}

export interface TimelineEvent {
  /** Milliseconds since the scenario started. */
  t: number;
  source: string;
  event: string;
  detail?: string;
}

export interface TimelineEvidence {
  kind: 'timeline';
  title: string;
  events: TimelineEvent[];
}

export interface NumbersEvidence {
  kind: 'numbers';
  title: string;
  values: Record<string, number | string | boolean | null>;
  /** Optional unit per key, e.g. { p50: 'ms' }. */
  units?: Record<string, string>;
}

export interface TextEvidence {
  kind: 'text';
  title: string;
  text: string;
}

/** A sampled series for plots (latency over time, …). */
export interface SeriesEvidence {
  kind: 'series';
  title: string;
  xLabel: string;
  yLabel: string;
  series: Array<{ name: string; points: Array<[number, number]> }>;
}

/** What a dark-wake lane shows: the sleep model's phases and the session events on it. */
export type LaneState = 'awake' | 'sleep' | 'darkwake' | 'fullwake';
export type LaneMarker = 'handshake' | 'dpd-drop' | 'reconnect' | 'alert';

/**
 * One lane per client over the scenario's clock (the HTML report draws a swimlane): phases as
 * shaded spans, session events as markers, and the windows within which the profile expected
 * something (e.g. "reconnected within 2 s of the full wake") as bounds.
 */
export interface SwimlaneEvidence {
  kind: 'swimlane';
  title: string;
  lanes: Array<{
    name: string;
    /** `nightFromMs`/`nightToMs`: the span on the unscaled night's clock (a schedule run at a time scale). */
    spans: Array<{
      state: LaneState;
      fromMs: number;
      toMs: number;
      label?: string;
      nightFromMs?: number;
      nightToMs?: number;
    }>;
    markers: Array<{ t: number; marker: LaneMarker; detail?: string }>;
  }>;
  bounds?: Array<{ label: string; fromMs: number; toMs: number }>;
}

/** Raw samples per named series (one-way latency per sender→receiver pair, …): the HTML draws their CDF. */
export interface DistributionEvidence {
  kind: 'distribution';
  title: string;
  unit: string;
  series: Array<{ name: string; samples: number[] }>;
  /** The verdict's bound, e.g. p99 ≤ 5 ms: `quantile` 0.99, `value` 5. */
  bound?: { quantile: number; value: number; label: string };
}

/** Expected vs measured values with a tolerance (keepalive detection time, …): a bar per item. */
export interface ExpectedMeasuredEvidence {
  kind: 'expected-measured';
  title: string;
  unit: string;
  /** `waited`: with nothing measured, how long the scenario waited for it (the plot shows that it came not within it). */
  items: Array<{
    name: string;
    expected: number;
    measured: number | null;
    tolerance?: number;
    ok: boolean;
    waited?: number;
  }>;
}

export type Evidence =
  | MatrixEvidence
  | TimelineEvidence
  | NumbersEvidence
  | TextEvidence
  | SeriesEvidence
  | SwimlaneEvidence
  | DistributionEvidence
  | ExpectedMeasuredEvidence;

export interface Check {
  name: string;
  verdict: ScenarioVerdict;
  /** One line that names the fault (or, for a pass, what was verified; for a skip, why). */
  reason: string;
  evidence?: Evidence[];
  /** Set on an `error` that is no verdict on the SUT for a known cause (see ErrorCause). */
  cause?: ErrorCause;
}

/**
 * `harness-late`: the harness (or the machine under it) could not keep the schedule the
 * verdict depends on (suites/lib/lateness). The runner re-measures such a scenario
 * (`--late-reruns`, harness/runner/execute.ts); the code is what it decides by, never the text.
 */
export type ErrorCause = 'harness-late';

export const check = {
  pass: (name: string, reason: string, evidence?: Evidence[]): Check => ({ name, verdict: 'pass', reason, evidence }),
  fail: (name: string, reason: string, evidence?: Evidence[]): Check => ({ name, verdict: 'fail', reason, evidence }),
  skip: (name: string, reason: string, evidence?: Evidence[]): Check => ({ name, verdict: 'skip', reason, evidence }),
  error: (name: string, reason: string, evidence?: Evidence[]): Check => ({ name, verdict: 'error', reason, evidence }),
  /** An error because the harness was late: `reason` starts "the harness could not keep the schedule: ". */
  late: (name: string, reason: string, evidence?: Evidence[]): Check => ({
    name,
    verdict: 'error',
    reason,
    evidence,
    cause: 'harness-late',
  }),
};
