import type { Check } from './check.ts';
import type { Lab } from '../lab/types.ts';
import type {
  HeldSut,
  LineListener,
  ManagedProcess,
  ProcessExit,
  SpawnOptions,
  SutExitMeaning,
  SutHandle,
  SutPriority,
  SutSpec,
} from '../process/types.ts';

/** A JSON Schema object (draft-07 subset that ajv compiles in strict mode). */
export type JsonSchema = Record<string, unknown>;

/**
 * What a scenario may require of the host. The runner checks these before `run` and turns
 * a missing one into a skip whose reason names it; a scenario never passes because it could not run.
 */
export type Capability =
  | 'linux'
  | 'darwin'
  | 'root'
  | 'netns' // network namespaces can be created
  | 'lab' // the profile has a lab: section and it is up
  | 'addon' // the native socket addon loaded
  | 'netem' // sch_netem in this kernel
  | 'tbf' // sch_tbf in this kernel
  | 'ipv6'
  | 'lnp' // local network policies can be emulated in labs (cgroup v2 + BPF, Linux)
  | 'sut'; // the scenario drives the profile's system under test

export type Capabilities = Record<Capability, { ok: boolean; reason: string }>;

/** Where a running scenario is (ScenarioContext.progress). */
export interface ScenarioProgress {
  /** "dark wake 3/8", "variant 4/10". */
  where: string;
  /** What is left of the scenario's plan, when it knows (excluding its teardown). */
  remainingMs?: number;
  /** The attempt's elapsed time when it was said. */
  atMs: number;
}

export interface ScenarioContext {
  /** The profile's id for this scenario instance (not the `use:` name). */
  readonly scenarioId: string;
  /** Folder of the profile file: SUT paths are relative to it. */
  readonly profileDir: string;
  /** The lab, when the profile has one and it is up. */
  readonly lab: Lab | undefined;
  /** The SUT the profile names for this scenario (scenario-level `sut:` overrides the profile's). */
  readonly sut: SutSpec | undefined;
  readonly allowHostNetwork: boolean;
  /**
   * `--sut-priority`: `raised` runs the SUT and the programs that stand for it (SpawnOptions.app)
   * at a raised scheduling priority, so a busy machine delays them less (harness/process/priority.ts).
   */
  readonly sutPriority: SutPriority;
  readonly capabilities: Capabilities;
  /** Retry attempt, 1-based. */
  readonly attempt: number;
  /** A line for the scenario's log (JUnit system-out, JSON, console on failure). */
  log(line: string): void;
  /** Registers cleanup that runs when the scenario ends on every path (LIFO). */
  defer(cleanup: () => unknown): void;
  /** Milliseconds since this attempt started (timeline `t`). */
  elapsedMs(): number;
  /**
   * Where a long scenario is, for people watching ("dark wake 3/8", with 41 s of its plan left):
   * shown live by the console, not kept in results (the log and the evidence are the record).
   */
  progress(where: string, remainingMs?: number): void;
  /** Starts a tracked process (in a lab host when `opts.host` is set); killed and reaped at scenario end. */
  spawn(argv: string[], opts?: SpawnOptions): ManagedProcess;
  /** Starts the SUT with `${var}` substitution in its argv/env; waits for `ready`; stopped at scenario end. */
  startSut(spec: SutSpec, vars?: Record<string, string>, opts?: SutWatchOptions): Promise<SutHandle>;
  /**
   * The SUT set up (forked, in its host's namespace and cgroup) but held before its program
   * runs: `release()` starts it at once, `ready()` then waits for `ready`. For starts whose
   * timing is the test (two instances `skew` ms apart). Stopped at scenario end.
   */
  prepareSut(spec: SutSpec, vars?: Record<string, string>, opts?: SutWatchOptions): Promise<HeldSut>;
}

export interface SutWatchOptions {
  /**
   * A judge of the SUT's output: every line, from its first, as it arrives. Judges read lines
   * this way, never `process.output` by position, which keeps only the most recent lines.
   */
  onLine?: LineListener;
}

/** A `${name}` variable a scenario gives its SUT's command, env and ready.port. */
export interface SutVariable {
  description: string;
  /** Provided only when this `with:` property is set (validate refuses the variable otherwise). */
  ifWith?: string;
}

export interface ScenarioInput<W, E> {
  with: W;
  expect: E;
}

export interface Scenario<W = Record<string, unknown>, E = Record<string, unknown>> {
  /** The `use:` name: `<family>.<file name>`. */
  id: string;
  summary: string;
  platforms: Array<'linux' | 'darwin'>;
  /** Why the scenario is limited to `platforms`, appended to the skip reason elsewhere ("Network framework is macOS-only"). */
  platformNote?: string;
  requires: Capability[];
  /** Schema for `with:`; defaults in it are applied before `run`. Must be a closed object schema. */
  withSchema: JsonSchema;
  /** Schema for `expect:`; defaults applied. */
  expectSchema: JsonSchema;
  defaultTimeoutMs: number;
  /**
   * True when, without a lab, the scenario would send on the host's real interfaces. The runner
   * then skips it unless the run has --allow-host-network (harness/README.md "The safety rule").
   */
  sendsOnHostNetwork?: boolean;
  /**
   * Its verdicts depend on timing (windows, deadlines, schedules): a failure is re-run to be seen
   * again before it stands (`--confirm-failures`, harness/runner/confirm.ts).
   */
  timingJudged?: boolean;
  /**
   * The `${name}` variables it gives its SUT (sut.command, sut.env, sut.ready.port); validate
   * refuses any other name, with its position. Required of a scenario that requires 'sut'.
   */
  sutVariables?: Record<string, SutVariable>;
  /**
   * What its SUT exiting before it is done means when the profile's `sut.exit` does not say
   * (default `error`): `failure` where an exit is the product failing (a proxy, a peer).
   */
  sutExit?: SutExitMeaning;
  /** `with.x` / `expect.x` parameters that are line patterns: compiled as RE2 at validate. */
  patternParams?: string[];
  run(ctx: ScenarioContext, input: ScenarioInput<W, E>, signal: AbortSignal): Promise<Check[]>;
}

/** True when the SUT's exit is the product failing: its profile's `sut.exit`, else the scenario's default. */
export function sutExitIsFailure(s: Pick<Scenario, 'sutExit'>, sut: SutSpec | undefined): boolean {
  return (sut?.exit ?? s.sutExit ?? 'error') === 'failure';
}

/** "exit code 3" / "killed by SIGSEGV". */
export function describeExit(e: ProcessExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

/** Any registered scenario: its params are typed inside its own file (method parameters are bivariant). */
export type AnyScenario = Scenario<object, object>;

/** Identity helper that keeps the param types of one scenario file. */
export function defineScenario<W, E>(s: Scenario<W, E>): Scenario<W, E> {
  return s;
}
