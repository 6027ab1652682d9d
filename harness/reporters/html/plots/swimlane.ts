/**
 * Dark-wake swimlane: one lane per client over the scenario clock. Sleep / dark wake / full
 * wake are shaded spans, session events are markers (handshake ●, reconnect ▲, DPD drop ✕,
 * alert ◆), and the profile's bound windows are dashed boxes. Every span and marker is a `pt`.
 */
import type { LaneMarker, LaneState, SwimlaneEvidence } from '../../../model/check.ts';
import { esc } from '../escape.ts';
import { fmt, legend, linear, svg, xAxis, type Scale } from './svg.ts';

/** Tick steps a clock reads in: seconds to hours. */
const CLOCK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400].map(
  (s) => s * 1000,
);

/** About `count` ticks from 0 to `end` ms at a step a clock reads in (10m, not 8m20s). */
export function clockTicks(end: number, count = 6): number[] {
  const step = CLOCK_STEPS.find((s) => s >= end / count) ?? CLOCK_STEPS.at(-1)!;
  const out: number[] = [];
  for (let t = 0; t <= end && out.length < 50; t += step) out.push(t);
  return out;
}

/** "0", "45s", "10m", "1h30m". */
export function clockText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s === 0) return '0';
  const [h, m, sec] = [Math.floor(s / 3600), Math.floor((s % 3600) / 60), s % 60];
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${sec ? `${sec}s` : ''}`;
}

/**
 * The unscaled night's clock under the scenario's: a schedule run at a time scale (15 min of
 * sleep in 3.6 s) is read in its own terms. Phases can be scaled unevenly (a dark wake has a
 * floor, a sleep may be compressed), so a night time maps to the plot through the span it falls
 * in, not one factor: nice night ticks land where that span puts them. Undefined without spans
 * that carry the night's clock.
 */
export function nightAxis(e: SwimlaneEvidence, x: Scale, y: number): string | undefined {
  const spans = e.lanes[0]?.spans.filter((s) => s.nightFromMs !== undefined && s.nightToMs !== undefined) ?? [];
  if (!spans.length) return undefined;
  const end = Math.max(...spans.map((s) => s.nightToMs!));
  const at = (u: number): number | undefined => {
    const s = spans.find((p) => u >= p.nightFromMs! && u <= p.nightToMs!);
    if (!s) return undefined;
    const f = s.nightToMs! > s.nightFromMs! ? (u - s.nightFromMs!) / (s.nightToMs! - s.nightFromMs!) : 0;
    return x(s.fromMs + f * (s.toMs - s.fromMs));
  };
  const marks = clockTicks(end)
    .flatMap((u) => {
      const px = at(u);
      return px === undefined
        ? []
        : [
            `<line x1="${px.toFixed(1)}" x2="${px.toFixed(1)}" y1="${y}" y2="${y + 4}" stroke="#666"/><text x="${px.toFixed(1)}" y="${y + 15}" text-anchor="middle">${clockText(u)}</text>`,
          ];
    })
    .join('');
  const [a, b] = [x(x.domain[0]), x(x.domain[1])];
  return `<g class="axis clock-night"><line x1="${a}" x2="${b}" y1="${y}" y2="${y}" stroke="#666"/>${marks}<text x="${(a + b) / 2}" y="${y + 30}" text-anchor="middle">the night's clock (unscaled; each phase as the schedule wrote it)</text></g>`;
}

const STATE_COLOR: Record<LaneState, string> = {
  awake: '#e5e7eb',
  sleep: '#1e3a8a',
  darkwake: '#93c5fd',
  fullwake: '#fde68a',
};
const STATE_LABEL: Record<LaneState, string> = {
  awake: 'awake',
  sleep: 'sleep',
  darkwake: 'dark wake',
  fullwake: 'full wake',
};
const MARKER_COLOR: Record<LaneMarker, string> = {
  handshake: '#15803d',
  reconnect: '#ea580c',
  'dpd-drop': '#dc2626',
  alert: '#7c3aed',
};

function marker(kind: LaneMarker, x: number, y: number, title: string): string {
  const c = MARKER_COLOR[kind];
  const t = `<title>${esc(title)}</title>`;
  switch (kind) {
    case 'handshake':
      return `<circle class="pt m-${kind}" cx="${x.toFixed(1)}" cy="${y}" r="5" fill="${c}" stroke="#fff">${t}</circle>`;
    case 'reconnect':
      return `<path class="pt m-${kind}" d="M${(x - 6).toFixed(1)},${y + 5}L${x.toFixed(1)},${y - 6}L${(x + 6).toFixed(1)},${y + 5}Z" fill="${c}" stroke="#fff">${t}</path>`;
    case 'dpd-drop':
      return `<path class="pt m-${kind}" d="M${(x - 5).toFixed(1)},${y - 5}L${(x + 5).toFixed(1)},${y + 5}M${(x + 5).toFixed(1)},${y - 5}L${(x - 5).toFixed(1)},${y + 5}" stroke="${c}" stroke-width="2.5">${t}</path>`;
    case 'alert':
      return `<path class="pt m-${kind}" d="M${x.toFixed(1)},${y - 6}L${(x + 6).toFixed(1)},${y}L${x.toFixed(1)},${y + 6}L${(x - 6).toFixed(1)},${y}Z" fill="${c}" stroke="#fff">${t}</path>`;
  }
}

