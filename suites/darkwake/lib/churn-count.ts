/**
 * Churn counting and the verdict text of darkwake.churn. Pure: the scenario hands in the
 * phase records and the gateway/client events (on the scenario's clock).
 */
import { Type, type Static } from '@sinclair/typebox';
import type { PhaseKind } from './schedule.ts';

export interface PhaseMark {
  kind: PhaseKind;
  cycle: number;
  /** When the phase had begun (scenario ms). */
  startMs: number;
  /** Its length on the unscaled night's clock (the schedule as written). */
  unscaledMs?: number;
}

export interface ChurnEvent {
  t: number;
  /** 'gateway' | 'client' | 'sut' */
  src: string;
  event: string;
  session?: number;
}

export interface ChurnCounts {
  darkWakes: number;
  handshakes: number;
  /** Handshakes in each dark wake, index 0 = dark wake 1. */
  reconnectsPerDarkWake: number[];
  darkWakesWithReconnect: number;
  maxReconnectsPerDarkWake: number;
  handshakesAtFullWake: number;
  dpdDrops: number;
  dpdDropsDuringSleep: number;
  /** Client-side "session disconnected" alerts; null when the client does not report them (a SUT). */
  disconnectAlerts: number | null;
  /** The session that was up when the first sleep began. */
  preSleepSession: number | null;
  sessionSurvivesFullWake: boolean;
  /** A session was up at the end (the client is connected after the full wake). */
  sessionUpAtEnd: boolean;
}

/**
 * Index of the awake window (before, a dark wake, the full wake) an event belongs to: the
 * last phase that began at or before it, or — when that is a sleep — the awake window before
 * it, since a stopped client cannot act and what the gateway logs during a sleep was sent
 * just before it.
 */
function windowOf(phases: PhaseMark[], t: number): number {
  let idx = -1;
  for (let i = 0; i < phases.length; i++) if (phases[i]!.startMs <= t) idx = i;
  while (idx > 0 && phases[idx]!.kind === 'sleep') idx--;
  return Math.max(0, idx);
}

export function countChurn(
  phases: PhaseMark[],
  events: ChurnEvent[],
  openAtEnd: number[] | null,
  clientReportsAlerts: boolean,
): ChurnCounts {
  const gw = events.filter((e) => e.src === 'gateway');
  const handshakes = gw.filter((e) => e.event === 'handshake');
  const drops = gw.filter((e) => e.event === 'dpd-drop');
  const darkIdx = phases.map((p, i) => (p.kind === 'darkwake' ? i : -1)).filter((i) => i >= 0);
  const perWindow = new Map<number, number>();
  for (const h of handshakes) {
    const w = windowOf(phases, h.t);
    perWindow.set(w, (perWindow.get(w) ?? 0) + 1);
  }
  const reconnectsPerDarkWake = darkIdx.map((i) => perWindow.get(i) ?? 0);
  const fullIdx = phases.findIndex((p) => p.kind === 'fullwake');
  const firstSleep = phases.find((p) => p.kind === 'sleep');
  const inSleep = (t: number): boolean => {
    let idx = -1;
    for (let i = 0; i < phases.length; i++) if (phases[i]!.startMs <= t) idx = i;
    return idx >= 0 && phases[idx]!.kind === 'sleep';
  };

  // The pre-sleep session: the last handshake before the first sleep that the gateway did not end before it.
  const cut = firstSleep?.startMs ?? Infinity;
  const ended = (s: number, before: number): boolean =>
    gw.some((e) => e.session === s && (e.event === 'dpd-drop' || e.event === 'disconnect') && e.t < before);
  const pre =
    handshakes.filter((h) => h.t < cut && h.session !== undefined && !ended(h.session, cut)).at(-1)?.session ?? null;
  const preEnded = pre !== null && ended(pre, Infinity);
  const survives = pre !== null && !preEnded && (openAtEnd === null || openAtEnd.includes(pre));

  return {
    darkWakes: darkIdx.length,
    handshakes: handshakes.length,
    reconnectsPerDarkWake,
    darkWakesWithReconnect: reconnectsPerDarkWake.filter((n) => n > 0).length,
    maxReconnectsPerDarkWake: reconnectsPerDarkWake.length ? Math.max(...reconnectsPerDarkWake) : 0,
    handshakesAtFullWake: fullIdx >= 0 ? (perWindow.get(fullIdx) ?? 0) : 0,
    dpdDrops: drops.length,
    dpdDropsDuringSleep: drops.filter((d) => inSleep(d.t)).length,
    disconnectAlerts: clientReportsAlerts
      ? events.filter((e) => (e.src === 'client' || e.src === 'sut') && e.event === 'alert').length
      : null,
    preSleepSession: pre,
    sessionSurvivesFullWake: survives,
    sessionUpAtEnd: openAtEnd === null ? true : openAtEnd.length > 0,
  };
}

