/**
 * The ScenarioContext a scenario runs with: log, deferred cleanup, tracked processes and SUT.
 * `finish()` runs every cleanup (LIFO) and stops every process the attempt started, on every
 * path: pass, fail, throw, timeout, interrupt.
 */
import type { Lab } from '../lab/types.ts';
import type { Capabilities, ScenarioContext, ScenarioProgress, SutWatchOptions } from '../model/scenario.ts';
import { prepareSut, spawnManaged, startSut, SutError, type StartSutOptions } from '../process/index.ts';
import { tempFolder, writeSutFiles } from '../process/sut-files.ts';
import { labFilesDir } from '../lab/state.ts';
import { raiseCgroup, raiseHeld } from '../process/priority.ts';
import type { HeldSut, ManagedProcess, SpawnOptions, SutHandle, SutPriority, SutSpec } from '../process/types.ts';
import {
  LINE_MAX_BYTES,
  LOG_LINE_MAX_BYTES,
  PROCESS_OUTPUT_MAX_BYTES,
  SCENARIO_LOG_MAX_BYTES,
  TailLines,
  capLine,
  formatBytes,
  noCut,
  wasCut,
  type OutputCut,
} from '../util/bounded-lines.ts';

export interface ContextInit {
  scenarioId: string;
  profileDir: string;
  lab: Lab | undefined;
  sut: SutSpec | undefined;
  allowHostNetwork: boolean;
  /** `--sut-priority`; default normal. */
  sutPriority?: SutPriority;
  capabilities: Capabilities;
  attempt: number;
  signal: AbortSignal;
  onLog?: (line: string) => void;
  onProgress?: (p: ScenarioProgress) => void;
}

export class AttemptContext implements ScenarioContext {
  readonly scenarioId: string;
  readonly profileDir: string;
  readonly lab: Lab | undefined;
  readonly sut: SutSpec | undefined;
  readonly allowHostNetwork: boolean;
  readonly sutPriority: SutPriority;
  readonly capabilities: Capabilities;
  readonly attempt: number;
  /** The attempt's log: each line cut to 8 KiB, the most recent 1 MiB kept; `logCut` counts the rest. */
  readonly lines: string[] = [];
  readonly logCut: OutputCut = noCut();
  private readonly kept = new TailLines(this.lines, this.logCut, SCENARIO_LOG_MAX_BYTES);
  private readonly started = performance.now();
  private readonly cleanups: Array<() => unknown> = [];
  private readonly processes: ManagedProcess[] = [];
  private readonly signal: AbortSignal;
  private readonly onLog?: (line: string) => void;
  private readonly onProgress?: (p: ScenarioProgress) => void;

  constructor(init: ContextInit) {
    this.scenarioId = init.scenarioId;
    this.profileDir = init.profileDir;
    this.lab = init.lab;
    this.sut = init.sut;
    this.allowHostNetwork = init.allowHostNetwork;
    this.sutPriority = init.sutPriority ?? 'normal';
    this.capabilities = init.capabilities;
    this.attempt = init.attempt;
    this.signal = init.signal;
    this.onLog = init.onLog;
    this.onProgress = init.onProgress;
  }

  elapsedMs(): number {
    return performance.now() - this.started;
  }

  log(line: string): void {
    const stamped = capLine(`[+${(this.elapsedMs() / 1000).toFixed(3)}s] ${line}`, LOG_LINE_MAX_BYTES, this.logCut);
    this.kept.push(stamped);
    this.onLog?.(stamped);
  }

  progress(where: string, remainingMs?: number): void {
    this.onProgress?.({
      where,
      remainingMs: remainingMs === undefined ? undefined : Math.max(0, remainingMs),
      atMs: this.elapsedMs(),
    });
  }

  defer(cleanup: () => unknown): void {
    this.cleanups.push(cleanup);
  }

  private netnsOf(host: string | undefined): string | undefined {
    if (!host) return undefined;
    if (!this.lab) throw new Error(`host "${host}" was named but this profile has no lab`);
    return this.lab.host(host).netns;
  }

  /**
   * The cgroup of a lab host's own programs (its local network policy; their CPU pressure, read
   * by suites/lib/lateness/cpu-wait.ts). Where cgroup v2 is not writable a host whose policy is
   * `allowed` runs them unconfined (a later lnpDeny then fails with the reason); any other
   * policy makes the start fail rather than run unconfined.
   */
  private cgroupOf(host: string | undefined): string | undefined {
    if (!host || !this.lab) return undefined;
    const h = this.lab.host(host);
    try {
      return this.raisedCgroup(h.appCgroup());
    } catch (err) {
      if (h.localNetwork() !== 'allowed') throw err;
      this.log(
        `${host}'s programs run without a cgroup of their own (no local network policy; their CPU wait is read per thread): ${(err as Error).message}`,
      );
      return undefined;
    }
  }