export function swimlanePlot(e: SwimlaneEvidence): string {
  const W = 820,
    LANE = 44,
    LEFT = 90,
    TOP = 18;
  const H = TOP + e.lanes.length * LANE + 40;
  const times = e.lanes
    .flatMap((l) => [...l.spans.flatMap((s) => [s.fromMs, s.toMs]), ...l.markers.map((m) => m.t)])
    .concat((e.bounds ?? []).flatMap((b) => [b.fromMs, b.toMs]));
  if (!times.length) return `<p class="muted">${esc(e.title)}: nothing to plot</p>`;
  const x = linear([0, Math.max(...times)], [LEFT, W - 12]);
  let points = 0;
  const lanes = e.lanes
    .map((l, i) => {
      const y0 = TOP + i * LANE;
      const spans = l.spans
        .map((s) => {
          points++;
          return `<rect class="pt s-${s.state}" x="${x(s.fromMs).toFixed(1)}" y="${y0 + 4}" width="${Math.max(3, x(s.toMs) - x(s.fromMs)).toFixed(1)}" height="${LANE - 8}" fill="${STATE_COLOR[s.state]}"><title>${esc(`${s.label ?? STATE_LABEL[s.state]}: ${fmt(s.fromMs)}–${fmt(s.toMs)} ms`)}</title></rect>`;
        })
        .join('');
      const marks = l.markers
        .map((m) => {
          points++;
          return marker(
            m.marker,
            x(m.t),
            y0 + LANE / 2,
            `${m.marker} at ${fmt(m.t)} ms${m.detail ? `: ${m.detail}` : ''}`,
          );
        })
        .join('');
      return `<text x="${LEFT - 6}" y="${y0 + LANE / 2 + 4}" text-anchor="end">${esc(l.name)}</text>${spans}${marks}`;
    })
    .join('');
  const bottom = TOP + e.lanes.length * LANE;
  const bounds = (e.bounds ?? [])
    .map(
      (b) =>
        `<rect class="bound" x="${x(b.fromMs).toFixed(1)}" y="${TOP}" width="${Math.max(2, x(b.toMs) - x(b.fromMs)).toFixed(1)}" height="${bottom - TOP}" fill="none" stroke="#111" stroke-dasharray="4 3"><title>${esc(`expected: ${b.label} (${fmt(b.fromMs)}–${fmt(b.toMs)} ms)`)}</title></rect>`,
    )
    .join('');
  const boundLabel = e.bounds?.[0]
    ? `<text x="${x(e.bounds[0].fromMs).toFixed(1)}" y="${TOP - 5}">expected: ${esc(e.bounds[0].label)}</text>`
    : '';
  const used = new Set(e.lanes.flatMap((l) => l.spans.map((s) => s.state)));
  const usedMarks = new Set(e.lanes.flatMap((l) => l.markers.map((m) => m.marker)));
  const key = legend([
    ...(['awake', 'sleep', 'darkwake', 'fullwake'] as const)
      .filter((s) => used.has(s))
      .map((s) => ({ color: STATE_COLOR[s], label: STATE_LABEL[s] })),
    ...(['handshake', 'reconnect', 'dpd-drop', 'alert'] as const)
      .filter((m) => usedMarks.has(m))
      .map((m) => ({ color: MARKER_COLOR[m], label: m === 'dpd-drop' ? 'DPD drop' : m })),
    ...(e.bounds?.length ? [{ color: '#111', label: 'expected bound', shape: 'outline' }] : []),
  ]);
  const night = nightAxis(e, x, bottom + 2);
  const scenarioAxis = xAxis(x, bottom + 2, 'scenario time (ms)').replace(
    '<g class="axis">',
    '<g class="axis clock-scenario">',
  );
  // Both clocks are drawn; the checkbox (filters.ts's script) shows one: the scenario's by default.
  const toggle = night
    ? '<label class="clock"><input type="checkbox" class="clock-toggle"> the night\'s clock (unscaled)</label>'
    : '';
  return `<figure class="swimlane" data-clock="scenario"><figcaption>${esc(e.title)}</figcaption>${svg('swimlane', W, H, points, `${lanes}${bounds}${boundLabel}${scenarioAxis}${night ?? ''}`, e.title)}${key}${toggle}</figure>`;
}
