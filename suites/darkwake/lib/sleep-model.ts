/**
 * Runs a compiled schedule against a client: sleep = SIGSTOP of the client's process group
 * and (unless kernelAwake) its link down; dark wake / full wake = link up, then SIGCONT.
 *
 * What SIGSTOP emulates of a real sleep: the app's threads, timers and run loop stop (no
 * heartbeats, no reads); with the link down its host answers nothing, as a sleeping Mac's
 * NIC does without keepalive offload. What it does not: the kernel keeps running (its TCP
 * timers, keepalive probes and retransmissions go on — with the link down they go nowhere;
 * with kernelAwake they are answered, which models keepalive offload), the monotonic clock
 * keeps counting (on macOS mach_absolute_time stops during sleep), no sleep/wake
 * notifications are delivered, and other processes on the host keep running.
 *
 * Phases start at absolute deadlines (t0 + Σ planned), with one rule over it: no phase is cut
 * short by the harness's own lateness — the next phase starts no earlier than `scaledMs` after
 * this one's process change, so a late start lengthens the phase before it (a sleep, mostly,
 * by the link change before a SIGCONT) and the night runs that much longer; a later phase is
 * never shortened to catch up (a shorter sleep could end before the gateway's DPD decides, a
 * shorter dark wake before the client reacts). Each phase records
 * when the client's process state changed (what the client can observe) and when the
 * transition had completed; after the run, `observedMs` is each phase's length as the client
 * lived it. `phaseLateness` turns those into harness-lateness samples (suites/lib/lateness).
 * Whatever happens (abort, an error in a transition), the client is resumed and its link
 * brought up before `run` returns or throws.
 */
import type { Lateness } from '../../lib/lateness/monitor.ts';
import type { Phase } from './schedule.ts';

export interface SleepTarget {
  /** SIGSTOP to the client's process group. */
  suspend(): void;
  /** SIGCONT to the client's process group. */
  resume(): void;
}

export interface SleepModelOptions {
  phases: Phase[];
  target: SleepTarget;
  /** Both absent, or both present: the client host's link (kernelAwake: false). */
  linkDown?: () => Promise<void>;
  linkUp?: () => Promise<void>;
  /** Clock in ms (the scenario's elapsedMs, so phase times land on its timeline). */
  now: () => number;
  signal: AbortSignal;
  /** Called when a phase's transition has completed. */
  onPhase?: (p: PhaseRecord) => void;
}

export interface PhaseRecord {
  phase: Phase;
  index: number;
  /** t0 + Σ scaled durations before it. */
  plannedStartMs: number;
  /** When it was due: the plan, or later when the phase before it had started late (it keeps its full length). */
  deadlineMs: number;
  /** When the client's process state changed (just before SIGSTOP / SIGCONT): events are attributed from here. */
  enteredMs: number;
  /** When the transition (signal + link change) had completed. */
  actualStartMs: number;
  /** entered − deadline: how late the client's state changed. */
  lateMs: number;
  /** actual − entered: the link change after a SIGSTOP (the host still answers meanwhile). */
  transitionMs: number;
  /** Its length as the client lived it (next phase's entered − its entered); set when the run ends. */
  observedMs?: number;
}

export interface ScheduleRun {
  records: PhaseRecord[];
  startedMs: number;
  endedMs: number;
  /** Planned total (scaled) vs measured. */
  plannedMs: number;
  measuredMs: number;
  maxLateMs: number;
  meanLateMs: number;
  /** Set when the run stopped early (abort); the records say how far it got. */
  stoppedEarly?: string;
}

