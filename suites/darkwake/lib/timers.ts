/**
 * Does a compressed night still mean what the real night means, for products with real timers?
 * A night's phases and the harness's own timers (the emulator's dead-peer timeout, the reference
 * client's heartbeat) are written unscaled and run scaled; your client's ping and your server's
 * dead-peer timeout run in real time. Wherever the unscaled length is at least the product's
 * timer but the scaled one is not (or the other way round, a dark wake raised to minDarkWake),
 * the run would show what no real night shows — e.g. a 3m dead-peer timeout is 720 ms at 0.004,
 * shorter than a 1 s ping, so the gateway drops an awake client between two of its pings. Such a
 * night is refused before anything starts, naming each bound and the timeScale that fits.
 *
 * Which bounds a timer is held against follows its role. The client's (sut.minReaction: what it
 * needs to act, e.g. its ping period) against every phase, since it must be able to act in each
 * as it would in a real one, and against the emulator's dead-peer timeout. The gateway's
 * (gateway.minReaction: when it decides a silent peer is dead) against the sleeps, in which the
 * client is silent, and the reference client's heartbeat and wake deferral, which is how often a
 * live client proves itself; while the client is awake its own timers keep the session.
 *
 * The lengths come from the code that runs them (nightPhases, scaledParamMs), never retyped.
 */
import { formatMs, parseDuration, type Duration } from '../../../harness/util/duration.ts';
import { nightPhases } from './night.ts';
import { scaledParamMs, type Phase, type SleepCompression } from './schedule.ts';
import type { SleepModelParams } from './params.ts';

export interface ProductTimer {
  /** "your client". */
  whose: string;
  /** Where the profile declares it: "sut.minReaction". */
  field: string;
  ms: number;
  /** The bounds it is compared with. */
  against: ScaledBound[];
}

export interface ScaledBound {
  /** "a dark wake", "the gateway emulator's dead-peer timeout (gateway.dpdTimeout)". */
  what: string;
  unscaledMs: number;
  /** What the run waits. */
  realMs: number;
  /** Raised to minDarkWake: it may then be longer than a timer it is shorter than unscaled. */
  raised?: boolean;
}

export interface TimerConflict {
  timer: ProductTimer;
  bound: ScaledBound;
}

