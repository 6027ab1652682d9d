/**
 * One simulated night, shared by the darkwake scenarios: start the client, wait for its first
 * handshake, run the schedule (sleep model), stop the client, and tell a crash or a hang
 * apart from a verdict. No stopped process and no downed link survive it: `ctx.defer`
 * registers the wake-up before the first SIGSTOP, and the model wakes in its own `finally`.
 */
import type { Evidence, TimelineEvent, TimelineEvidence } from '../../../harness/model/check.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ProcessExit } from '../../../harness/process/types.ts';
import { formatMs, parseDuration } from '../../../harness/util/duration.ts';
import type { EventLog, TimedEvent } from '../../lib/tunnel/launch.ts';
import type { PhaseMark } from './churn-count.ts';
import type { ClientUnderTest } from './client-under-test.ts';
import { stopClient } from './client-under-test.ts';
import type { SleepModelParams } from './params.ts';
import { CpuWaitMeter } from '../../lib/lateness/cpu-wait.ts';
import { latenessBound, type LatenessMonitor } from '../../lib/lateness/monitor.ts';
import { raisePriority } from '../../../harness/process/priority.ts';
import { untilQuiet, type Settled } from '../../lib/lateness/settle.ts';
import {
  compileSchedule,
  compressSleeps,
  describeSchedule,
  totals,
  type Phase,
  type SleepCompression,
} from './schedule.ts';
import { phaseLateness, SleepModel, type PhaseRecord, type ScheduleRun } from './sleep-model.ts';

/** Default bound on a phase's length error as the client lived it (real ms); at most a quarter of the phase. */
export const DEFAULT_SCHEDULE_ERROR_MS = 150;

/** The bound for one phase: the schedule's error bound, and never more than a quarter of the phase. */
export function phaseBound(p: Phase, scheduleErrorMs: number): number {
  return Math.min(scheduleErrorMs, latenessBound(p.scaledMs));
}

export interface NightOptions {
  params: SleepModelParams;
  signal: AbortSignal;
  startClient: (gapMs: number) => Promise<ClientUnderTest>;
  /** The event that shows the client's session is up (the night starts after it). */
  firstHandshake: (e: TimedEvent) => boolean;
  startTimeoutMs: number;
  /** Called when a phase has begun (flows-after-wake probes here). */
  onPhase?: (rec: PhaseRecord) => void;
  /** Runs after the full wake while the client still runs (e.g. ask the gateway what is open). */
  afterNight?: () => Promise<unknown>;
  /** Where the schedule's lateness goes (suites/lib/lateness): the scenario guards its verdicts with it. */
  lateness: LatenessMonitor;
  /** Bound on a phase's length error (real ms), see phaseBound. */
  scheduleErrorMs: number;
  /** Cut sleeps past every dead-peer decision (./compression.ts). */
  compression?: SleepCompression;
}

export interface NightResult {
  client?: ClientUnderTest;
  phases: Phase[];
  marks: PhaseMark[];
  schedule?: ScheduleRun;
  afterNight?: unknown;
  /** Before the client was stopped: what the gateway logs after this is the harness's doing. */
  nightEndMs: number;
  /** The night could not start (bad schedule, client never connected). */
  setupError?: string;
  /** The client crashed or hung mid-night: an error, not a verdict. */
  clientError?: string;
  /** Set with clientError when the client exited on its own mid-schedule: its exit and the phase. */
  clientExit?: { exit: ProcessExit; during: string };
  evidence: Evidence[];
  scheduleText: string;
  compression?: SleepCompression;
  /** How long the client took to go quiet after its first handshake (null: not measurable here). */
  settled?: Settled | null;
  timeline(): TimelineEvidence;
}

const STOP_GRACE_MS = 1000;