/** darkwake.churn's `expect:` bounds on the counts (each unset one is not checked). */
export const churnExpectProperties = {
  maxReconnectsPerDarkWake: Type.Integer({
    minimum: 0,
    default: 0,
    description: 'most handshakes allowed in any one dark wake (0: the session must ride through every dark wake)',
  }),
  maxHandshakes: Type.Optional(
    Type.Integer({
      minimum: 1,
      description: 'most handshakes allowed over the whole night, the first one included (unset: not checked)',
    }),
  ),
  maxDpdDrops: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: "most sessions the gateway's dead-peer detection may drop over the night (unset: not checked)",
    }),
  ),
  maxDisconnectAlerts: Type.Optional(
    Type.Integer({
      minimum: 0,
      description:
        'most "session disconnected" alerts the client may raise (a SUT that reports none is not checked; unset: not checked)',
    }),
  ),
  sessionSurvivesFullWake: Type.Optional(
    Type.Boolean({
      description:
        'true: the session that was up before the first sleep must still be up after the full wake (false or unset: not checked)',
    }),
  ),
};
const ChurnBounds = Type.Object(churnExpectProperties);
export type ChurnExpect = Partial<Static<typeof ChurnBounds>>;

export interface ChurnContext {
  dpd: 'app-heartbeat' | 'tcp-keepalive' | 'none';
  kernelAwake: boolean;
  /** The sessions were read from the wire (your own gateway): a drop is its FIN or RST. */
  wire?: boolean;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** Why the gateway dropped sessions, in the words of the fault. */
function cause(c: ChurnCounts, x: ChurnContext): string {
  if (c.dpdDropsDuringSleep === 0) {
    return c.dpdDrops > 0
      ? `the gateway's DPD dropped the session ${plural(c.dpdDrops, 'time')} while the client was awake`
      : 'the client reconnected although the gateway never dropped its session';
  }
  if (x.wire) return 'your gateway closed the connection during sleep (its FIN or RST on the gateway link)';
  if (x.dpd === 'app-heartbeat') return "the gateway's heartbeat DPD dropped the session during sleep";
  if (x.dpd === 'tcp-keepalive') {
    return x.kernelAwake
      ? "the gateway's TCP-keepalive DPD dropped the session during sleep although the client's kernel was awake"
      : "the gateway's TCP-keepalive DPD dropped the session during sleep: the sleeping host answered no probes (kernelAwake: false, no keepalive offload)";
  }
  return 'the session was dropped during sleep';
}

/** The one-line summary a passing check carries (the console shows it). */
export function summary(c: ChurnCounts): string {
  const parts = [
    `${plural(
      c.reconnectsPerDarkWake.reduce((a, b) => a + b, 0),
      'reconnect',
    )} in ${plural(c.darkWakes, 'dark wake')}`,
    plural(c.handshakes, 'handshake'),
    plural(c.dpdDrops, 'DPD drop'),
  ];
  if (c.disconnectAlerts !== null) parts.push(plural(c.disconnectAlerts, 'disconnect alert'));
  parts.push(
    c.preSleepSession === null
      ? 'no session before sleep'
      : c.sessionSurvivesFullWake
        ? `session #${c.preSleepSession} survived the full wake`
        : `session #${c.preSleepSession} did not survive the full wake`,
  );
  return parts.join(', ');
}

/** Violations of `expect`, the most telling first; [] = pass. */
export function judge(c: ChurnCounts, e: ChurnExpect, x: ChurnContext): string[] {
  const out: string[] = [];
  if (e.maxReconnectsPerDarkWake !== undefined && c.maxReconnectsPerDarkWake > e.maxReconnectsPerDarkWake) {
    const n = c.reconnectsPerDarkWake.filter((r) => r > e.maxReconnectsPerDarkWake!).length;
    out.push(
      `re-handshook in ${n} of ${c.darkWakes} dark wakes (at most ${e.maxReconnectsPerDarkWake} per dark wake allowed): ${cause(c, x)}`,
    );
  }
  if (e.maxHandshakes !== undefined && c.handshakes > e.maxHandshakes)
    out.push(`${plural(c.handshakes, 'handshake')} (at most ${e.maxHandshakes})`);
  if (e.maxDpdDrops !== undefined && c.dpdDrops > e.maxDpdDrops)
    out.push(`${plural(c.dpdDrops, 'DPD drop')} (at most ${e.maxDpdDrops}): ${cause(c, x)}`);
  if (
    e.maxDisconnectAlerts !== undefined &&
    c.disconnectAlerts !== null &&
    c.disconnectAlerts > e.maxDisconnectAlerts
  ) {
    out.push(`${plural(c.disconnectAlerts, 'false "session disconnected" alert')} (at most ${e.maxDisconnectAlerts})`);
  }
  if (e.sessionSurvivesFullWake === true && !c.sessionSurvivesFullWake) {
    out.push(
      c.preSleepSession === null
        ? 'no session was up before the first sleep'
        : `session #${c.preSleepSession} from before the sleep did not survive the full wake: ${cause(c, x)}`,
    );
  }
  if (!c.sessionUpAtEnd) out.push('no session was up after the full wake: the client never came back');
  return out;
}
