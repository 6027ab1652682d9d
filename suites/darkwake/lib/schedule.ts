/**
 * The sleep schedule: its YAML shape, and the compiled list of phases with unscaled
 * (what the profile means) and scaled (what the run waits) durations. Pure: no timers here.
 *
 *   schedule:
 *     before: 1m                               # awake before the first sleep (session comes up)
 *     repeat: 8                                # the phases below, 8 times
 *     phases: [{sleep: 15m}, {darkwake: 30s}]  # the lid-closed cycle
 *     then: fullwake                           # resume for good
 *     after: 5m                                # observed after the full wake
 *   timeScale: 0.004                           # 15m → 3.6 s, 30s → 120 ms
 */
import { Type, type Static } from '@sinclair/typebox';
import { formatMs, parseDuration, type Duration } from '../../../harness/util/duration.ts';
import { Described, DurationParam, DurationType, Enum } from '../../lib/params.ts';

export type PhaseKind = 'awake' | 'sleep' | 'darkwake' | 'fullwake';

export interface Phase {
  kind: PhaseKind;
  /** "sleep 3/8", "dark wake 3/8", "before sleep", "full wake". */
  label: string;
  /** 1-based cycle for sleep/darkwake; 0 otherwise. */
  cycle: number;
  unscaledMs: number;
  /** What the run waits (real ms): unscaledMs × timeScale, or less for a compressed sleep. */
  scaledMs: number;
  /** A compressed sleep: its scaled length before compression. */
  compressedFromMs?: number;
  /** A dark wake raised to the floor (CompileOptions.minDarkWakeMs): its scaled length before. */
  raisedFromMs?: number;
}

export interface CompileOptions {
  /**
   * Real ms a dark wake lasts at least, whatever timeScale. Issue 16's rule: time nothing
   * observes may be compressed, but a dark wake is never shrunk below what a client needs to
   * react — be scheduled after SIGCONT, notice the resume, reconnect — on a busy machine.
   * A scaled 30 s dark wake is 120 ms; with one busy loop per core a normal-priority client
   * waited up to 42 ms for a CPU in such a window (5 loaded passes of profiles/darkwake.yaml, issue 13): a third of it.
   */
  minDarkWakeMs?: number;
}

/** Default floor of a dark wake (real time): its lateness bounds (a quarter of it) are then ≥ 75 ms. */
export const DEFAULT_MIN_DARK_WAKE = '300ms';

/**
 * Sleep compression: a sleep is cut to `horizonMs` when nothing observes the rest of it —
 * every dead-peer decision the night can show (the gateway's DPD, the client kernel's
 * keepalive) is made by then. Dark wakes are never compressed.
 */
export interface SleepCompression {
  horizonMs: number;
  /** Why nothing observes a sleep past the horizon, for the evidence. */
  why: string;
}

export const DEFAULT_TIME_SCALE = 0.004;
export const MAX_REPEAT = 500;
/** A scaled phase shorter than this is below what SIGSTOP plus an `ip link` change can honour. */
export const MIN_SCALED_MS = 5;

const unscaled = (what: string) => Described(DurationType, { description: `${what}; unscaled (timeScale scales it)` });

export const Schedule = Type.Object(
  {
    before: DurationParam('1m', 'awake before the first sleep, while the session comes up; unscaled'),
    repeat: Type.Integer({
      minimum: 1,
      maximum: MAX_REPEAT,
      default: 8,
      description: 'how many times the phases run (one lid-closed cycle each)',
    }),
    phases: Type.Array(
      Type.Union(
        [
          Type.Object(
            { sleep: unscaled('a sleep: the client stopped (SIGSTOP) and, unless kernelAwake, its link down') },
            { additionalProperties: false },
          ),
          Type.Object(
            { darkwake: unscaled('a dark wake: the client resumed (SIGCONT) and its link up for this window') },
            { additionalProperties: false },
          ),
        ],
        { description: 'a phase: {sleep: <duration>} or {darkwake: <duration>}' },
      ),
      {
        minItems: 1,
        maxItems: 8,
        default: [{ sleep: '15m' }, { darkwake: '30s' }],
        description: 'one cycle of the night, in order (at most 8 phases)',
        examples: [[{ sleep: '15m' }, { darkwake: '30s' }]],
      },
    ),
    then: Enum(['fullwake'], { default: 'fullwake', description: 'what ends the night: a full wake' }),
    after: DurationParam('5m', 'observed after the full wake; unscaled'),
  },
  {
    additionalProperties: false,
    default: {},
    description:
      'sleep model: `before` awake, then `phases` × `repeat` (each phase is {sleep: 15m} = SIGSTOP of the client and, unless kernelAwake, its link down; or {darkwake: 30s} = SIGCONT and link up for the window), then a full wake (resume for good) observed for `after`. Durations are unscaled; timeScale scales them.',
  },
);
/** A schedule as the loader hands it over (defaults filled in); the compile functions take any part of it. */
export type ScheduleSpec = Partial<Static<typeof Schedule>>;

export const TimeScale = Type.Number({
  exclusiveMinimum: 0,
  maximum: 1,
  default: DEFAULT_TIME_SCALE,
  description:
    'real seconds per simulated second: the default 0.004 runs 15m of sleep in 3.6 s and a 30s dark wake in 120 ms (1 = real time)',
});