/** "3.6s scaled, compressed to 1.1s", "120ms scaled, raised to 300ms (minDarkWake)", "3.6s scaled". */
function phaseLength(p: Phase): string {
  if (p.compressedFromMs !== undefined)
    return `${formatMs(p.compressedFromMs)} scaled, compressed to ${formatMs(p.scaledMs)}`;
  if (p.raisedFromMs !== undefined)
    return `${formatMs(p.raisedFromMs)} scaled, raised to ${formatMs(p.scaledMs)} (minDarkWake)`;
  return `${formatMs(p.scaledMs)} scaled`;
}

/** Resume detection threshold for the reference client: well under the shortest sleep, well over timer jitter. */
function gapFor(phases: Phase[]): number {
  const shortest = Math.min(...phases.filter((p) => p.kind === 'sleep').map((p) => p.scaledMs));
  return Math.round(Math.min(1000, Math.max(40, shortest / 3)));
}

/**
 * The phases a night runs, as it runs them: compiled at its timeScale (dark wakes raised to
 * minDarkWake), sleeps cut to the compression's horizon. Throws on a schedule that cannot run.
 */
export function nightPhases(
  w: Pick<SleepModelParams, 'schedule' | 'timeScale' | 'minDarkWake'>,
  compression?: SleepCompression,
): Phase[] {
  const phases = compileSchedule(w.schedule, w.timeScale, { minDarkWakeMs: parseDuration(w.minDarkWake) });
  return compression ? compressSleeps(phases, compression) : phases;
}