/** One bound per distinct phase (kind, unscaled and real length) of the given kinds. */
export function phaseBounds(phases: Phase[], kinds: ReadonlyArray<Phase['kind']>): ScaledBound[] {
  const names: Record<Phase['kind'], string> = {
    awake: 'the awake time before the first sleep (schedule.before)',
    sleep: 'a sleep',
    darkwake: 'a dark wake',
    fullwake: 'the full wake (schedule.after)',
  };
  const seen = new Set<string>();
  const out: ScaledBound[] = [];
  for (const p of phases.filter((x) => kinds.includes(x.kind))) {
    const key = `${p.kind}:${p.unscaledMs}:${p.scaledMs}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({
      what: `${names[p.kind]} of ${formatMs(p.unscaledMs)}`,
      unscaledMs: p.unscaledMs,
      realMs: p.scaledMs,
      ...(p.raisedFromMs !== undefined ? { raised: true } : {}),
    });
  }
  return out;
}

/** A harness timer written unscaled (gateway.dpdTimeout, heartbeat, wakeDefer). */
export function paramBound(what: string, d: Duration, timeScale: number): ScaledBound {
  return { what, unscaledMs: parseDuration(d), realMs: scaledParamMs(d, timeScale) };
}

/** Each bound on the other side of a product timer once scaled than unscaled. */
export function timerConflicts(timers: ProductTimer[]): TimerConflict[] {
  return timers.flatMap((timer) =>
    timer.against.filter((b) => b.unscaledMs >= timer.ms !== b.realMs >= timer.ms).map((bound) => ({ timer, bound })),
  );
}

/** The smallest timeScale, up to two significant digits, that puts every scaled bound back on its unscaled side. */
export function fittingTimeScale(conflicts: TimerConflict[]): number | undefined {
  const need = conflicts.filter(tooShort).map((c) => c.timer.ms / c.bound.unscaledMs);
  if (!need.length) return undefined;
  const x = Math.max(...need);
  const step = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Math.min(1, Number((Math.ceil(x / step - 1e-9) * step).toPrecision(2)));
}

/**
 * Scaled below the timer it is at least unscaled (a larger timeScale fits); otherwise raised
 * above it (a lower minDarkWake fits).
 */
const tooShort = (c: TimerConflict): boolean => c.bound.unscaledMs >= c.timer.ms;

/** The refusal, in words; undefined when the night fits every product timer. */
export function describeConflicts(conflicts: TimerConflict[], timeScale: number): string | undefined {
  if (!conflicts.length) return undefined;
  const timer = (t: ProductTimer): string => `${t.whose}'s ${formatMs(t.ms)} (${t.field})`;
  const raisedNote = (b: ScaledBound): string => (b.raised ? ' (raised to minDarkWake)' : '');
  const each = conflicts.map((c) => {
    const runs = `${c.bound.what} runs ${formatMs(Math.round(c.bound.realMs))}${raisedNote(c.bound)}`;
    return tooShort(c)
      ? `${runs} at timeScale ${timeScale}, shorter than ${timer(c.timer)}`
      : `${runs}, at least ${timer(c.timer)}, though unscaled it is shorter`;
  });
  const fit = fittingTimeScale(conflicts);
  const over = conflicts.filter((c) => !tooShort(c));
  const fixes = [
    fit === undefined ? '' : `timeScale ${fit} fits`,
    over.length
      ? `a minDarkWake below ${formatMs(Math.min(...over.map((c) => c.timer.ms)))} fits the raised dark wakes`
      : '',
  ]
    .filter(Boolean)
    .join('; ');
  return (
    `the compressed night does not fit the product's own timers (real time, never scaled): ${each.join('; ')}. ` +
    `Unscaled each is on the other side of that timer, so the run would show what a real night does not; ${fixes}`
  );
}

export interface NightTimersInput {
  params: SleepModelParams & { strategy: string; heartbeat: Duration; wakeDefer: Duration };
  /** The emulator's dead-peer timeout when it runs with app-heartbeat DPD (no gateway command). */
  emulatorDpdTimeout?: Duration;
  /** sut.minReaction, when the client is the SUT. */
  clientMs?: number;
  /** gateway.minReaction, when the gateway is your command. */
  gatewayMs?: number;
  compression?: SleepCompression;
}

/** The product timers of a darkwake night and the bounds each is compared with. */
export function nightTimers(x: NightTimersInput): ProductTimer[] {
  const w = x.params;
  let phases: Phase[];
  try {
    phases = nightPhases(w, x.compression);
  } catch {
    return []; // a schedule that cannot run is the night's own error, with its own words
  }
  const out: ProductTimer[] = [];
  if (x.clientMs !== undefined) {
    const against = phaseBounds(phases, ['awake', 'sleep', 'darkwake', 'fullwake']);
    if (x.emulatorDpdTimeout !== undefined)
      against.push(
        paramBound(
          `the gateway emulator's dead-peer timeout (gateway.dpdTimeout ${x.emulatorDpdTimeout})`,
          x.emulatorDpdTimeout,
          w.timeScale,
        ),
      );
    out.push({ whose: 'your client', field: 'sut.minReaction', ms: x.clientMs, against });
  }
  if (x.gatewayMs !== undefined) {
    const against = phaseBounds(phases, ['sleep']);
    if (w.strategy === 'heartbeat-naive' || w.strategy === 'wake-aware')
      against.push(paramBound(`the reference client's heartbeat (heartbeat ${w.heartbeat})`, w.heartbeat, w.timeScale));
    if (w.strategy === 'wake-aware')
      against.push(
        paramBound(
          `the reference client's quiet time after a resume (wakeDefer ${w.wakeDefer})`,
          w.wakeDefer,
          w.timeScale,
        ),
      );
    out.push({ whose: 'your gateway', field: 'gateway.minReaction', ms: x.gatewayMs, against });
  }
  return out;
}
