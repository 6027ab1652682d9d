/** Contracts for child processes and the system under test (implemented in harness/process/). */
import type { OutputCut } from '../util/bounded-lines.ts';

/**
 * How long a SUT may take to become ready when its profile says nothing. Here, not in ./sut.ts,
 * because the profile schema names it and `validate` must not load ./sut.ts (execa).
 */
export const DEFAULT_READY_TIMEOUT_MS = 10_000;

/**
 * The scheduling priority of the programs under test (`run --sut-priority`): `normal`, judged
 * under the machine's load with their CPU wait measured, or `raised` (./priority.ts).
 */
export type SutPriority = 'normal' | 'raised';
export const SUT_PRIORITIES: readonly SutPriority[] = ['normal', 'raised'];

export interface SpawnOptions {
  /** Lab host to run in (its network namespace). Omit for the harness's own namespace. */
  host?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Called for every line on stdout/stderr as it arrives. */
  onLine?: (stream: 'stdout' | 'stderr', line: string) => void;
  /**
   * Runs as one of the host's own programs, under its `localNetwork` policy (as the SUT always
   * does). Harness instruments leave it unset and are never affected by the policy.
   */
  app?: boolean;
}

export interface ProcessExit {
  code: number | null;
  signal: string | null;
}

export interface ManagedProcess {
  readonly pid: number;
  readonly argv: string[];
  /** The cgroup v2 directory it was started in (a lab host's own programs), if any. */
  readonly cgroup?: string;
  /**
   * Output lines so far, prefixed `[stdout] ` / `[stderr] `: each cut to 4 KiB, the most recent
   * 256 KiB kept (harness/util/bounded-lines.ts); `outputCut` counts what was not kept.
   */
  readonly output: string[];
  readonly outputCut: OutputCut;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** True until `exited` resolves. */
  running(): boolean;
  /** A process started held (spawnManaged `held`): lets its program run. Otherwise nothing. */
  release(): void;
  /** SIGSTOP / SIGCONT to the whole process group. */
  suspend(): void;
  resume(): void;
  /** SIGCONT, SIGTERM, then SIGKILL after graceMs; resolves once reaped. */
  stop(graceMs?: number): Promise<ProcessExit>;
}

export interface SutReady {
  /** A regular expression a stdout line must match. */
  stdout?: string;
  /** A TCP port that must accept connections (in the SUT's host). */
  port?: number;
  /** Fixed delay, in ms. */
  delayMs?: number;
  /** How long to wait for readiness before the SUT is an error. */
  timeoutMs?: number;
}

export interface SutSpec {
  /** Lab host the SUT runs in. */
  host?: string;
  /** argv; `${name}` is substituted from the scenario's variables. A relative argv[0] path is resolved against the profile's folder. */
  command: string[];
  env?: Record<string, string>;
  ready?: SutReady;
  /**
   * The product's own shortest timer a scenario with a compressed timeline must leave room for
   * (its ping or heartbeat period, the time it needs to notice a resume), in real ms. Read by
   * scenarios that scale time (darkwake.*), never by the SUT runner.
   */
  minReactionMs?: number;
}

/** A SUT set up in its host but not yet running its program (harness/process/sut.ts prepareSut). */
export interface HeldSut {
  readonly process: ManagedProcess;
  /** Lets its program run; at once (a pipe write). Once only. */
  release(): void;
  /** After release(): resolves when it is ready, or throws SutError (it is then stopped). */
  ready(): Promise<SutHandle>;
}

export interface SutHandle {
  readonly process: ManagedProcess;
  /** Stops it (SIGTERM, then SIGKILL) and returns its exit. */
  stop(): Promise<ProcessExit>;
}
