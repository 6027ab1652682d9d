/** Actions behind `run` and `merge`; main.ts only declares them (the others: ./profile-commands.ts). */
import { join, resolve } from 'node:path';
import { displayPath } from '../loader/profile.ts';
import { colorWanted } from '../reporters/console.ts';
import type { JUnitFlavour } from '../model/junit-flavour.ts';
import {
  DEFAULT_REPORTERS,
  isReporterName,
  makeReporters,
  REPORTER_NAMES,
  type ReporterName,
} from '../reporters/index.ts';
import { durationsOf, loadShards, mergeResults, readResults } from '../runner/merge.ts';
import { readLastRun, writeLastRun } from '../runner/last-run.ts';
import { unjudgedProblems } from '../runner/judged.ts';
import { mkdir } from 'node:fs/promises';
import { closingLine, scenarioFailed } from '../model/results.ts';
import type { CaptureMode } from '../runner/capture.ts';
import { parseShard, type PlannedScenario } from '../runner/plan.ts';
import { forceCleanup, planRun, run, writtenReports } from '../runner/run.ts';
import { MAX_CONFIRM_FAILURES, MAX_LATE_RERUNS } from '../runner/execute.ts';
import { AS_ROOT } from '../runner/capabilities.ts';
import { cannotRaise } from '../process/priority.ts';
import type { SutPriority } from '../process/types.ts';
import { parseDuration } from '../util/duration.ts';
import { escapeControl } from '../util/escape.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { pseudoFilesystemFor } from '../util/pseudo-fs.ts';
import { keepRunningWithoutConsole, onInterruptSignals } from '../util/signals.ts';
import { profilesDir } from './profile-commands.ts';

export { profileJsonSchema } from './profile-commands.ts';
/**
 * `netconform run` with no profile: a first look at the product. Linux: profiles/first-run.yaml,
 * a lab of network namespaces. Elsewhere (macOS has no namespaces) profiles/first-run-host.yaml,
 * the same matrices on this machine's own interfaces, which need --allow-host-network.
 */
export function defaultProfileFor(platform: NodeJS.Platform): string {
  return join(profilesDir, platform === 'linux' ? 'first-run.yaml' : 'first-run-host.yaml');
}
export const defaultProfile = defaultProfileFor(process.platform);

/** The one stderr line after a first look that skipped some scenarios: how to get them. */
export function firstLookHint(
  platform: NodeJS.Platform,
  skipped: number,
  total: number,
  allowHostNetwork: boolean,
): string {
  const how =
    platform === 'linux'
      ? `as root (${AS_ROOT.replace(' …', '')}; not npx, which leaves root-owned files in ~/.npm) they build a lab ` +
        'of network namespaces'
      : allowHostNetwork
        ? 'their reasons are in the report; `netconform doctor` lists what this machine lacks'
        : "with --allow-host-network they send link-local broadcast and multicast on this machine's own interfaces " +
          '(netconform run --allow-host-network)';
  return `netconform: ${skipped} of ${total} scenarios were skipped; ${how}`;
}

export interface RunFlags {
  grep?: string;
  tag?: string[];
  shard?: string;
  reporter?: string[];
  junit?: JUnitFlavour;
  out: string;
  timeout?: string;
  retries?: string;
  lateReruns?: string;
  confirmFailures?: string;
  capture: CaptureMode;
  dryRun?: boolean;
  passWithNoTests?: boolean;
  allowHostNetwork?: boolean;
  sutPriority?: SutPriority;
  verbose?: boolean;
  bail?: boolean;
  maxFailures?: string;
  repeatEach?: string;
  lastFailed?: boolean;
  list?: boolean;
  json?: boolean;
  color?: boolean;
  shardDurations?: string;
}

/** `--retries`, `--late-reruns`, `--repeat-each`, `--max-failures`: a whole number from `min` to `max`. */
function parseCount(flag: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new CliError(`${flag} must be a whole number from ${min} to ${max}, got "${text}"`, ExitCode.usage);
  return n;
}

/** Checked before anything runs (also before --dry-run / --list return). */
export function parseReporters(names: string[]): ReporterName[] {
  const unknown = names.filter((n) => !isReporterName(n));
  if (unknown.length)
    throw new CliError(
      `unknown reporter ${unknown.map((n) => `"${n}"`).join(', ')} (choose from ${REPORTER_NAMES.join(', ')})`,
      ExitCode.usage,
    );
  return names.length ? (names as ReporterName[]) : DEFAULT_REPORTERS;
}

