/**
 * Reading a check the way a user would when the machine is busy: when the harness could not
 * keep its schedule the check is an `error` (suites/lib/lateness) whose reason keeps the
 * verdict the SUT would have had. Tests of SUT behaviour assert on that would-be verdict and
 * reason, so they keep asserting the behaviour on a loaded machine, and separately that a
 * late harness never produced a `fail`.
 */
/** How a lateness error's reason starts (suites/lib/lateness/monitor.ts): tests assert the text users read. */
export const HARNESS_LATE = 'the harness could not keep the schedule: ';

export interface Earned {
  verdict: string;
  reason: string;
  /** The harness was late: `verdict`/`reason` are what the check would have been. */
  late: boolean;
}

/** Decided by the check's `cause` (as the runner does), not by its text. */
export function earned(c: { verdict: string; reason: string; cause?: string }): Earned {
  if (c.verdict !== 'error' || c.cause !== 'harness-late') return { verdict: c.verdict, reason: c.reason, late: false };
  const m = /; the SUT is not judged \(it would have (passed|failed): (.*)\)$/.exec(c.reason);
  if (!m) return { verdict: c.verdict, reason: c.reason, late: true };
  return { verdict: m[1] === 'passed' ? 'pass' : 'fail', reason: m[2]!, late: true };
}
