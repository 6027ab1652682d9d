/**
 * Latency distribution as an empirical CDF per series (a step line per sender→receiver pair).
 * At most MAX_DRAWN points per series are drawn (evenly spaced ranks, min and max kept), so a
 * long run stays a small file; the caption says how many samples each line stands for.
 */
import type { DistributionEvidence } from '../../../model/check.ts';
import { esc } from '../escape.ts';
import { PALETTE, legend, linear, svg, xAxis, yAxis } from './svg.ts';

export const MAX_DRAWN = 200;

/** The (value, cumulative fraction) points drawn for one series. */
export function cdfPoints(samples: readonly number[]): Array<[number, number]> {
  const s = [...samples].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return [];
  const take = Math.min(n, MAX_DRAWN);
  const out: Array<[number, number]> = [];
  for (let k = 0; k < take; k++) {
    const i = take === 1 ? n - 1 : Math.round((k * (n - 1)) / (take - 1));
    out.push([s[i]!, (i + 1) / n]);
  }
  return out;
}

export function cdfPlot(e: DistributionEvidence): string {
  const W = 620,
    H = 260,
    L = 56,
    R = 14,
    T = 12,
    B = 44;
  const per = e.series.map((s) => cdfPoints(s.samples));
  const all = per.flat();
  if (!all.length) return `<p class="muted">${esc(e.title)}: no samples</p>`;
  // A loop, not Math.min(...all): a 32-peer mesh has ~1,000 series × 200 points, past the argument-count limit.
  let lo = 0;
  let hi = -Infinity;
  for (const [v] of all) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // The bound is on the axis too, so a pass (every line left of it) shows how far inside it is.
  if (e.bound && e.bound.value > hi) hi = e.bound.value;
  const x = linear([lo, hi], [L, W - R]);
  const y = linear([0, 1], [H - B, T]);
  let points = 0;
  const lines = per
    .map((pts, i) => {
      const c = PALETTE[i % PALETTE.length]!;
      let d = '';
      let prevY = y(0);
      for (const [v, f] of pts) {
        d += `${d ? 'L' : 'M'}${x(v).toFixed(1)},${prevY.toFixed(1)}V${y(f).toFixed(1)}`;
        prevY = y(f);
      }
      points += pts.length;
      const dots = pts
        .map(([v, f]) => `<circle class="pt" cx="${x(v).toFixed(1)}" cy="${y(f).toFixed(1)}" r="1.6" fill="${c}"/>`)
        .join('');
      return `<g data-series="${esc(e.series[i]!.name)}"><path d="${d}" fill="none" stroke="${c}" stroke-width="1.5"><title>${esc(e.series[i]!.name)}</title></path>${dots}</g>`;
    })
    .join('');
  // The bound as a dashed cross: its value (vertical) at its quantile (horizontal); a line reaching the quantile right of it fails.
  const b = e.bound;
  const bound = b
    ? `<g class="bound"><title>${esc(`expected: ${b.label}`)}</title><line x1="${x(b.value).toFixed(1)}" x2="${x(b.value).toFixed(1)}" y1="${T}" y2="${H - B}" stroke="#111" stroke-dasharray="4 3"/><line x1="${L}" x2="${W - R}" y1="${y(b.quantile).toFixed(1)}" y2="${y(b.quantile).toFixed(1)}" stroke="#111" stroke-dasharray="2 3" opacity=".6"/><text x="${(x(b.value) - 4).toFixed(1)}" y="${(y(b.quantile) - 4).toFixed(1)}" text-anchor="end">${esc(b.label)}</text></g>`
    : '';
  const key = legend([
    ...e.series.map((s, i) => ({
      color: PALETTE[i % PALETTE.length]!,
      label: `${s.name} (${s.samples.length} samples)`,
    })),
    ...(b ? [{ color: '#111', label: `bound: ${b.label}`, shape: 'outline' }] : []),
  ]);
  return `<figure><figcaption>${esc(e.title)}</figcaption>${svg('cdf', W, H, points, `${lines}${bound}${xAxis(x, H - B, e.unit)}${yAxis(y, L, 'fraction ≤ x')}`, e.title)}${key}</figure>`;
}