function parseGrep(text: string | undefined): RegExp | undefined {
  if (text === undefined) return undefined;
  try {
    return new RegExp(text);
  } catch (err) {
    throw new CliError(`--grep: ${(err as Error).message}`, ExitCode.usage);
  }
}

function parseTimeout(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    const ms = parseDuration(/^\d+$/.test(text) ? Number(text) : text);
    if (ms <= 0) throw new RangeError('must be positive');
    return ms;
  } catch (err) {
    throw new CliError(`--timeout: ${(err as Error).message}`, ExitCode.usage);
  }
}

function printPlan(plan: PlannedScenario[]): void {
  process.stdout.write(
    `netconform: plan of ${plan.length} scenario${plan.length === 1 ? '' : 's'} (dry run: nothing runs)\n`,
  );
  for (const p of plan) {
    const extra = [
      p.spec.expectFail && 'expectFail',
      p.scenario.requires.length && `requires ${p.scenario.requires.join(', ')}`,
    ]
      .filter(Boolean)
      .join('; ');
    process.stdout.write(`  ${p.profile.file} › ${p.spec.id}  (${p.spec.use})${extra ? `  [${extra}]` : ''}\n`);
  }
}

function printList(plan: PlannedScenario[], json: boolean): void {
  const rows = plan.map((p) => ({
    profile: p.profile.profile.profile,
    file: p.profile.file,
    line: p.profile.scenarioLines[p.spec.id] ?? 1,
    id: p.spec.id,
    use: p.spec.use,
    ...(p.spec.expectFail ? { expectFail: p.spec.expectFail } : {}),
  }));
  if (json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  for (const r of rows)
    process.stdout.write(`${escapeControl(`${r.file}:${r.line}  ${r.profile} › ${r.id}  (${r.use})`)}\n`);
  process.stdout.write(`${rows.length} scenario${rows.length === 1 ? '' : 's'}\n`);
}

export async function runCommand(given: string[], flags: RunFlags): Promise<void> {
  let files = given;
  const reporterNames = parseReporters(flags.reporter ?? []);
  const outDir = resolve(flags.out);
  await refusePseudoFolder(outDir);
  const repeatEach = parseCount('--repeat-each', flags.repeatEach, 1, 100);
  const maxFailures = flags.bail ? 1 : parseCount('--max-failures', flags.maxFailures, 1, 100_000);
  let only: Set<string> | undefined;
  if (flags.lastFailed) {
    const last = await readLastRun(outDir);
    if (files.length === 0) files = last.profiles;
    only = new Set(last.failed);
    if (only.size === 0) {
      process.stdout.write(
        `netconform: --last-failed: no scenario failed in the last run recorded in ${displayPath(outDir)}; nothing to run\n`,
      );
      return;
    }
  }
  const shardDurations = flags.shardDurations
    ? durationsOf(await readResults(resolve(flags.shardDurations), '--shard-durations'))
    : undefined;
  const opts = {
    files: files.length ? files : [displayPath(defaultProfile)],
    only,
    repeatEach,
    shardDurations,
    grep: parseGrep(flags.grep),
    tags: flags.tag ?? [],
    shard: flags.shard ? parseShard(flags.shard) : undefined,
    passWithNoTests: Boolean(flags.passWithNoTests),
    onNote: (line: string) => void process.stdout.write(`netconform: ${escapeControl(line)}\n`),
  };
  const timeoutMs = parseTimeout(flags.timeout);
  const retries = parseCount('--retries', flags.retries, 0, 10);
  const lateReruns = parseCount('--late-reruns', flags.lateReruns, 0, MAX_LATE_RERUNS);
  const confirmFailures = parseCount('--confirm-failures', flags.confirmFailures, 0, MAX_CONFIRM_FAILURES);
  const sutPriority = flags.sutPriority ?? 'normal';
  if (flags.list) {
    printList(await planRun(opts), Boolean(flags.json));
    return;
  }
  if (flags.dryRun) {
    printPlan(await planRun(opts));
    return;
  }
  // Asked for and not possible: refused before anything runs, not left to each scenario's log.
  const refused = sutPriority === 'raised' ? cannotRaise() : undefined;
  if (refused) throw new CliError(`--sut-priority raised: ${refused}`, ExitCode.environment);
  const firstLook = files.length === 0;
  const reporters = makeReporters(reporterNames, {
    outDir,
    verbose: flags.verbose,
    color: colorWanted(flags.color),
    allEvidence: firstLook,
    junit: flags.junit,
  });

  // First interrupt signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT): abort the running scenario, clean up,
  // write reports marked interrupted.
  // A second one tears labs and processes down without waiting for the scenario, then exits.
  const interrupt = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    signals++;
    if (signals === 1) {
      process.stderr.write(`\nnetconform: ${sig}: stopping the running scenario and cleaning up (again to force)\n`);
      interrupt.abort(new Error(sig));
    } else {
      process.stderr.write(`netconform: ${sig} again: tearing down now, without waiting for the scenario\n`);
      void forceCleanup().finally(() => {
        // Only what is true: the reports line is printed by the run once the files exist.
        if (writtenReports() === undefined)
          process.stderr.write('netconform: no reports were written (interrupted twice)\n');
        process.exit(ExitCode.interrupted);
      });
    }
  };
  keepRunningWithoutConsole();
  const offSignals = onInterruptSignals(onSignal);
  try {
    const { exitCode, result } = await run({
      ...opts,
      outDir,
      reporters,
      timeoutMs,
      retries,
      lateReruns,
      confirmFailures,
      capture: flags.capture ?? 'on-failure',
      allowHostNetwork: Boolean(flags.allowHostNetwork),
      sutPriority,
      interrupt: interrupt.signal,
      maxFailures,
    });
    process.exitCode = exitCode;
    const skipped = result.scenarios.filter(
      (sc) => sc.checks.length > 0 && sc.checks.every((c) => c.verdict === 'skip'),
    ).length;
    if (firstLook && skipped) {
      // One line on how to get the rest (stderr: stdout's last line stays the closing line).
      const hint = firstLookHint(process.platform, skipped, result.scenarios.length, Boolean(flags.allowHostNetwork));
      process.stderr.write(`${hint}\n`);
    }
  } finally {
    offSignals();
    // Everything is cleaned up and the CLI is about to exit with the run's code: a late
    // Ctrl-C must not turn that into a death by SIGINT (the exit code would lie).
    onInterruptSignals(ignoreLateSignal);
  }
}