/** Resolves at `at` on the given clock, never before (libuv's cached loop time can fire a timer up to 1 ms early). */
function waitUntil(now: () => number, at: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    let t = setTimeout(tick, Math.max(0, Math.ceil(at - now())));
    function tick(): void {
      const left = at - now();
      if (left > 0) t = setTimeout(tick, Math.ceil(left));
      else done(true);
    }
    function done(ok: boolean): void {
      clearTimeout(t);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    }
    function onAbort(): void {
      done(false);
    }
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class SleepModel {
  private asleep = false;
  private linkIsDown = false;

  constructor(private readonly o: SleepModelOptions) {}

  /** Resume for good: link up, SIGCONT. Safe to call any time, any number of times. */
  async wakeForGood(): Promise<void> {
    this.o.target.resume();
    this.asleep = false;
    if (this.linkIsDown && this.o.linkUp) {
      this.linkIsDown = false;
      await this.o.linkUp();
    }
    this.o.target.resume(); // again, after the link: a stop that raced the first one is undone too
  }

  /** Returns when the process state changed. */
  private async enter(p: Phase): Promise<number> {
    let entered: number;
    if (p.kind === 'sleep') {
      // Process first: a real sleep freezes the app before its network goes away.
      entered = this.o.now();
      this.o.target.suspend();
      this.asleep = true;
      if (this.o.linkDown && !this.linkIsDown) {
        this.linkIsDown = true;
        await this.o.linkDown();
      }
      return entered;
    } else {
      // Network first: a dark wake resumes the app onto a working link.
      if (this.linkIsDown && this.o.linkUp) {
        await this.o.linkUp();
        this.linkIsDown = false;
      }
      entered = this.o.now();
      this.o.target.resume();
      this.asleep = false;
      return entered;
    }
  }

  async run(): Promise<ScheduleRun> {
    const { phases, now, signal } = this.o;
    const records: PhaseRecord[] = [];
    const t0 = now();
    let planned = t0;
    let deadline = t0;
    let stoppedEarly: string | undefined;
    try {
      for (let i = 0; i < phases.length; i++) {
        const p = phases[i]!;
        if (i > 0 && !(await waitUntil(now, deadline, signal))) {
          stoppedEarly = `aborted before ${p.label}`;
          break;
        }
        const entered = await this.enter(p);
        const actual = now();
        const rec: PhaseRecord = {
          phase: p,
          index: i,
          plannedStartMs: planned,
          deadlineMs: deadline,
          enteredMs: entered,
          actualStartMs: actual,
          lateMs: entered - deadline,
          transitionMs: actual - entered,
        };
        records.push(rec);
        this.o.onPhase?.(rec);
        planned += p.scaledMs;
        // On the plan, unless that would cut this phase short: then its full length from its process change.
        deadline = Math.max(planned, entered + p.scaledMs);
      }
      if (!stoppedEarly && !(await waitUntil(now, deadline, signal))) stoppedEarly = 'aborted during the full wake';
    } finally {
      if (this.asleep || this.linkIsDown) await this.wakeForGood();
    }
    const endedMs = now();
    records.forEach((r, k) => {
      r.observedMs = (records[k + 1]?.enteredMs ?? endedMs) - r.enteredMs;
    });
    const lates = records.slice(1).map((r) => r.lateMs);
    return {
      records,
      startedMs: t0,
      endedMs,
      plannedMs: planned - t0,
      measuredMs: endedMs - t0,
      maxLateMs: lates.length ? Math.max(...lates) : 0,
      meanLateMs: lates.length ? lates.reduce((a, b) => a + b, 0) / lates.length : 0,
      stoppedEarly,
    };
  }
}

/**
 * The harness's lateness in a run, as the client could have noticed it: each sleep's and dark
 * wake's length as lived against its planned length, and a sleep's link change after the
 * SIGSTOP (the host still answers until it is done). `boundFor` gives the bound per phase.
 */
export function phaseLateness(run: ScheduleRun, boundFor: (p: Phase) => number): Lateness[] {
  const out: Lateness[] = [];
  const recs = run.records;
  recs.forEach((r, k) => {
    const p = r.phase;
    if (p.kind !== 'sleep' && p.kind !== 'darkwake') return;
    const bound = boundFor(p);
    const next = recs[k + 1];
    if (r.observedMs !== undefined && next) {
      const err = r.observedMs - p.scaledMs;
      const why =
        err > 0
          ? `${next.phase.label} started ${(next.enteredMs - next.deadlineMs).toFixed(0)} ms after it was due`
          : `${p.label} began ${r.lateMs.toFixed(0)} ms late`;
      out.push({
        what: `${p.label} lasted ${r.observedMs.toFixed(0)} ms instead of ${p.scaledMs} ms`,
        atMs: next.enteredMs,
        lateMs: Math.abs(err),
        boundMs: bound,
        detail: why,
        off: true,
      });
    }
    if (p.kind === 'sleep' && r.transitionMs > 0) {
      out.push({
        what: `${p.label}: the client's link went down`,
        atMs: r.actualStartMs,
        lateMs: r.transitionMs,
        boundMs: bound,
        detail: 'after the SIGSTOP; its host answered until then',
      });
    }
  });
  return out;
}
