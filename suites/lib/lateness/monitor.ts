/**
 * The harness's own lateness, and what it does to a verdict. A scenario that judges the SUT
 * against a time bound records here what it intended and what it managed — a phase that began
 * late, a window that lasted longer than planned, a helper process's stalled timer, a stall of
 * its own event loop — each with the bound past which the SUT can no longer be judged. Past a
 * bound, `guard()` turns the would-be verdict into `error`, naming what was late, by how much
 * and the bound, and keeps the would-be verdict in the reason: a SUT never fails because the
 * harness was late (suites/lib/lateness/README.md).
 */
import { readFileSync } from 'node:fs';
import { check, type Check, type NumbersEvidence } from '../../../harness/model/check.ts';
import type { SutPriority } from '../../../harness/process/types.ts';
import { CpuPressure, LoopDelayHistogram, LoopLagSampler, type LagSource } from './loop-lag.ts';

export interface Lateness {
  /** What the harness did late, as a phrase: "dark wake 3/8 started", "probe 2 (prober's timer)". */
  what: string;
  /** Scenario ms when it happened. */
  atMs: number;
  lateMs: number;
  /** Past this the SUT cannot be judged on what followed. */
  boundMs: number;
  /** More words, e.g. "dark wake 3/8 started 51 ms after it was due". */
  detail?: string;
  /** A length that should have been exact ("lasted 171 ms instead of 120 ms"): said as "off by", not "late". */
  off?: boolean;
  /** Which check it bears on, when one monitor serves several (see guard's `only`). */
  about?: string;
  /** How long the program under test waited for a CPU (not the harness's own lateness): `--sut-priority raised` lowers it. */
  sutWait?: boolean;
}

/**
 * "phase 3 started 180 ms late (bound 50 ms)"; a length: "dark wake 1/8 lasted 171 ms instead
 * of 120 ms: off by 51 ms (bound ±30 ms)"; a `what` with `{ms}` in it says the figure there:
 * "the client waited 80 ms for a CPU during dark wake 3/8 (bound 30 ms)".
 */
export function describeLateness(l: Lateness): string {
  const n = l.lateMs.toFixed(0);
  const head = l.what.includes('{ms}')
    ? `${l.what.replace('{ms}', `${n} ms`)} (bound ${l.boundMs} ms)`
    : l.off
      ? `${l.what}: off by ${n} ms (bound ±${l.boundMs} ms)`
      : `${l.what} ${n} ms late (bound ${l.boundMs} ms)`;
  return l.detail ? `${head}: ${l.detail}` : head;
}

export interface MonitorOptions {
  /** The scenario's clock (ctx.elapsedMs), so lateness lands on its timeline. */
  now: () => number;
  /** Stall source for this process's event loop; default a LoopLagSampler on `now`. */
  loop?: LagSource;
  /** PSI text for CPU pressure evidence; default /proc/pressure/cpu. */
  readPressure?: () => string | null;
  /** false: no Node histogram (unit tests with a fake clock). */
  histogram?: boolean;
  /** The run's `--sut-priority` (ScenarioContext.sutPriority): a reason naming the SUT's wait says how to lower it when not raised. */
  sutPriority?: SutPriority;
}

/** The widest a bound is allowed to be relative to the SUT's own bound: a quarter of it. */
export const LATENESS_SHARE = 0.25;