export async function runNight(ctx: ScenarioContext, log: EventLog, o: NightOptions): Promise<NightResult> {
  const { params: w, signal } = o;
  const phaseEvents: TimelineEvent[] = [];
  const res: NightResult = {
    phases: [],
    marks: [],
    evidence: [],
    scheduleText: '',
    nightEndMs: Infinity,
    timeline: () => ({
      kind: 'timeline',
      title: `night (${res.scheduleText})`,
      events: [...phaseEvents, ...log.timeline((e) => e.event !== 'status' && e.event !== 'keepalive-set')].sort(
        (a, b) => a.t - b.t,
      ),
    }),
  };
  try {
    res.phases = nightPhases(w, o.compression);
  } catch (err) {
    res.setupError = (err as Error).message;
    return res;
  }
  if (o.compression && res.phases.some((p) => p.compressedFromMs !== undefined)) res.compression = o.compression;
  res.scheduleText = describeSchedule(w.schedule, res.phases, w.timeScale, res.compression);
  ctx.log(`sleep model: ${res.scheduleText}; kernelAwake=${w.kernelAwake}`);

  let client: ClientUnderTest;
  try {
    client = await o.startClient(gapFor(res.phases));
  } catch (err) {
    res.setupError = `the client did not start: ${(err as Error).message}${dropsSoFar(log)}`;
    return res;
  }
  res.client = client;
  const first = await Promise.race([
    log.waitFor(o.firstHandshake, o.startTimeoutMs, signal),
    client.proc.exited.then(() => undefined),
  ]);
  if (!first) {
    const why = client.proc.running() ? `no handshake within ${formatMs(o.startTimeoutMs)}` : 'it exited';
    await client.proc.stop(STOP_GRACE_MS);
    res.setupError = `the ${client.who} never connected to the gateway (${why})${setupCause(log, client.who)}${dropsSoFar(log)}; last output: ${client.proc.output.slice(-4).join(' | ') || 'none'}`;
    res.evidence.push(log.timelineEvidence('start-up'));
    return res;
  }

  // The night starts once the client is quiet after connecting: its start-up's CPU is not the night's.
  res.settled = await untilQuiet(client.proc, { signal }).catch(() => null);
  const s = res.settled;
  if (s)
    ctx.log(
      `the ${client.who} ${s.quiet ? 'was quiet' : 'was still busy'} ${Math.round(s.afterMs)} ms after its first handshake (${s.cpuMs.toFixed(0)} ms of CPU meanwhile${s.waitedMs === undefined ? '' : `, ${s.waitedMs.toFixed(0)} ms waiting for one`}): the night starts`,
    );

  const lab = ctx.lab!;
  const { client: host, segment } = w.hosts;
  // How long the client waited for a CPU in each awake window: a reaction the machine delayed is not the client's.
  const cpu = CpuWaitMeter.of(client.proc);
  let awake: PhaseRecord | undefined;
  let markMs = ctx.elapsedMs();
  const cpuWait = (): void => {
    const waited = cpu.since();
    const now = ctx.elapsedMs();
    // What was read (its cgroup, or which thread) and over how long a window.
    if (awake && waited) {
      o.lateness.record({
        sutWait: true,
        what: `the ${client.who} waited {ms} for a CPU during ${awake.phase.label}`,
        atMs: now,
        lateMs: waited.ms,
        boundMs: phaseBound(awake.phase, o.scheduleErrorMs),
        detail: `its ${waited.source}, over ${Math.round(now - markMs)} ms`,
      });
      ctx.log(
        `${awake.phase.label}: the ${client.who} waited ${waited.ms.toFixed(0)} ms for a CPU over ${Math.round(now - markMs)} ms (its ${waited.source})`,
      );
    }
    markMs = now;
  };
  const model = new SleepModel({
    phases: res.phases,
    target: client.proc,
    ...(w.kernelAwake ? {} : { linkDown: () => lab.linkDown(host, segment), linkUp: () => lab.linkUp(host, segment) }),
    now: () => ctx.elapsedMs(),
    signal: AbortSignal.any([signal, crashSignal(client)]),
    onPhase: (rec) => {
      cpuWait();
      awake = rec.phase.kind === 'sleep' ? undefined : rec;
      res.marks.push({
        kind: rec.phase.kind,
        cycle: rec.phase.cycle,
        startMs: rec.enteredMs,
        unscaledMs: rec.phase.unscaledMs,
      });
      phaseEvents.push({
        t: Math.round(rec.enteredMs),
        source: 'sleep-model',
        event: rec.phase.label,
        detail: `${formatMs(rec.phase.unscaledMs)} unscaled = ${phaseLength(rec.phase)}; ${rec.lateMs.toFixed(1)} ms late`,
      });
      o.onPhase?.(rec);
      ctx.progress(
        rec.phase.label,
        res.phases.slice(rec.index).reduce((sum, p) => sum + p.scaledMs, 0),
      );
    },
  });
  // Registered before the first SIGSTOP: whatever ends the scenario, the client wakes.
  ctx.defer(() => model.wakeForGood());
  // The schedule's driver (this thread, and the `ip` link changes it forks) keeps time on a busy machine.
  const lower = raisePriority();
  if (!lower)
    ctx.log(
      "sleep model: could not raise the harness's scheduling priority (not root?); its lateness is still measured",
    );
  try {
    res.schedule = await model.run();
    cpuWait();
    // The gateway emulator's own stalls: a DPD decision it made late is the harness's lateness.
    for (const st of log.events.filter(
      (x) =>
        x.src === 'gateway' && x.event === 'stall' && x.t >= res.schedule!.startedMs && x.t <= res.schedule!.endedMs,
    )) {
      o.lateness.record({
        what: `the gateway emulator's event loop stalled {ms}`,
        atMs: st.t,
        lateMs: st.n?.lagMs ?? 0,
        boundMs: o.scheduleErrorMs,
        detail: 'its dead-peer decisions ran that late',
      });
    }
    for (const l of phaseLateness(res.schedule, (p) => phaseBound(p, o.scheduleErrorMs))) o.lateness.record(l);
  } catch (err) {
    res.clientError = `the sleep model failed: ${(err as Error).message}`;
  } finally {
    lower?.();
  }
  const during = res.marks.at(-1) ? res.phases[res.marks.length - 1]?.label : 'start';
  if (client.proc.running() && !res.clientError) res.afterNight = await o.afterNight?.();
  res.nightEndMs = ctx.elapsedMs();
  const end = await stopClient(client, STOP_GRACE_MS);
  if (end.crashed && !res.clientError) {
    const how = end.exit.signal ? `killed by ${end.exit.signal}` : `exit code ${end.exit.code}`;
    res.clientError = `the ${client.who} exited mid-schedule (${how}) during ${during}; last output: ${client.proc.output.slice(-3).join(' | ') || 'none'}`;
    res.clientExit = { exit: end.exit, during: during ?? 'start' };
  } else if (end.hung && !res.clientError) {
    res.clientError = `the ${client.who} hung: it ignored SIGTERM for ${STOP_GRACE_MS} ms after the night and was killed (SIGKILL)`;
  }
  return res;
}

