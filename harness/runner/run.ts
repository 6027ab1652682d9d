/**
 * The run: load → plan → capabilities → per profile (lab up → scenarios → lab down) →
 * reporters. Interruption (SIGINT/SIGTERM/SIGHUP/SIGQUIT, via `interrupt`) aborts the running scenario,
 * still runs every cleanup and writes reports marked `interrupted`.
 */
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bringUpLab, downAllLabs, labNeedsLocalNetwork, labNeedsNetem, newRunId } from '../lab/index.ts';
import { stopAllManaged } from '../process/index.ts';
import type { SutPriority } from '../process/types.ts';
import type { Lab } from '../lab/types.ts';
import { displayPath, loadProfiles, type LoadedProfile } from '../loader/profile.ts';
import { scenarioFailed, summarize, type LabInfo, type RunResult, type ScenarioResult } from '../model/results.ts';
import type { Capabilities } from '../model/scenario.ts';
import { ReporterMultiplexer } from '../reporters/multiplexer.ts';
import type { Reporter, ScenarioStart } from '../reporters/reporter.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { loadRegistry } from './registry.ts';
import { probeCapabilities } from './capabilities.ts';
import { environment, VERSION } from './environment.ts';
import { clearCaptures, type CaptureMode } from './capture.ts';
import { executeScenario } from './execute.ts';
import { unjudgedProblems } from './judged.ts';
import { writeLastRun } from './last-run.ts';
import { buildPlan, notRunScenarios, type PlannedScenario, type PlanOptions } from './plan.ts';

// Lives with the loader (so `validate` loads no runner); exported here too, where it was.
export { loadProfiles };

/** The file each reporter writes into the output folder. */
const REPORT_FILES: Record<string, string | undefined> = {
  junit: 'junit.xml',
  json: 'results.json',
  html: 'report.html',
};

export interface RunOptions extends PlanOptions {
  files: string[];
  outDir: string;
  reporters: Reporter[];
  timeoutMs?: number;
  retries?: number;
  /** `--late-reruns` (harness/runner/execute.ts); default DEFAULT_LATE_RERUNS. */
  lateReruns?: number;
  /** `--confirm-failures` (harness/runner/confirm.ts); default DEFAULT_CONFIRM_FAILURES. */
  confirmFailures?: number;
  /** Packet captures (harness/runner/capture.ts); default off for programmatic runs, the CLI defaults to on-failure. */
  capture?: CaptureMode;
  allowHostNetwork: boolean;
  /** `--sut-priority`; default normal. Recorded in the results' environment when raised. */
  sutPriority?: SutPriority;
  interrupt: AbortSignal;
  /** Stop after this many scenarios with a failed or errored check (`--max-failures`, `--bail` = 1). */
  maxFailures?: number;
}

export async function planRun(opts: PlanOptions & { files: string[] }): Promise<PlannedScenario[]> {
  const registry = await loadRegistry();
  const profiles = await loadProfiles(opts.files, registry);
  return buildPlan(profiles, registry, opts);
}

export function labCapability(profile: LoadedProfile, caps: Capabilities): { ok: boolean; reason: string } {
  const spec = profile.profile.lab;
  if (!spec) return caps.lab;
  if (!caps.linux.ok) return { ok: false, reason: `labs need Linux network namespaces; ${caps.linux.reason}` };
  if (!caps.root.ok) return { ok: false, reason: `the lab ${caps.root.reason}` };
  if (!caps.netns.ok) return { ok: false, reason: caps.netns.reason };
  if (labNeedsNetem(spec) && !caps.netem.ok)
    return { ok: false, reason: 'netem is not available in this kernel (the lab asks for delay, jitter or loss)' };
  if (labNeedsLocalNetwork(spec) && !caps.lnp.ok)
    return { ok: false, reason: `a host's localNetwork policy cannot be emulated here: ${caps.lnp.reason}` };
  return { ok: true, reason: 'lab is up' };
}

