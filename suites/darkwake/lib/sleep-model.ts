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
 * Phases start at absolute deadlines (t0 + Σ planned), so lateness does not accumulate;
 * each phase records when its transition had completed, and the difference to the plan is
 * the schedule error. Whatever happens (abort, an error in a transition), the client is
 * resumed and its link brought up before `run` returns or throws.
 */
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
  plannedStartMs: number;
  /** When the client's process state changed (just before SIGSTOP / SIGCONT): events are attributed from here. */
  enteredMs: number;
  /** When the transition (signal + link change) had completed. */
  actualStartMs: number;
  /** actual − planned. */
  lateMs: number;
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

function waitUntil(now: () => number, at: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const t = setTimeout(() => done(true), Math.max(0, at - now()));
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
    let stoppedEarly: string | undefined;
    try {
      for (let i = 0; i < phases.length; i++) {
        const p = phases[i]!;
        if (i > 0 && !(await waitUntil(now, planned, signal))) {
          stoppedEarly = `aborted before ${p.label}`;
          break;
        }
        const entered = await this.enter(p);
        const actual = now();
        const rec: PhaseRecord = { phase: p, index: i, plannedStartMs: planned, enteredMs: entered, actualStartMs: actual, lateMs: actual - planned };
        records.push(rec);
        this.o.onPhase?.(rec);
        planned += p.scaledMs;
      }
      if (!stoppedEarly && !(await waitUntil(now, planned, signal))) stoppedEarly = 'aborted during the full wake';
    } finally {
      if (this.asleep || this.linkIsDown) await this.wakeForGood();
    }
    const endedMs = now();
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
