/** keepalive.suspended-peer's bookkeeping and verdict text (pure). */
import type { KeepaliveParam } from '../../lib/tunnel/params.ts';

export type Design = 'tcp-keepalive' | 'app-heartbeat';
export const SURVIVORS = ['tcp-keepalive', 'app-heartbeat', 'both', 'neither'] as const;
export type Survivor = (typeof SURVIVORS)[number];

export interface GatewayEvent {
  t: number;
  event: string;
  session?: number;
  detail?: string;
}

export interface Fate {
  design: Design;
  /** The session that was up when the suspension began. */
  session: number | null;
  survived: boolean;
  /** From the start of the suspension to the gateway's drop. */
  droppedAfterMs: number | null;
  dropDetail: string | null;
}

const ends = (e: GatewayEvent): boolean => e.event === 'dpd-drop' || e.event === 'disconnect';

export function sessionFate(
  design: Design,
  events: GatewayEvent[],
  from: number,
  _to: number,
  openNow: number[] | null,
): Fate {
  const endedBefore = (s: number, t: number): boolean => events.some((e) => e.session === s && ends(e) && e.t < t);
  const session =
    events
      .filter((e) => e.event === 'handshake' && e.t < from && e.session !== undefined && !endedBefore(e.session, from))
      .at(-1)?.session ?? null;
  if (session === null)
    return {
      design,
      session,
      survived: false,
      droppedAfterMs: null,
      dropDetail: 'no session was up when the suspension began',
    };
  const end = events.find((e) => e.session === session && ends(e) && e.t >= from);
  const survived = !end && (openNow === null || openNow.includes(session));
  return { design, session, survived, droppedAfterMs: end ? end.t - from : null, dropDetail: end?.detail ?? null };
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function describe(f: Fate, suspendedMs: number, kernelAwake: boolean, ka: KeepaliveParam): string {
  if (f.session === null) return `${f.design}: ${f.dropDetail}`;
  if (f.survived) {
    const why = f.design === 'tcp-keepalive' ? " (the suspended client's kernel answered its probes)" : '';
    return `${f.design} DPD kept session #${f.session} through ${sec(suspendedMs)} of suspension${why}`;
  }
  if (f.droppedAfterMs === null) return `${f.design} DPD lost session #${f.session} (no longer open)`;
  const why =
    f.design === 'tcp-keepalive'
      ? kernelAwake
        ? ` (${ka.count} probes unanswered)`
        : " (no probe answered: the client host's link was down)"
      : ' (no heartbeat from the stopped process)';
  return `${f.design} DPD dropped session #${f.session} after ${sec(f.droppedAfterMs)}${why}`;
}

export function survivorOf(fates: Fate[]): Survivor {
  const s = fates.filter((f) => f.survived).map((f) => f.design);
  return s.length === 2 ? 'both' : s.length === 0 ? 'neither' : s[0]!;
}

export function judgeSurvival(
  fates: Fate[],
  expect: Survivor,
  kernelAwake: boolean,
  ka: KeepaliveParam,
  suspendedMs: number,
): { ok: boolean; reason: string; survivor: Survivor } {
  const survivor = survivorOf(fates);
  const facts = fates.map((f) => describe(f, suspendedMs, kernelAwake, ka)).join('; ');
  const conclusion =
    survivor === 'both'
      ? 'both designs survive'
      : survivor === 'neither'
        ? 'neither design survives'
        : `only ${survivor} DPD survives a suspended peer`;
  if (survivor === expect) return { ok: true, reason: `${facts}: ${conclusion}`, survivor };
  return {
    ok: false,
    reason: `expected ${expect === 'both' || expect === 'neither' ? expect : `${expect} DPD`} to survive the suspension, but ${conclusion}: ${facts}`,
    survivor,
  };
}