/**
 * A duration parameter the harness's tools wait (the gateway emulator's dpdTimeout, the reference
 * client's heartbeat and wakeDefer): its real ms at the time scale.
 */
export function scaledParamMs(d: Duration, timeScale: number): number {
  return parseDuration(d) * timeScale;
}

function scaled(ms: number, scale: number): number {
  return Math.max(1, Math.round(ms * scale));
}

/** Compiles the schedule; throws a RangeError naming the phase when one is too short to honour. */
export function compileSchedule(
  spec: ScheduleSpec,
  timeScale: number = DEFAULT_TIME_SCALE,
  o: CompileOptions = {},
): Phase[] {
  if (!(timeScale > 0 && timeScale <= 1)) throw new RangeError(`timeScale must be in (0, 1], got ${timeScale}`);
  const repeat = Math.min(spec.repeat ?? 8, MAX_REPEAT);
  const cycle = spec.phases ?? [{ sleep: '15m' }, { darkwake: '30s' }];
  const out: Phase[] = [];
  const push = (kind: PhaseKind, label: string, n: number, d: Duration): void => {
    const unscaledMs = parseDuration(d);
    const scaledMs = scaled(unscaledMs, timeScale);
    const floor = kind === 'darkwake' ? (o.minDarkWakeMs ?? 0) : 0;
    out.push(
      scaledMs < floor
        ? { kind, label, cycle: n, unscaledMs, scaledMs: Math.round(floor), raisedFromMs: scaledMs }
        : { kind, label, cycle: n, unscaledMs, scaledMs },
    );
  };
  push('awake', 'before sleep', 0, spec.before ?? '1m');
  for (let n = 1; n <= repeat; n++) {
    for (const p of cycle) {
      if ('sleep' in p) push('sleep', `sleep ${n}/${repeat}`, n, p.sleep);
      else push('darkwake', `dark wake ${n}/${repeat}`, n, p.darkwake);
    }
  }
  push('fullwake', 'full wake', 0, spec.after ?? '5m');
  const tooShort = out.find((p) => p.kind !== 'awake' && p.kind !== 'fullwake' && p.scaledMs < MIN_SCALED_MS);
  if (tooShort) {
    throw new RangeError(
      `${tooShort.label} lasts ${tooShort.scaledMs} ms at timeScale ${timeScale} (${formatMs(tooShort.unscaledMs)} unscaled); at least ${MIN_SCALED_MS} ms is needed: raise timeScale or the phase`,
    );
  }
  return out;
}

/** The phases with every sleep longer than the horizon cut to it (at least MIN_SCALED_MS). */
export function compressSleeps(phases: Phase[], c: SleepCompression): Phase[] {
  const to = Math.max(MIN_SCALED_MS, Math.round(c.horizonMs));
  return phases.map((p) =>
    p.kind === 'sleep' && p.scaledMs > to ? { ...p, scaledMs: to, compressedFromMs: p.scaledMs } : p,
  );
}

export function totals(phases: Phase[]): { unscaledMs: number; scaledMs: number; sleeps: number; darkWakes: number } {
  return {
    unscaledMs: phases.reduce((a, p) => a + p.unscaledMs, 0),
    scaledMs: phases.reduce((a, p) => a + p.scaledMs, 0),
    sleeps: phases.filter((p) => p.kind === 'sleep').length,
    darkWakes: phases.filter((p) => p.kind === 'darkwake').length,
  };
}

/**
 * "8 × [sleep 15m, dark wake 30s] then full wake: 2h4m unscaled, 31.2s at timeScale 0.004";
 * compressed: "…, 11.2s at timeScale 0.004 with sleeps compressed to 1.1s (why)".
 */
export function describeSchedule(
  spec: ScheduleSpec,
  phases: Phase[],
  timeScale: number,
  compression?: SleepCompression,
): string {
  const cycle = (spec.phases ?? [{ sleep: '15m' }, { darkwake: '30s' }])
    .map((p) =>
      'sleep' in p ? `sleep ${formatMs(parseDuration(p.sleep))}` : `dark wake ${formatMs(parseDuration(p.darkwake))}`,
    )
    .join(', ');
  const t = totals(phases);
  const cut = phases.filter((p) => p.compressedFromMs !== undefined);
  const how =
    cut.length && compression
      ? ` with ${cut.length} sleep${cut.length === 1 ? '' : 's'} compressed from ${formatMs(cut[0]!.compressedFromMs!)} to ${formatMs(cut[0]!.scaledMs)} (${compression.why})`
      : '';
  const raised = phases.filter((p) => p.raisedFromMs !== undefined);
  const floor = raised.length
    ? `${how ? ';' : ''} ${raised.length} dark wake${raised.length === 1 ? '' : 's'} raised from ${formatMs(raised[0]!.raisedFromMs!)} to ${formatMs(raised[0]!.scaledMs)} (minDarkWake: what a client needs to react on a busy machine)`
    : '';
  return `${spec.repeat ?? 8} × [${cycle}] then full wake: ${formatMs(t.unscaledMs)} unscaled, ${formatMs(t.scaledMs)} at timeScale ${timeScale}${how}${floor}`;
}