/**
 * Reports never go to a kernel pseudo-filesystem: /proc and /sys make up or refuse entries,
 * and Node's recursive mkdir under /proc retries without end.
 */
async function refusePseudoFolder(outDir: string): Promise<void> {
  const pseudo = await pseudoFilesystemFor(outDir);
  if (!pseudo) return;
  const why = `${pseudo.at} is on ${pseudo.type}, a kernel pseudo-filesystem (choose a folder on a real one)`;
  throw new CliError(`cannot create the output folder ${outDir}: ${why}`, ExitCode.environment);
}

function ignoreLateSignal(): void {
  // Nothing left to stop: the run has finished.
}

/** `netconform merge <dir…> --out <dir>`: one results.json, junit.xml and report.html from shards'. */
export async function mergeCommand(
  dirs: string[],
  flags: { out: string; reporter?: string[]; junit?: JUnitFlavour },
): Promise<void> {
  const names = flags.reporter?.length ? parseReporters(flags.reporter) : (['junit', 'json', 'html'] as ReporterName[]);
  const outDir = resolve(flags.out);
  await refusePseudoFolder(outDir);
  const merged = mergeResults(await loadShards(dirs.map((d) => resolve(d))), dirs);
  await mkdir(outDir, { recursive: true });
  process.stdout.write(
    `netconform: merged ${dirs.length} shard${dirs.length === 1 ? '' : 's'} (${merged.scenarios.length} scenarios) into ${displayPath(outDir)}\n`,
  );
  const unjudged = unjudgedProblems(merged);
  if (unjudged.length) merged.unjudged = unjudged;
  // The same reporters as a run, fed the merged result: only their end-of-run hook applies
  // (github annotates there what it never saw live, and ends with the count line itself).
  const reporters = makeReporters(
    names.filter((n) => n !== 'console'),
    { outDir, junit: flags.junit },
  );
  for (const r of reporters) await r.onEnd?.(merged);
  await writeLastRun(
    outDir,
    merged,
    merged.profiles.map((p) => p.file),
  );
  for (const l of unjudged) process.stdout.write(`netconform: ${l}: exit ${ExitCode.nothingJudged}\n`);
  if (!reporters.some((r) => r.name === 'github')) process.stdout.write(`${closingLine(merged.summary)}\n`);
  const failing = merged.scenarios.filter(scenarioFailed).length;
  process.exitCode = merged.interrupted
    ? ExitCode.interrupted
    : failing
      ? ExitCode.checkFailed
      : unjudged.length
        ? ExitCode.nothingJudged
        : ExitCode.ok;
}
