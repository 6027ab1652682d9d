/**
 * Verdicts that do not depend on machine load: runs every shipped profile
 * once unloaded, then `--runs N` times with a busy loop pinned to each core (taskset(1)), and
 * reports every check whose verdict differs from the unloaded run. The goal is 0 changes; a
 * change to `error` whose reason is the harness's own lateness is reported apart from other
 * changes (it is honest, but still a change). Not part of `npm test`: it takes minutes per pass.
 *
 *   npm run stress:load -- [--runs 3] [--profiles darkwake,keepalive] [--out reports/load-verdicts.json] [--own-sessions] [--sut-priority raised]
 *
 * Where the kernel groups tasks by session (autogroup, sched(7): on by default in Debian's and
 * Ubuntu's kernels), the busy loops share one group, as another job's processes would; the
 * harness's SUTs and helpers each run in a session of their own. `--own-sessions` gives each
 * loop a session of its own, so each weighs as much as the SUT on its core: a harder load.
 * `--sut-priority raised` is passed on to every run (netconform run --sut-priority), both passes;
 * so is `--late-reruns N` (default: netconform's own, DEFAULT_LATE_RERUNS).
 *
 * Each profile run records the machine-wide CPU pressure over it (/proc/pressure/cpu, PSI: the
 * share of time some task waited for a CPU) and how many of its scenarios the runner re-ran
 * after an attempt the harness's lateness spoiled; a change is reported with both, so a stall
 * of the whole machine is told apart from one of the harness or the SUT.
 *
 * Run as root (the lab profiles need it). The busy loops are this script's own children,
 * killed by pid on every path (end, error, Ctrl-C).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../harness/model/results.ts';
import { CpuPressure } from '../../suites/lib/lateness/loop-lag.ts';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
/** How a lateness error's reason starts: cut from the set-aside lines, which say it already. */
const HARNESS_LATE = 'the harness could not keep the schedule: ';
const MAX_RUNS = 100;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

interface Verdicts {
  exitCode: number;
  /** Machine-wide CPU pressure over the profile run: % of the time some task waited for a CPU (null without PSI). */
  cpuSomePercent: number | null;
  /** Attempts set aside because the harness was late: "scenario: attempt 1 set aside (check: what was late)". */
  lateReruns: string[];
  seconds: number;
  /** "profile › scenario › check" → verdict */
  checks: Map<string, { verdict: string; reason: string; late: boolean }>;
}

/** The profile run in progress: a signal to this script is passed on to it, so it tears its lab down. */
let current: ChildProcess | undefined;
let interrupted = false;

/** Machine-wide CPU pressure (PSI), as the lateness monitor reads it. */
const readCpuPressure = (): string | null => {
  try {
    return readFileSync('/proc/pressure/cpu', 'utf8');
  } catch {
    return null;
  }
};