  /** Cgroups raised in this attempt (`--sut-priority raised`), each once, put back when it ends. */
  private readonly raisedCgroups = new Set<string>();

  private raisedCgroup(dir: string): string {
    if (this.sutPriority !== 'raised' || this.raisedCgroups.has(dir)) return dir;
    this.raisedCgroups.add(dir);
    const lower = raiseCgroup(dir);
    if (lower) {
      this.log(`${dir}: cpu.weight.nice raised (--sut-priority raised)`);
      this.defer(lower);
    }
    return dir;
  }

  spawn(argv: string[], opts: SpawnOptions = {}): ManagedProcess {
    const cgroup = opts.app ? this.cgroupOf(opts.host) : undefined;
    // A program that stands for the one under test is raised like a SUT: held at its gate, raised, released.
    const raised = opts.app === true && this.sutPriority === 'raised';
    const proc = spawnManaged(argv, {
      netns: this.netnsOf(opts.host),
      env: opts.env,
      cwd: opts.cwd,
      onLine: opts.onLine,
      cgroup,
      held: raised,
    });
    this.processes.push(proc);
    if (raised) {
      void raiseHeld(proc).then((r) => {
        this.log(
          r.raised
            ? `${argv[0]} (pid ${proc.pid}): raised (${r.detail})`
            : `${argv[0]} (pid ${proc.pid}): could not be raised (${r.detail}); it runs at normal priority`,
        );
        proc.release();
      });
    }
    return proc;
  }

  private sutOptions(spec: SutSpec, vars: Record<string, string>, watch: SutWatchOptions): StartSutOptions {
    return {
      name: this.scenarioId,
      onLine: watch.onLine,
      // Tracked from its spawn: a SUT that never got ready is still stopped, and its cut output counted.
      onSpawn: (proc) => this.processes.push(proc),
      netns: this.netnsOf(spec.host),
      cgroup: this.cgroupOf(spec.host),
      profileDir: this.profileDir,
      vars,
      // sut.ts names the SUT in each of its lines ("sut: ready", "sut stdout: …").
      log: (line) => this.log(line),
      signal: this.signal,
      raised: this.sutPriority === 'raised',
    };
  }

  async startSut(spec: SutSpec, vars: Record<string, string> = {}, watch: SutWatchOptions = {}): Promise<SutHandle> {
    return startSut(spec, this.sutOptions(spec, await this.withFiles(spec, vars), watch));
  }

  async prepareSut(spec: SutSpec, vars: Record<string, string> = {}, watch: SutWatchOptions = {}): Promise<HeldSut> {
    return prepareSut(spec, this.sutOptions(spec, await this.withFiles(spec, vars), watch));
  }

  /** Writes `sut.files` (removed when the attempt ends; with the lab if the run is killed) and adds `${files}`. */
  private async withFiles(spec: SutSpec, vars: Record<string, string>): Promise<Record<string, string>> {
    if (!spec.files || Object.keys(spec.files).length === 0) return vars;
    const lab = this.lab;
    const folder = lab ? () => labFilesDir(lab.runId, 'sut-') : tempFolder;
    try {
      const written = await writeSutFiles(spec.files, vars, folder);
      this.defer(() => written.remove());
      this.log(`sut: wrote ${Object.keys(spec.files).length} file(s) to ${written.dir}`);
      return { ...vars, files: written.dir };
    } catch (err) {
      throw new SutError('SUT_CONFIG', (err as Error).message);
    }
  }

  /** Runs cleanups LIFO and stops processes; errors are logged, never thrown. */
  async finish(): Promise<void> {
    while (this.cleanups.length) {
      const fn = this.cleanups.pop()!;
      try {
        await fn();
      } catch (err) {
        this.log(`cleanup failed: ${(err as Error).message}`);
      }
    }
    await Promise.all(
      this.processes.map(async (p) => {
        if (p.running()) {
          const exit = await p.stop(2000);
          this.log(`stopped ${p.argv[0]} (pid ${p.pid}): ${exit.signal ?? `exit ${exit.code}`}`);
        }
      }),
    );
    // Lines a process printed over 4 KiB reached this log already cut: the log's notice counts them.
    for (const p of this.processes) {
      const c = p.outputCut;
      if (!wasCut(c)) continue;
      this.logCut.cutLines += c.cutLines;
      this.logCut.cutBytes += c.cutBytes;
      this.log(
        `output of ${p.argv[0]} (pid ${p.pid}) was cut: ${c.cutLines} lines over ${formatBytes(LINE_MAX_BYTES)} (${formatBytes(c.cutBytes)} not kept); it keeps its last ${formatBytes(PROCESS_OUTPUT_MAX_BYTES)} (${c.droppedLines} earlier lines, ${formatBytes(c.droppedBytes)}, not kept)`,
      );
    }
  }
}
