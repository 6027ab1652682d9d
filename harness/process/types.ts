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

export type OutputStream = 'stdout' | 'stderr';
/** Called with every output line, in order, as it arrives (harness/process/spawn.ts). */
export type LineListener = (stream: OutputStream, line: string) => void;

export interface SpawnOptions {
  /** Lab host to run in (its network namespace). Omit for the harness's own namespace. */
  host?: string;
  env?: Record<string, string>;
  cwd?: string;
  /** Called for every line on stdout/stderr as it arrives. */
  onLine?: LineListener;
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
  /**
   * Every line from now on, as it arrives; returns the unsubscribe. A judge reads the stream this
   * way, never `output` by position: `output` drops its oldest lines past its bound. Subscribed in
   * the same tick as the start, it sees every line (lines arrive in later ticks).
   */
  onLine(listener: LineListener): () => void;
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

/** Which output stream a pattern reads. */
export type StreamChoice = OutputStream | 'either';

export interface SutReady {
  /** A regular expression (RE2 syntax) a line on `stream` must match. */
  line?: string;
  /** The stream `line` is read from; default either (many daemons log to stderr). */
  stream?: StreamChoice;
  /** A regular expression a stdout line must match (`line` with `stream: stdout`). */
  stdout?: string;
  /** A TCP port that must accept connections (in the SUT's host); a `${var}` template is allowed. */
  port?: number | string;
  /** Fixed delay, in ms. */
  delayMs?: number;
  /** How long to wait for readiness before the SUT is an error. */
  timeoutMs?: number;
}

export interface SutSpec {
  /** What reports call it (default: the scenario's id in its profile). */
  name?: string;
  /** Lab host the SUT runs in. */
  host?: string;
  /**
   * argv; `${name}` is substituted from the scenario's variables (`$${` is a literal `${`). A
   * relative argv[0] path is resolved against the profile's folder.
   */
  command: string[];
  env?: Record<string, string>;
  /**
   * Files written before each start (relative path → content, both `${var}` templates), in a
   * folder of their own given as `${files}` (harness/process/sut-files.ts).
   */
  files?: Record<string, string>;
  ready?: SutReady;
  /**
   * What its exit before the scenario is done means: `failure`, the product failed (a relay that
   * quits after its first connection), or `error`, the run could not judge it. Default: the
   * scenario's (`Scenario.sutExit`).
   */
  exit?: SutExitMeaning;
  /**
   * The product's own shortest timer a scenario with a compressed timeline must leave room for
   * (its ping or heartbeat period, the time it needs to notice a resume), in real ms. Read by
   * scenarios that scale time (darkwake.*), never by the SUT runner.
   */
  minReactionMs?: number;
}

export type SutExitMeaning = 'failure' | 'error';

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