async function runProfile(file: string, sutPriority: string, lateReruns: string | undefined): Promise<Verdicts> {
  const out = await mkdtemp(join(tmpdir(), 'nc-loadv-'));
  try {
    const pressure = new CpuPressure(readCpuPressure);
    pressure.start();
    const t0 = performance.now();
    const extra = lateReruns === undefined ? [] : ['--late-reruns', lateReruns];
    const child = spawn(
      process.execPath,
      [
        join(root, 'harness/bin/netconform.js'),
        'run',
        file,
        '-r',
        'json',
        '-o',
        out,
        '--sut-priority',
        sutPriority,
        ...extra,
      ],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    current = child;
    const exitCode: number = await new Promise((r) => child.on('exit', (code) => r(code ?? 1)));
    current = undefined;
    const cpuSomePercent = pressure.percent();
    const res = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as RunResult;
    // What each set-aside attempt was late for, cut: the full reason is in that run's results.json.
    const reruns = res.scenarios.flatMap((s) =>
      (s.lateReruns ?? []).map(
        (r) =>
          `${s.id}: attempt ${r.attempt} set aside (${r.check}: ${r.reason.replace(HARNESS_LATE, '').slice(0, 200)})`,
      ),
    );
    const checks = new Map<string, { verdict: string; reason: string; late: boolean }>();
    for (const s of res.scenarios)
      for (const c of s.checks)
        checks.set(`${basename(file, '.yaml')} › ${s.id} › ${c.name}`, {
          verdict: c.verdict,
          reason: c.reason,
          late: c.cause === 'harness-late',
        });
    return {
      exitCode,
      checks,
      cpuSomePercent,
      lateReruns: reruns,
      seconds: Math.round((performance.now() - t0) / 100) / 10,
    };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

function busyLoops(ownSessions: boolean): ChildProcess[] {
  return Array.from({ length: availableParallelism() }, (_, cpu) =>
    spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'for(;;){}'], {
      stdio: 'ignore',
      detached: ownSessions,
    }),
  );
}

async function main(): Promise<number> {
  const runs = Math.min(MAX_RUNS, Math.max(1, Number(arg('runs') ?? 3)));
  const wanted = arg('profiles')?.split(',');
  const outFile = resolve(arg('out') ?? join(root, 'reports/load-verdicts.json'));
  const ownSessions = process.argv.includes('--own-sessions');
  const sutPriority = arg('sut-priority') ?? 'normal';
  const lateRerunsArg = arg('late-reruns');
  const files = (await readdir(join(root, 'profiles')))
    .filter((f) => f.endsWith('.yaml') && (!wanted || wanted.includes(basename(f, '.yaml'))))
    .map((f) => join(root, 'profiles', f));
  console.error(
    `load-verdicts: ${files.length} profiles; 1 unloaded pass, then ${runs} with a busy loop on each of ${availableParallelism()} cores${ownSessions ? ', each in a session of its own' : ''}; --sut-priority ${sutPriority}`,
  );
  const started = Date.now();
  // Ctrl-C or SIGTERM: the busy loops go at once; the profile run gets the signal too (its own
  // handler tears its lab down) and is waited for, so nothing it made outlives this script.
  let loops: ChildProcess[] = [];
  const stopLoops = (): void => {
    for (const l of loops) {
      try {
        l.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    interrupted = true;
    stopLoops();
    current?.kill(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const baseline = new Map<string, Verdicts>();
  for (const f of files) {
    const v = await runProfile(f, sutPriority, lateRerunsArg).catch((err: unknown) => {
      if (interrupted) return undefined;
      throw err;
    });
    if (!v || interrupted) {
      console.error('interrupted during the unloaded pass: nothing to compare');
      return 130;
    }
    baseline.set(f, v);
  }

  const checks = [...baseline.values()].reduce((n, v) => n + v.checks.size, 0);
  const changes: Array<{
    run: number;
    check: string;
    unloaded: string;
    loaded: string;
    reason: string;
    harnessLate: boolean;
    unloadedReason: string;
    unloadedHarnessLate: boolean;
    cpuSomePercent: number | null;
  }> = [];
  /** Per loaded pass and profile: machine-wide CPU pressure and the scenarios re-run after a late attempt. */
  const passes: Array<{
    run: number;
    seconds: number;
    profiles: Record<string, { cpuSomePercent: number | null; lateReruns: string[]; seconds: number }>;
  }> = [];
  const baselineReruns = [...baseline].flatMap(([f, v]) => v.lateReruns.map((x) => `${basename(f, '.yaml')} › ${x}`));
  let done = 0;
  /** Written after every pass, so an interrupted experiment still leaves its figures. */
  const report = async (): Promise<string> => {
    const r = {
      generatedAt: new Date().toISOString(),
      seconds: (Date.now() - started) / 1000,
      cores: availableParallelism(),
      ownSessions,
      sutPriority,
      lateReruns: lateRerunsArg ?? 'default',
      profiles: files.map((f) => basename(f)),
      checksPerPass: checks,
      loadedPasses: done,
      changes: changes.length,
      attemptsSetAsideLoaded: passes.reduce(
        (n, p) => n + Object.values(p.profiles).reduce((m, x) => m + x.lateReruns.length, 0),
        0,
      ),
      attemptsSetAsideUnloaded: baselineReruns.length,
      changesToHarnessLateError: changes.filter((c) => c.harnessLate).length,
      changesFromHarnessLateError: changes.filter((c) => c.unloadedHarnessLate).length,
      otherChanges: changes.filter((c) => !c.harnessLate && !c.unloadedHarnessLate).length,
      unloadedReRuns: baselineReruns,
      unloadedCpuSomePercent: Object.fromEntries(
        [...baseline].map(([f, v]) => [basename(f, '.yaml'), v.cpuSomePercent]),
      ),
      unloadedSeconds: Object.fromEntries([...baseline].map(([f, v]) => [basename(f, '.yaml'), v.seconds])),
      passes,
      baseline: Object.fromEntries([...baseline].flatMap(([, v]) => [...v.checks].map(([k, x]) => [k, x.verdict]))),
      changed: changes,
    };
    await writeFile(outFile, `${JSON.stringify(r, null, 2)}\n`);
    return `${done} loaded pass(es) × ${checks} checks: ${changes.length} verdict change(s) vs the unloaded pass (${r.changesToHarnessLateError} to an error naming the harness's lateness, ${r.changesFromHarnessLateError} from one, ${r.otherChanges} other); ${r.attemptsSetAsideLoaded} attempt(s) set aside for the harness's lateness and re-run (${r.attemptsSetAsideUnloaded} unloaded); ${outFile}`;
  };

  loops = busyLoops(ownSessions);
  try {
    for (let run = 1; run <= runs && !interrupted; run++) {
      const pass = {
        run,
        seconds: 0,
        profiles: {} as Record<string, { cpuSomePercent: number | null; lateReruns: string[]; seconds: number }>,
      };
      const passStarted = Date.now();
      for (const f of files) {
        const got = await runProfile(f, sutPriority, lateRerunsArg).catch((err: unknown) => {
          if (interrupted) return undefined;
          throw err;
        });
        if (!got || interrupted) break;
        pass.profiles[basename(f, '.yaml')] = {
          cpuSomePercent: got.cpuSomePercent,
          lateReruns: got.lateReruns,
          seconds: got.seconds,
        };
        for (const x of got.lateReruns)
          console.error(
            `  run ${run}: ${basename(f, '.yaml')} › ${x}, re-run; machine-wide CPU pressure over the profile run ${got.cpuSomePercent ?? '?'}%`,
          );
        for (const [key, base] of baseline.get(f)!.checks) {
          const now = got.checks.get(key);
          if (now?.verdict === base.verdict) continue;
          const c = {
            run,
            check: key,
            unloaded: base.verdict,
            loaded: now?.verdict ?? 'missing',
            reason: now?.reason ?? '',
            harnessLate: now?.late ?? false,
            // The "unloaded" pass runs on whatever else the machine is doing: its own lateness errors are told apart too.
            unloadedReason: base.reason,
            unloadedHarnessLate: base.late,
            cpuSomePercent: got.cpuSomePercent,
          };
          changes.push(c);
          console.error(
            `  run ${run}: ${key}: ${c.unloaded}${c.unloadedHarnessLate ? ' (harness late)' : ''} → ${c.loaded}${c.reason ? ` (${c.reason.slice(0, 200)})` : ''}; machine-wide CPU pressure over the profile run ${c.cpuSomePercent ?? '?'}%`,
          );
        }
      }
      if (interrupted) break;
      pass.seconds = Math.round((Date.now() - passStarted) / 1000);
      passes.push(pass);
      done = run;
      console.error(`load-verdicts: loaded pass ${run}/${runs} done, ${changes.length} change(s) so far`);
      await report();
    }
  } finally {
    stopLoops();
  }
  if (interrupted) {
    console.log(`interrupted: ${await report()}`);
    return 130;
  }
  console.log(await report());
  return changes.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(3);
  },
);
