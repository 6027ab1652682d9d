/**
 * The few SVG pieces every plot shares: a linear scale, "nice" ticks and axes. Hand-written
 * (about 50 lines) rather than an inlined charting library: the report needs four fixed plot
 * kinds, no interaction, and must stay one small offline file.
 */
import { esc } from '../escape.ts';

export interface Scale {
  (v: number): number;
  domain: [number, number];
}

export function linear(domain: [number, number], range: [number, number]): Scale {
  const [d0, d1] = domain[0] === domain[1] ? [domain[0] - 1, domain[1] + 1] : domain;
  const f = ((v: number) => range[0] + ((v - d0) / (d1 - d0)) * (range[1] - range[0])) as Scale;
  f.domain = [d0, d1];
  return f;
}

/** Ticks at 1/2/5 × 10^k steps, about `count` of them. */
export function ticks([lo, hi]: [number, number], count = 6): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((m) => m * mag >= raw) ?? 10) * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9 && out.length < 50; v += step)
    out.push(Number(v.toFixed(10)));
  return out;
}

export const fmt = (v: number): string => (Math.abs(v) >= 1000 ? v.toFixed(0) : Number(v.toPrecision(4)).toString());

export function xAxis(x: Scale, y: number, label: string): string {
  const t = ticks(x.domain)
    .map(
      (v) =>
        `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${y}" y2="${y + 4}" stroke="#666"/><text x="${x(v).toFixed(1)}" y="${y + 15}" text-anchor="middle">${fmt(v)}</text>`,
    )
    .join('');
  const [a, b] = [x(x.domain[0]), x(x.domain[1])];
  return `<g class="axis"><line x1="${a}" x2="${b}" y1="${y}" y2="${y}" stroke="#666"/>${t}<text x="${(a + b) / 2}" y="${y + 30}" text-anchor="middle">${esc(label)}</text></g>`;
}

export function yAxis(y: Scale, x: number, label: string): string {
  const t = ticks(y.domain, 4)
    .map(
      (v) =>
        `<line x1="${x - 4}" x2="${x}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#666"/><text x="${x - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    )
    .join('');
  const [a, b] = [y(y.domain[0]), y(y.domain[1])];
  return `<g class="axis"><line x1="${x}" x2="${x}" y1="${a}" y2="${b}" stroke="#666"/>${t}<text transform="translate(${x - 38},${(a + b) / 2}) rotate(-90)" text-anchor="middle">${esc(label)}</text></g>`;
}

export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#4d7c0f'];

/** A plot's outer element: `data-points` is how many data marks (class `pt`) it drew, for tests and readers. */
export function svg(kind: string, w: number, h: number, points: number, body: string, label: string): string {
  return `<svg class="plot" data-plot="${kind}" data-points="${points}" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(label)}" xmlns="http://www.w3.org/2000/svg">${body}</svg>`;
}

export function legend(items: Array<{ color: string; label: string; shape?: string }>): string {
  return `<div class="legend">${items.map((i) => `<i style="background:${i.color}${i.shape === 'outline' ? `;background:none;border:2px dashed ${i.color}` : ''}"></i>${esc(i.label)}`).join('')}</div>`;
}
