/** A sampled series (y over x) as polylines with a point mark per sample, on shared axes. */
import type { SeriesEvidence } from '../../../model/check.ts';
import { esc } from '../escape.ts';
import { PALETTE, legend, linear, svg, xAxis, yAxis } from './svg.ts';

export function seriesPlot(s: SeriesEvidence): string {
  const pts = s.series.flatMap((x) => x.points);
  if (!pts.length) return `<p class="muted">${esc(s.title)}: no points</p>`;
  const W = 620,
    H = 240,
    L = 56,
    R = 14,
    T = 12,
    B = 44;
  const x = linear([Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))], [L, W - R]);
  const y = linear([Math.min(0, ...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))], [H - B, T]);
  const lines = s.series
    .map((ser, i) => {
      const c = PALETTE[i % PALETTE.length]!;
      const line = `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${ser.points.map((p) => `${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ')}"><title>${esc(ser.name)}</title></polyline>`;
      return (
        line +
        ser.points
          .map((p) => `<circle class="pt" cx="${x(p[0]).toFixed(1)}" cy="${y(p[1]).toFixed(1)}" r="2" fill="${c}"/>`)
          .join('')
      );
    })
    .join('');
  const key = legend(s.series.map((ser, i) => ({ color: PALETTE[i % PALETTE.length]!, label: ser.name })));
  return `<figure><figcaption>${esc(s.title)}</figcaption>${svg('series', W, H, pts.length, `${lines}${xAxis(x, H - B, s.xLabel)}${yAxis(y, L, s.yLabel)}`, s.title)}${key}</figure>`;
}
