/**
 * Runs one planned scenario: requirement check → attempts with a timeout each → verdict
 * rules (flaky after a passing retry; expectFail turns failures into xfail and a pass into
 * a failure). A scenario that throws or hangs becomes an `error` check; the run goes on.
 *
 * An attempt the harness's lateness kept from a verdict (a check with cause `harness-late`)
 * is set aside and re-run with the same input, up to `lateReruns` times: a burst of load on
 * the machine does not decide the gate either way. The re-run is a new measurement judged by
 * the same bounds, never a second chance for a failure (that is `retries`, reported flaky);
 * the result lists each attempt set aside and why, and after the last re-run a lateness
 * error stands.
 *
 * A timing-judged scenario's failure must reproduce before it stands (`confirmFailures`
 * attempts, ./confirm.ts): a check that fails again stays `fail`, one that passes on the
 * confirmation is `flaky` with both attempts' evidence — never a pass, never a fail.
 */
import type { Check } from '../model/check.ts';
import type { CaptureFile, CheckResult, Confirmation, LateRerun, ScenarioResult } from '../model/results.ts';
import type { Capabilities, ScenarioProgress } from '../model/scenario.ts';
import type { Lab } from '../lab/types.ts';
import { toSutSpec } from '../loader/profile.ts';
import { formatMs, parseDuration } from '../util/duration.ts';
import { SCENARIO_LOG_MAX_BYTES, TailLines, addCut, cutNotice, noCut, wasCut } from '../util/bounded-lines.ts';
import { unmet } from './capabilities.ts';
import { startCapture, type CaptureSettings } from './capture.ts';
import type { SutPriority } from '../process/types.ts';
import { confirmFailures } from './confirm.ts';
import { AttemptContext } from './context.ts';
import type { PlannedScenario } from './plan.ts';

export interface ExecuteOptions {
  capabilities: Capabilities;
  lab: Lab | undefined;
  /** Set when the profile's lab could not be brought up: lab-bound scenarios error with it. */
  labError?: string;
  allowHostNetwork: boolean;
  /** `--sut-priority`; default normal. */
  sutPriority?: SutPriority;
  timeoutMs?: number;
  retries?: number;
  /** `--late-reruns`: re-runs of an attempt the harness's lateness kept from a verdict; default DEFAULT_LATE_RERUNS. */
  lateReruns?: number;
  /** `--confirm-failures`: re-runs that must see a timing-judged failure again; default DEFAULT_CONFIRM_FAILURES. */
  confirmFailures?: number;
  /** Aborted on SIGINT/SIGTERM. */
  interrupt: AbortSignal;
  onLog?: (line: string) => void;
  onProgress?: (p: ScenarioProgress) => void;
  /** Packet captures per attempt (harness/runner/capture.ts); none when unset. */
  capture?: CaptureSettings;
}

/** Re-runs of a late attempt by default: a short burst of load passes; a machine too busy to keep time still errors. */
export const DEFAULT_LATE_RERUNS = 2;
/** The most `--late-reruns` accepts: each re-run may take the scenario's whole timeout. */
export const MAX_LATE_RERUNS = 5;

/** One confirmation by default: a failure seen twice in a row is the product's, not the moment's. */
export const DEFAULT_CONFIRM_FAILURES = 1;
export const MAX_CONFIRM_FAILURES = 5;

/** Extra time a scenario gets after its signal aborts to return its own partial checks. */
const ABORT_GRACE_MS = 1500;