/**
 * Why the first handshake never came, when the tools said: the client's own `fatal` (e.g. the
 * gateway's certificate did not verify) or, for a black-box SUT, the gateway's failed TLS handshakes.
 */
function setupCause(log: EventLog, who: string): string {
  const fatal = log.of(who, 'fatal').at(-1);
  if (fatal?.detail) return `: ${fatal.detail}`;
  const tlsErrors = log.events.filter((e) => e.src === 'gateway' && e.event === 'tls-error');
  if (!tlsErrors.length) return '';
  return `; the gateway saw ${tlsErrors.length} failed TLS handshake${tlsErrors.length === 1 ? '' : 's'} (last: ${tlsErrors.at(-1)!.detail ?? '?'}): does the client trust \${gateway.ca}?`;
}

/**
 * The gateway's drops before the night could start: a client whose readiness waits for a stable
 * session never gets one when the gateway's scaled dead-peer timeout is shorter than its own ping.
 */
function dropsSoFar(log: EventLog): string {
  const drops = log.events.filter((e) => e.src === 'gateway' && e.event === 'dpd-drop');
  if (!drops.length) return '';
  return `; meanwhile the gateway dropped ${drops.length} session${drops.length === 1 ? '' : 's'} (last: ${drops.at(-1)!.detail ?? 'dpd-drop'}): is its scaled dead-peer timeout shorter than the client's own timers? (declare them as sut.minReaction)`;
}

/** Aborts when the client exits, so the schedule does not go on signalling a dead process. */
function crashSignal(client: ClientUnderTest): AbortSignal {
  const ac = new AbortController();
  void client.proc.exited.then((x) => ac.abort(new Error(`client exited (${x.signal ?? x.code})`)));
  return ac.signal;
}

export function scheduleEvidence(night: NightResult, scale: number): Evidence {
  const r = night.schedule;
  const t = totals(night.phases);
  return {
    kind: 'numbers',
    title: 'schedule',
    values: {
      timeScale: scale,
      sleeps: t.sleeps,
      darkWakes: t.darkWakes,
      unscaledTotal: formatMs(t.unscaledMs),
      plannedMs: r ? Math.round(r.plannedMs) : t.scaledMs,
      measuredMs: r ? Math.round(r.measuredMs) : null,
      maxLateMs: r ? Number(r.maxLateMs.toFixed(1)) : null,
      meanLateMs: r ? Number(r.meanLateMs.toFixed(1)) : null,
      stoppedEarly: r?.stoppedEarly ?? null,
      sleepsCompressedTo: night.compression
        ? Math.round(night.phases.find((p) => p.compressedFromMs !== undefined)!.scaledMs)
        : null,
      compression: night.compression ? night.compression.why : 'none',
      darkWakesRaisedTo: night.phases.find((p) => p.raisedFromMs !== undefined)?.scaledMs ?? null,
      clientQuietAfterMs: night.settled ? Math.round(night.settled.afterMs) : null,
      clientQuiet: night.settled ? night.settled.quiet : null,
      clientWaitedBeforeNightMs: night.settled?.waitedMs !== undefined ? Math.round(night.settled.waitedMs) : null,
    },
    units: {
      plannedMs: 'ms',
      measuredMs: 'ms',
      maxLateMs: 'ms',
      meanLateMs: 'ms',
      sleepsCompressedTo: 'ms',
      darkWakesRaisedTo: 'ms',
      clientQuietAfterMs: 'ms',
      clientWaitedBeforeNightMs: 'ms',
    },
  };
}