export async function run(opts: RunOptions): Promise<{ exitCode: number; result: RunResult }> {
  const plan = await planRun(opts);
  try {
    await mkdir(opts.outDir, { recursive: true });
    await clearCaptures(opts.outDir);
  } catch (err) {
    throw new CliError(
      `cannot create the output folder ${opts.outDir}: ${(err as Error).message}`,
      ExitCode.environment,
    );
  }
  const startedAt = new Date();
  const t0 = performance.now();
  const mux = new ReporterMultiplexer(opts.reporters);
  const profiles = [...new Map(plan.map((p) => [p.profile.file, p.profile])).values()];
  const profileInfos = profiles.map((p) => ({
    name: p.profile.profile,
    file: p.file,
    description: p.profile.description,
    sha256: p.sha256,
  }));
  await mux.emit('onBegin', {
    total: plan.length,
    profiles: profileInfos,
    scenarios: plan.map((p) => ({ profile: p.profile.profile.profile, id: p.spec.id, use: p.spec.use })),
  });

  const caps = await probeCapabilities();
  const results: ScenarioResult[] = [];
  const labs: LabInfo[] = [];
  let environmentFailed = false;
  let index = 0;
  let failedScenarios = 0;
  const stopped = (): boolean => opts.maxFailures !== undefined && failedScenarios >= opts.maxFailures;
  const repeats = new Map<string, number>();
  // Lab lines (bring-up, teardown, faults): a fault a scenario injects belongs to that scenario's
  // log (the console shows it with --verbose); the rest are run-level messages.
  let current: ScenarioStart | undefined;
  const labLog = (line: string): void =>
    void (current ? mux.emit('onScenarioLog', current, line) : mux.emit('onMessage', line));
  for (const profile of profiles) {
    if (opts.interrupt.aborted || stopped()) break;
    const planned = plan.filter((p) => p.profile === profile);
    const profileCaps: Capabilities = { ...caps, lab: labCapability(profile, caps) };
    let lab: Lab | undefined;
    let labError: string | undefined;
    if (profile.profile.lab && profileCaps.lab.ok) {
      const runId = newRunId();
      try {
        await mux.emit('onMessage', `lab ${runId}: bringing up ${profile.file}'s topology`);
        lab = await bringUpLab(profile.profile.lab, {
          runId,
          profile: profile.file,
          profilePath: resolve(profile.file),
          log: labLog,
          signal: opts.interrupt,
        });
        labs.push({ profile: profile.profile.profile, runId, interfaces: lab.describe() });
        profileCaps.lab = { ok: true, reason: `lab ${runId} is up` };
      } catch (err) {
        labError = (err as Error).message;
        environmentFailed = true;
        profileCaps.lab = { ok: false, reason: `the lab failed to come up: ${labError}` };
        await mux.emit('onMessage', `lab ${runId} failed to come up: ${labError}`);
      }
    }
    try {
      for (const p of planned) {
        if (opts.interrupt.aborted || stopped()) break;
        const start = {
          index: ++index,
          total: plan.length,
          profile: profile.profile.profile,
          id: p.spec.id,
          use: p.spec.use,
        };
        current = start;
        await mux.emit('onScenarioBegin', start);
        const result = await executeScenario(p, {
          capabilities: profileCaps,
          lab,
          labError,
          allowHostNetwork: opts.allowHostNetwork,
          sutPriority: opts.sutPriority,
          timeoutMs: opts.timeoutMs,
          retries: opts.retries,
          lateReruns: opts.lateReruns,
          confirmFailures: opts.confirmFailures,
          capture: opts.capture ? { mode: opts.capture, outDir: opts.outDir } : undefined,
          interrupt: opts.interrupt,
          onLog: (line) => void mux.emit('onScenarioLog', start, line),
          onProgress: (progress) => void mux.emit('onScenarioProgress', start, progress),
        });
        current = undefined;
        if ((opts.repeatEach ?? 1) > 1) {
          const n = (repeats.get(p.key) ?? 0) + 1;
          repeats.set(p.key, n);
          result.repeat = n;
        }
        results.push(result);
        if (scenarioFailed(result)) failedScenarios++;
        await mux.emit('onScenarioEnd', start, result);
      }
    } finally {
      if (lab) {
        await mux.emit('onMessage', `lab ${lab.runId}: tearing down`);
        await lab.down();
      }
    }
  }

  const result: RunResult = {
    netconform: VERSION,
    profiles: profileInfos,
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    interrupted: opts.interrupt.aborted,
    environment: { ...environment(), ...(opts.sutPriority === 'raised' ? { sutPriority: 'raised' as const } : {}) },
    scenarios: results,
    labs,
    summary: summarize(results),
  };
  if (stopped() && results.length < plan.length) {
    result.notRun = plan.length - results.length;
    result.notRunScenarios = notRunScenarios(plan.slice(results.length), repeats, opts.repeatEach);
    result.maxFailures = opts.maxFailures;
    await mux.emit(
      'onMessage',
      `stopped after ${failedScenarios} failing scenario${failedScenarios === 1 ? '' : 's'} (--max-failures ${opts.maxFailures}): ${result.notRun} not run`,
    );
  }
  const minJudged = new Map(
    profiles.flatMap((p) =>
      p.profile.minJudged === undefined ? [] : [[p.profile.profile, p.profile.minJudged] as const],
    ),
  );
  const unjudged = opts.passWithNoTests ? [] : unjudgedProblems(result, minJudged);
  if (unjudged.length) result.unjudged = unjudged;
  // File reporters first, then the line naming what was written (only files that were: a
  // reporter that threw wrote nothing), then the rest (the console's summary stays last).
  const writesFile = (r: Reporter): boolean => REPORT_FILES[r.name] !== undefined;
  const threw = await mux.emitWhere(writesFile, 'onEnd', result);
  const written = opts.reporters
    .filter((r) => writesFile(r) && !threw.includes(r.name))
    .map((r) => REPORT_FILES[r.name]!);
  reportsWritten = written.map((f) => join(opts.outDir, f));
  if (written.length)
    await mux.emit('onMessage', `reports: ${written.map((f) => displayPath(join(opts.outDir, f))).join(', ')}`);
  // Before the console's summary, which stays the last line.
  for (const line of unjudged)
    await mux.emit('onMessage', `${line}: exit ${ExitCode.nothingJudged} (--pass-with-no-tests allows it)`);
  await mux.emitWhere((r) => !writesFile(r), 'onEnd', result);
  try {
    await writeLastRun(opts.outDir, result, opts.files);
  } catch (err) {
    await mux.emit('onMessage', `could not record the run for --last-failed: ${(err as Error).message}`);
  }
  const s = result.summary;
  const exitCode = result.interrupted
    ? ExitCode.interrupted
    : environmentFailed || mux.failures.length
      ? ExitCode.environment
      : s.failed + s.errors > 0
        ? ExitCode.checkFailed
        : unjudged.length
          ? ExitCode.nothingJudged
          : ExitCode.ok;
  return { exitCode, result };
}

let reportsWritten: string[] | undefined;
/** The report files this process's run has written (undefined until the run got that far). */
export function writtenReports(): string[] | undefined {
  return reportsWritten;
}

/** For a second Ctrl-C: tear down every lab and process of this run now, bounded in time. */
export async function forceCleanup(timeoutMs = 5000): Promise<void> {
  const timer = new Promise((resolve) => setTimeout(resolve, timeoutMs).unref());
  await Promise.race([Promise.allSettled([stopAllManaged(500), downAllLabs()]), timer]);
}
