/**
 * The night as a swimlane for the HTML report: the sleep model's phases as spans, the
 * gateway's handshakes (the first one, then reconnects) and DPD drops and the client's
 * "disconnected" alerts as markers, and the windows the profile's bound applies to.
 * Pure: built from the phase marks and the event log after the night.
 */
import type { LaneMarker, SwimlaneEvidence } from '../../../harness/model/check.ts';
import type { TimedEvent } from '../../lib/tunnel/launch.ts';
import type { PhaseMark } from './churn-count.ts';

export interface LaneInput {
  client: string;
  marks: PhaseMark[];
  nightEndMs: number;
  events: readonly TimedEvent[];
  title: string;
  bounds?: SwimlaneEvidence['bounds'];
}

function markerOf(e: TimedEvent, handshakesSeen: number): LaneMarker | undefined {
  if (e.src === 'gateway' && e.event === 'handshake') return handshakesSeen === 0 ? 'handshake' : 'reconnect';
  if (e.src === 'gateway' && e.event === 'dpd-drop') return 'dpd-drop';
  if ((e.src === 'client' || e.src === 'sut') && e.event === 'alert') return 'alert';
  return undefined;
}

export function nightSwimlane(o: LaneInput): SwimlaneEvidence {
  const end = Number.isFinite(o.nightEndMs) ? o.nightEndMs : (o.marks.at(-1)?.startMs ?? 0);
  // The unscaled night's clock: each phase's length as the schedule wrote it, one after another.
  let night = 0;
  const spans = o.marks.map((m, i) => {
    const clock = m.unscaledMs === undefined ? {} : { nightFromMs: night, nightToMs: night + m.unscaledMs };
    night += m.unscaledMs ?? 0;
    return {
      state: m.kind,
      fromMs: Math.round(m.startMs),
      toMs: Math.round(Math.max(m.startMs, o.marks[i + 1]?.startMs ?? end)),
      label: `${m.kind}${m.cycle ? ` ${m.cycle}` : ''}`,
      ...clock,
    };
  });
  const markers: SwimlaneEvidence['lanes'][number]['markers'] = [];
  let handshakes = 0;
  for (const e of [...o.events].sort((a, b) => a.t - b.t)) {
    if (e.t > end) break;
    const marker = markerOf(e, handshakes);
    if (!marker) continue;
    if (marker === 'handshake' || marker === 'reconnect') handshakes++;
    markers.push({ t: Math.round(e.t), marker, ...(e.detail ? { detail: e.detail } : {}) });
  }
  return {
    kind: 'swimlane',
    title: o.title,
    lanes: [{ name: o.client, spans, markers }],
    ...(o.bounds?.length ? { bounds: o.bounds } : {}),
  };
}
