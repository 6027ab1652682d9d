import type { ErrorCause, Evidence, Verdict } from './check.ts';
import type { OutputCut } from '../util/bounded-lines.ts';

/** Results as reporters and `results.json` see them. */

export interface CheckResult {
  name: string;
  verdict: Verdict;
  reason: string;
  evidence: Evidence[];
  /** Attempt (1-based) that produced this verdict. */
  attempt: number;
  /** On an `error` that is no verdict on the SUT: why (harness-late: the harness's lateness). */
  cause?: ErrorCause;
}

/** An attempt the runner set aside because the harness was late, and re-ran (`--late-reruns`). */
export interface LateRerun {
  attempt: number;
  /** The first check the lateness turned into an error, and its reason. */
  check: string;
  reason: string;
}

/**
 * A timing-judged scenario's failure, re-run with the same input to see it again before it
 * stands (`--confirm-failures`): which checks failed first, and in how many confirmations.
 */
export interface Confirmation {
  /** The attempt that re-ran it. */
  attempt: number;
  /** Checks that failed before and failed again. */
  reproduced: string[];
  /** Checks that failed before and passed this time (they become flaky). */
  notReproduced: string[];
}

export interface ScenarioResult {
  id: string;
  use: string;
  profile: string;
  /** The profile file (as the run named it) and the 1-based line where this scenario's item starts. */
  file: string;
  line: number;
  durationMs: number;
  /** Attempts run: the first, retries (`--retries`) and re-runs after the harness was late. */
  attempts: number;
  /**
   * Attempts whose verdict the harness's lateness prevented, each re-run with the same input:
   * the checks are those of the last attempt. Absent when none was.
   */
  lateReruns?: LateRerun[];
  /** Attempts that re-ran a timing-judged failure to confirm it (`--confirm-failures`). */
  confirmations?: Confirmation[];
  /** With `--repeat-each N`: which repetition (1-based) this result is. */
  repeat?: number;
  /** The profile's `expectFail` reason, if the scenario is a known-bad case. */
  expectFail?: string;
  checks: CheckResult[];
  /**
   * Log lines of the scenario (its own and its child processes'), for JUnit system-out: each
   * line cut to 8 KiB (a process's lines to 4 KiB), at most the last 1 MiB kept. When anything
   * was cut, the first line says what and `logCut` counts it.
   */
  log: string[];
  logCut?: OutputCut;
  /** Packet captures kept for this scenario (`--capture`): one per lab segment per attempt, paths relative to the report folder. */
  captures?: CaptureFile[];
}

/** When the runner keeps a segment's packet capture (`--capture`). */
export const CAPTURE_MODES = ['off', 'on-failure', 'always'] as const;

export interface CaptureFile {
  attempt: number;
  segment: string;
  /** Relative to the report folder, e.g. `captures/lab-a/darkwake-1-lan.pcap`. */
  path: string;
}

export interface ProfileInfo {
  name: string;
  file: string;
  description?: string;
  sha256: string;
}

export interface Environment {
  platform: string;
  osRelease: string;
  arch: string;
  node: string;
  netconform: string;
  root: boolean;
  hostname: string;
  /** Set when the run had `--sut-priority raised`: the programs under test ran raised (harness/process/priority.ts). */
  sutPriority?: 'raised';
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  errors: number;
  flaky: number;
  xfail: number;
}

export interface LabInfo {
  profile: string;
  runId: string;
  /** host → segment → interface name (generated names; never eth0/en0). */
  interfaces: Record<string, Record<string, string>>;
}

export interface RunResult {
  netconform: string;
  profiles: ProfileInfo[];
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
  environment: Environment;
  scenarios: ScenarioResult[];
  labs: LabInfo[];
  summary: Summary;
  /** Scenarios of the plan that did not run because `--max-failures` (or `--bail`) stopped the run. */
  notRun?: number;
  /**
   * Why a run with no failure is still not green: nothing (or less than a profile's minJudged)
   * was judged (harness/runner/judged.ts); it then exits 4.
   */
  unjudged?: string[];
  /** Which they were (reports list them as skipped, "not run (--bail)"), and the limit that stopped the run. */
  notRunScenarios?: NotRunScenario[];
  maxFailures?: number;
  /** Set by `netconform merge`: the shard folders this result was merged from. */
  mergedFrom?: string[];
}

/** A planned scenario instance the run did not reach. */
export type NotRunScenario = Pick<ScenarioResult, 'id' | 'use' | 'profile' | 'file' | 'line' | 'repeat'>;

/** "not run (--bail)": why the run's `notRunScenarios` did not run (`--bail` is `--max-failures 1`). */
export function notRunLabel(r: Pick<RunResult, 'maxFailures'>): string {
  if (r.maxFailures === undefined) return 'not run';
  return `not run (${r.maxFailures === 1 ? '--bail' : `--max-failures ${r.maxFailures}`})`;
}

/**
 * What reports say about the attempts beside the verdict's own, one line each: "attempt 1 set
 * aside, the harness was late (churn: …); re-run", "attempt 2 confirmed the failure (churn)".
 */
export function rerunLines(s: Pick<ScenarioResult, 'lateReruns' | 'confirmations'>): string[] {
  const late = (s.lateReruns ?? []).map(
    (r) => `attempt ${r.attempt} set aside, the harness was late (${r.check}: ${r.reason}); re-run`,
  );
  const confirm = (s.confirmations ?? []).map((c) => {
    const parts = [
      c.reproduced.length ? `confirmed the failure (${c.reproduced.join(', ')})` : '',
      c.notReproduced.length ? `did not reproduce it (${c.notReproduced.join(', ')}: flaky)` : '',
    ].filter(Boolean);
    return `attempt ${c.attempt} re-ran the failing scenario: ${parts.join('; ')}`;
  });
  return [...late, ...confirm];
}

/** Whether any check of the scenario failed or errored. */
export function scenarioFailed(s: ScenarioResult): boolean {
  return s.checks.some((c) => c.verdict === 'fail' || c.verdict === 'error');
}

export function summarize(scenarios: ScenarioResult[]): Summary {
  const s: Summary = { passed: 0, failed: 0, skipped: 0, errors: 0, flaky: 0, xfail: 0 };
  for (const sc of scenarios) {
    for (const c of sc.checks) {
      switch (c.verdict) {
        case 'pass':
          s.passed++;
          break;
        case 'flaky':
          s.flaky++;
          s.passed++;
          break;
        case 'xfail':
          s.xfail++;
          s.passed++;
          break;
        case 'fail':
          s.failed++;
          break;
        case 'error':
          s.errors++;
          break;
        case 'skip':
          s.skipped++;
          break;
      }
    }
  }
  return s;
}

/** The closing line every console run and CI ends with. Errors count as failed. */
export function closingLine(s: Summary): string {
  return `${s.passed} passed, ${s.failed + s.errors} failed, ${s.skipped} skipped`;
}
