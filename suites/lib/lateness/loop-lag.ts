/**
 * How late this process's own event loop runs. Two views of the same thing:
 * - `LoopLagSampler`: a short interval timer; a tick that fires more than `thresholdMs` after
 *   it was due is a stall, kept with its time, so a stall can be placed in a window ("the
 *   event loop was blocked 290 ms during dark wake 3/8"). Used by the harness and by its
 *   helper processes (the flow prober), which report their stalls as events.
 * - `perf_hooks.monitorEventLoopDelay` (Node's libuv-timer histogram, values in ns and
 *   including the sampling resolution): the whole run's p50 / p99 / max, for the evidence.
 *   It is not reset per window: a reset drops the sample in flight, which is the stall itself.
 * Both timers are unref'd: they never keep a process alive.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { psiSomeTotalUs } from './cpu-wait.ts';

export interface LoopStall {
  /** When the late tick ran (the clock the sampler was given). */
  atMs: number;
  /** How much later than due it ran. */
  lagMs: number;
}

export interface LagSource {
  start(): void;
  stop(): void;
  /** Stalls whose span [atMs − lagMs, atMs] overlaps [fromMs, toMs]. */
  stallsIn(fromMs: number, toMs: number): LoopStall[];
}

/** Bounded memory: past this many, the older half is dropped (windows asked about are recent). */
const MAX_STALLS = 10_000;

export class LoopLagSampler implements LagSource {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  readonly stalls: LoopStall[] = [];

  constructor(
    private readonly now: () => number,
    private readonly o: { intervalMs?: number; thresholdMs?: number; onStall?: (s: LoopStall) => void } = {},
  ) {}

  get intervalMs(): number {
    return this.o.intervalMs ?? 5;
  }

  start(): void {
    if (this.timer) return;
    this.last = this.now();
    const threshold = this.o.thresholdMs ?? 10;
    this.timer = setInterval(() => {
      const t = this.now();
      const lag = t - this.last - this.intervalMs;
      this.last = t;
      if (lag > threshold) {
        const s = { atMs: t, lagMs: lag };
        if (this.stalls.length >= MAX_STALLS) this.stalls.splice(0, MAX_STALLS / 2); // keep the recent ones
        this.stalls.push(s);
        this.o.onStall?.(s);
      }
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  stallsIn(fromMs: number, toMs: number): LoopStall[] {
    return this.stalls.filter((s) => s.atMs >= fromMs && s.atMs - s.lagMs <= toMs);
  }
}

/** Node's event-loop delay histogram, summarised in ms (delay beyond the sampling resolution). */
export class LoopDelayHistogram {
  private readonly h: IntervalHistogram;

  constructor(private readonly resolutionMs = 10) {
    this.h = monitorEventLoopDelay({ resolution: resolutionMs });
  }

  start(): void {
    this.h.enable();
  }

  stop(): void {
    this.h.disable();
  }

  summary(): { p50Ms: number | null; p99Ms: number | null; maxMs: number | null; samples: number } {
    if (this.h.count === 0) return { p50Ms: null, p99Ms: null, maxMs: null, samples: 0 };
    const ms = (ns: number): number => Math.round(Math.max(0, ns / 1e6 - this.resolutionMs) * 10) / 10;
    return {
      p50Ms: ms(this.h.percentile(50)),
      p99Ms: ms(this.h.percentile(99)),
      maxMs: ms(this.h.max),
      samples: this.h.count,
    };
  }
}

/**
 * Share of wall time some runnable task on this machine waited for a CPU (Linux PSI,
 * /proc/pressure/cpu "some ... total=µs"; Documentation/accounting/psi.rst). Evidence of load,
 * never a verdict on its own. null where PSI is missing (older kernels, macOS).
 */
export class CpuPressure {
  private startUs: number | null = null;
  private startMs = 0;

  constructor(private readonly read: () => string | null) {}

  private total(): number | null {
    return psiSomeTotalUs(this.read());
  }

  start(): void {
    this.startUs = this.total();
    this.startMs = performance.now();
  }

  /** Percent since start(), or null. */
  percent(): number | null {
    const end = this.total();
    const wallMs = performance.now() - this.startMs;
    if (this.startUs === null || end === null || wallMs <= 0) return null;
    return Math.round(((end - this.startUs) / 1000 / wallMs) * 1000) / 10;
  }
}