/** A bound for the harness's lateness that keeps its share of a SUT bound small: ⌊share × bound⌋, at least `floorMs`. */
export function latenessBound(sutBoundMs: number, floorMs = 5): number {
  return Math.max(floorMs, Math.floor(sutBoundMs * LATENESS_SHARE));
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const readPsi = (): string | null => {
  try {
    return readFileSync('/proc/pressure/cpu', 'utf8');
  } catch {
    return null;
  }
};

export class LatenessMonitor {
  readonly samples: Lateness[] = [];
  private readonly loop: LagSource;
  private readonly hist: LoopDelayHistogram | undefined;
  private readonly pressure: CpuPressure;
  private readonly sutPriority: SutPriority;
  private running = false;

  constructor(o: MonitorOptions) {
    this.loop = o.loop ?? new LoopLagSampler(o.now);
    this.hist = o.histogram === false ? undefined : new LoopDelayHistogram();
    this.pressure = new CpuPressure(o.readPressure ?? readPsi);
    this.sutPriority = o.sutPriority ?? 'normal';
  }

  start(): this {
    if (this.running) return this;
    this.running = true;
    this.loop.start();
    this.hist?.start();
    this.pressure.start();
    return this;
  }

  stop(): void {
    this.running = false;
    this.loop.stop();
    this.hist?.stop();
  }

  /** A lateness measured elsewhere (a phase, a helper process's stalled timer). */
  record(l: Lateness): Lateness {
    this.samples.push({ ...l, lateMs: round1(l.lateMs) });
    return l;
  }

  /** The harness meant to act at `plannedMs` and acted at `actualMs`. */
  scheduled(what: string, plannedMs: number, actualMs: number, boundMs: number, detail?: string): Lateness {
    return this.record({ what, atMs: actualMs, lateMs: actualMs - plannedMs, boundMs, ...(detail ? { detail } : {}) });
  }

  /**
   * This process's event loop over a window the verdict depends on (the SUT's reaction to a
   * change, a receive window): its longest stall there is recorded against `boundMs`.
   */
  loopWindow(what: string, fromMs: number, toMs: number, boundMs: number): Lateness | undefined {
    const stalls = this.loop.stallsIn(fromMs, toMs);
    if (!stalls.length) return undefined;
    const worst = stalls.reduce((a, b) => (b.lagMs > a.lagMs ? b : a));
    return this.record({
      what: `the harness's event loop during ${what}`,
      atMs: worst.atMs,
      lateMs: worst.lagMs,
      boundMs,
      detail: `it was blocked ${round1(worst.lagMs)} ms`,
    });
  }

  /** Samples past their bound (those `only` keeps), worst (largest lateness over bound) first. */
  breaches(only: (l: Lateness) => boolean = () => true): Lateness[] {
    return this.samples
      .filter((s) => s.lateMs > s.boundMs && only(s))
      .sort((a, b) => b.lateMs / b.boundMs - a.lateMs / a.boundMs);
  }

  /** "the harness could not keep the schedule: dark wake 3/8 started 180 ms late (bound 50 ms)…", or undefined. */
  reason(only?: (l: Lateness) => boolean): string | undefined {
    const b = this.breaches(only);
    if (!b.length) return undefined;
    const w = b[0]!;
    const more = b.length > 1 ? `; ${b.length - 1} more over their bound` : '';
    const cpu = this.pressure.percent();
    const load = cpu !== null && cpu >= 10 ? `; tasks on this machine waited for a CPU ${cpu}% of the time` : '';
    const hint =
      w.sutWait && this.sutPriority !== 'raised'
        ? '; on a busy machine, --sut-priority raised runs the programs under test ahead of other work'
        : '';
    return `the harness could not keep the schedule: ${describeLateness(w)}${more}${load}${hint}`;
  }

  evidence(): NumbersEvidence {
    const b = this.breaches();
    const worst = [...this.samples].sort((x, y) => y.lateMs / y.boundMs - x.lateMs / x.boundMs)[0];
    const h = this.hist?.summary();
    return {
      kind: 'numbers',
      title: 'harness lateness',
      values: {
        measured: this.samples.length,
        overBound: b.length,
        worst: worst ? describeLateness(worst) : null,
        loopDelayP50Ms: h?.p50Ms ?? null,
        loopDelayP99Ms: h?.p99Ms ?? null,
        loopDelayMaxMs: h?.maxMs ?? null,
        cpuPressurePercent: this.pressure.percent(),
      },
      units: { loopDelayP50Ms: 'ms', loopDelayP99Ms: 'ms', loopDelayMaxMs: 'ms', cpuPressurePercent: '%' },
    };
  }

  /**
   * The check as the SUT earned it, unless the harness was late past a bound: then `error`
   * with the lateness as the reason and the would-be verdict kept. A pass survives when
   * lateness can only have made the SUT look worse (`keepPass`: an echo that came in time
   * although the prober was late), and a fail when the caller has shown the lateness cannot
   * explain it (`keepFail`: a proxy that never echoed in a window longer than the bound plus
   * every measured delay); skips and errors are left alone. `only` picks the
   * measurements that bear on this check when one monitor serves several.
   */
  guard(c: Check, o: { keepPass?: boolean; keepFail?: boolean; only?: (l: Lateness) => boolean } = {}): Check {
    return guardCheck(c, this.reason(o.only), this.evidence(), o);
  }
}

/** The verdict conversion on its own (pure): see LatenessMonitor.guard. */
export function guardCheck(
  c: Check,
  lateReason: string | undefined,
  evidence: NumbersEvidence,
  o: { keepPass?: boolean; keepFail?: boolean } = {},
): Check {
  const ev = [...(c.evidence ?? []), evidence];
  if (
    !lateReason ||
    c.verdict === 'skip' ||
    c.verdict === 'error' ||
    (c.verdict === 'pass' && o.keepPass) ||
    (c.verdict === 'fail' && o.keepFail)
  )
    return { ...c, evidence: ev };
  const would = c.verdict === 'fail' ? 'it would have failed' : 'it would have passed';
  return check.late(c.name, `${lateReason}; the SUT is not judged (${would}: ${c.reason})`, ev);
}