export async function executeScenario(p: PlannedScenario, opts: ExecuteOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const base = {
    id: p.spec.id,
    use: p.spec.use,
    profile: p.profile.profile.profile,
    file: p.profile.file,
    line: p.profile.scenarioLines[p.spec.id] ?? 1,
    expectFail: p.spec.expectFail,
  };
  const logLines: string[] = [];
  const logCut = noCut();
  const lateReruns: LateRerun[] = [];
  const confirmations: Confirmation[] = [];
  const log = new TailLines(logLines, logCut, SCENARIO_LOG_MAX_BYTES);
  const captures: CaptureFile[] = [];
  const done = (checks: CheckResult[], attempts: number): ScenarioResult => {
    // A log that was cut says so in its first line (so JUnit's system-out and the HTML show it too).
    const notice = cutNotice(logCut, 'log', SCENARIO_LOG_MAX_BYTES);
    return {
      ...base,
      durationMs: Math.round(performance.now() - started),
      attempts,
      ...(lateReruns.length ? { lateReruns } : {}),
      ...(confirmations.length ? { confirmations } : {}),
      checks,
      log: notice ? [notice, ...logLines] : logLines,
      ...(wasCut(logCut) ? { logCut } : {}),
      ...(captures.length ? { captures } : {}),
    };
  };

  const skipReason = whyNotRunnable(p, opts);
  if (skipReason) {
    const verdict = skipReason.error ? 'error' : 'skip';
    return done([{ name: p.spec.use, verdict, reason: skipReason.text, evidence: [], attempt: 0 }], 0);
  }

  const timeoutMs =
    opts.timeoutMs ?? (p.spec.timeout !== undefined ? parseDuration(p.spec.timeout) : p.scenario.defaultTimeoutMs);
  const maxRetries = p.spec.expectFail ? 0 : (opts.retries ?? p.spec.retries ?? 0);
  const maxLateReruns = opts.lateReruns ?? DEFAULT_LATE_RERUNS;
  const failedBefore = new Set<string>();
  let attempt = 0;
  /** One attempt that counts: attempts the harness's lateness kept from a verdict are set aside and re-run. */
  const judgedAttempt = async (): Promise<Check[]> => {
    for (;;) {
      attempt++;
      const attemptResult = await runAttempt(p, opts, attempt, timeoutMs, log);
      captures.push(...attemptResult.captures);
      const late = attemptResult.checks.find((c) => c.verdict === 'error' && c.cause === 'harness-late');
      if (opts.interrupt.aborted || !late || lateReruns.length >= maxLateReruns) return attemptResult.checks;
      lateReruns.push({ attempt, check: late.name, reason: oneLine(late.reason) });
      log.push(
        `--- re-run ${lateReruns.length} of ${maxLateReruns}: ` +
          `attempt ${attempt} set aside, the harness was late (${late.name}: ${oneLine(late.reason)}) ---`,
      );
    }
  };
  if (opts.interrupt.aborted) return done([], 0);
  let checks = await judgedAttempt();
  let retriesDone = 0;
  while (!opts.interrupt.aborted) {
    const bad = checks.filter((c) => c.verdict === 'fail' || c.verdict === 'error');
    if (bad.length === 0 || retriesDone >= maxRetries) break;
    retriesDone++;
    for (const c of bad) failedBefore.add(c.name);
    log.push(`--- retry ${retriesDone} of ${maxRetries} ---`);
    checks = await judgedAttempt();
  }
  let results: CheckResult[] = checks.map((c) => ({
    name: c.name,
    verdict: attempt > 1 && c.verdict === 'pass' && failedBefore.has(c.name) ? 'flaky' : c.verdict,
    reason: oneLine(c.reason),
    evidence: c.evidence ?? [],
    attempt,
    ...(c.cause ? { cause: c.cause } : {}),
  }));
  // A failure that retries already saw again needs no confirmation, and a known-bad case's
  // failure is its expected one whether or not it shows again (an xfail either way).
  const confirmN = opts.confirmFailures ?? DEFAULT_CONFIRM_FAILURES;
  const confirmable = p.scenario.timingJudged && !p.spec.expectFail && retriesDone === 0;
  if (confirmable && confirmN > 0 && checks.some((c) => c.verdict === 'fail')) {
    results = await confirmFailures(results, {
      times: confirmN,
      interrupt: opts.interrupt,
      log: (line) => log.push(line),
      attempt: async () => {
        const again = await judgedAttempt();
        return { attempt, checks: again.map((c) => ({ ...c, reason: oneLine(c.reason) })) };
      },
      onConfirmation: (c) => confirmations.push(c),
    });
  }
  if (p.spec.expectFail) results = applyExpectFail(results, p.spec.expectFail, attempt);
  return done(results, attempt);
}

function whyNotRunnable(p: PlannedScenario, opts: ExecuteOptions): { text: string; error?: boolean } | undefined {
  const { scenario, profile } = p;
  const platform = process.platform as 'linux' | 'darwin';
  if (!scenario.platforms.includes(platform)) {
    return {
      text: `${scenario.platformNote ? `${scenario.platformNote}: ` : ''}${scenario.id} runs on ${scenario.platforms.join(', ')}; this is ${process.platform}`,
    };
  }
  const req = profile.profile.requires;
  if (req?.platforms?.length && !req.platforms.includes(platform)) {
    return {
      text: `profile ${profile.profile.profile} requires ${req.platforms.join(' or ')}; this is ${process.platform}`,
    };
  }
  const needs = [
    ...scenario.requires,
    ...((req?.capabilities ?? []) as typeof scenario.requires),
    ...(req?.privileges ?? []),
  ];
  const usesLab = needs.includes('lab') || (profile.profile.lab !== undefined && scenario.sendsOnHostNetwork === true);
  if (usesLab && opts.labError) return { text: `the lab did not come up: ${opts.labError}`, error: true };
  const missing = unmet([...new Set(needs)], opts.capabilities);
  if (missing.length) return { text: `cannot run here: ${missing.join('; ')}` };
  // A profile written for a lab never falls back to the host's interfaces: without its lab,
  // a scenario that would use the network is skipped with the lab's own reason (e.g. no netem).
  if (profile.profile.lab && !opts.lab && scenario.sendsOnHostNetwork) {
    return { text: `cannot run here: the profile's lab is not up: ${opts.capabilities.lab.reason}` };
  }
  if (scenario.sendsOnHostNetwork && !opts.lab && !opts.allowHostNetwork) {
    return {
      text: `${scenario.id} would send on this host's real interfaces (no lab): refusing without --allow-host-network`,
    };
  }
  return undefined;
}

async function runAttempt(
  p: PlannedScenario,
  opts: ExecuteOptions,
  attempt: number,
  timeoutMs: number,
  log: TailLines,
): Promise<{ checks: Check[]; captures: CaptureFile[] }> {
  // Before the scenario's first packet and outside its timeout: tcpdump is listening when this returns.
  const capture = await startCapture(
    opts.capture,
    opts.lab,
    { profile: p.profile.profile.profile, id: p.spec.id, attempt },
    (line) => log.push(line),
  );
  const ac = new AbortController();
  const onInterrupt = () => ac.abort(new Error('interrupted'));
  opts.interrupt.addEventListener('abort', onInterrupt, { once: true });
  const timer = setTimeout(() => ac.abort(new Error(`timed out after ${formatMs(timeoutMs)}`)), timeoutMs);
  const rawSut = p.spec.sut ?? p.profile.profile.sut;
  const ctx = new AttemptContext({
    scenarioId: p.spec.id,
    profileDir: p.profile.dir,
    lab: opts.lab,
    sut: rawSut ? toSutSpec(rawSut) : undefined,
    allowHostNetwork: opts.allowHostNetwork,
    sutPriority: opts.sutPriority,
    capabilities: opts.capabilities,
    attempt,
    signal: ac.signal,
    onLog: opts.onLog,
    onProgress: opts.onProgress,
  });
  const input = { with: p.spec.with ?? {}, expect: p.spec.expect ?? {} };
  let checks: Check[];
  try {
    const running = p.scenario.run(ctx, input, ac.signal);
    const aborted = new Promise<'aborted'>((resolve) => {
      const after = () => setTimeout(() => resolve('aborted'), ABORT_GRACE_MS).unref();
      if (ac.signal.aborted) after();
      else ac.signal.addEventListener('abort', after, { once: true });
    });
    const outcome = await Promise.race([running, aborted]);
    running.catch(() => undefined); // a late rejection after the race is not unhandled
    if (outcome === 'aborted') {
      checks = [
        {
          name: p.spec.use,
          verdict: 'error',
          reason: `${p.spec.id} ${(ac.signal.reason as Error).message} and did not stop within ${ABORT_GRACE_MS} ms`,
        },
      ];
    } else {
      checks = outcome;
      if (ac.signal.aborted) {
        const why = (ac.signal.reason as Error).message;
        checks = [
          ...checks,
          { name: 'completed', verdict: 'error', reason: `${p.spec.id} ${why}; the checks above are partial` },
        ];
      } else if (checks.length === 0) {
        checks = [{ name: p.spec.use, verdict: 'error', reason: `${p.spec.use} returned no checks` }];
      }
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = ac.signal.aborted
      ? (ac.signal.reason as Error).message
      : `threw ${e.code ? `${e.code}: ` : ''}${e.message}`;
    checks = [{ name: p.spec.use, verdict: 'error', reason: `${p.spec.id} ${why}` }];
    // An expected error (a SUT that would not start, say) is its message; our stack is for us.
    const expected = e.name === 'SutError';
    if (!ac.signal.aborted && e.stack && (!expected || process.env.NETCONFORM_DEBUG)) ctx.log(e.stack);
  } finally {
    clearTimeout(timer);
    opts.interrupt.removeEventListener('abort', onInterrupt);
    ac.abort(new Error('finished'));
    await ctx.finish();
    for (const line of ctx.lines) log.push(line);
    addCut(log.cut, ctx.logCut);
  }
  // After ctx.finish: the scenario's processes are gone, so the capture holds its last packet.
  const captures = await capture.finish(checks.some((c) => c.verdict === 'fail' || c.verdict === 'error'));
  return { checks, captures };
}

function applyExpectFail(results: CheckResult[], reason: string, attempt: number): CheckResult[] {
  const failed = results.filter((r) => r.verdict === 'fail');
  if (failed.length > 0) {
    return results.map((r) =>
      r.verdict === 'fail' ? { ...r, verdict: 'xfail', reason: `expected failure (${reason}): ${r.reason}` } : r,
    );
  }
  if (results.some((r) => r.verdict === 'pass' || r.verdict === 'flaky')) {
    return [
      ...results,
      {
        name: 'expected failure',
        verdict: 'fail',
        reason: `marked expectFail ("${reason}") but no check failed: the known-bad case now passes`,
        evidence: [],
        attempt,
      },
    ];
  }
  return results;
}

/** A reason is one line; a multi-line message (a SUT's last output, say) is folded with " | ". */
function oneLine(text: string): string {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' | ');
}
