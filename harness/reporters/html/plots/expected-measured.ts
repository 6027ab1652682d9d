/**
 * Expected vs measured (keepalive detection time): per item a grey bar to the expected value
 * with the tolerance as a band, and the measured value as a bar, green inside the verdict, red
 * outside. A value that was never measured is said in words, not drawn as zero.
 */
import type { ExpectedMeasuredEvidence } from '../../../model/check.ts';
import { esc } from '../escape.ts';
import { fmt, legend, linear, svg, xAxis } from './svg.ts';

export function expectedMeasuredPlot(e: ExpectedMeasuredEvidence): string {
  const ROW = 46, L = 130, R = 20, T = 8;
  const W = 620, H = T + e.items.length * ROW + 40;
  const max = Math.max(1, ...e.items.flatMap((i) => [i.expected + (i.tolerance ?? 0), i.measured ?? 0]));
  const x = linear([0, max * 1.05], [L, W - R]);
  let points = 0;
  const rows = e.items.map((it, k) => {
    const y0 = T + k * ROW;
    const band = it.tolerance ? `<rect x="${x(Math.max(0, it.expected - it.tolerance)).toFixed(1)}" y="${y0 + 2}" width="${(x(it.expected + it.tolerance) - x(Math.max(0, it.expected - it.tolerance))).toFixed(1)}" height="18" fill="#d1d5db" opacity=".6"><title>tolerance ±${fmt(it.tolerance)} ${esc(e.unit)}</title></rect>` : '';
    points++;
    const expected = `<rect class="pt expected" x="${L}" y="${y0 + 6}" width="${(x(it.expected) - L).toFixed(1)}" height="10" fill="#9ca3af"><title>expected ${fmt(it.expected)} ${esc(e.unit)}</title></rect>`;
    let measured: string;
    if (it.measured === null) {
      measured = `<text x="${L + 4}" y="${y0 + 36}" fill="#b91c1c">measured: not reported</text>`;
    } else {
      points++;
      measured = `<rect class="pt measured" x="${L}" y="${y0 + 24}" width="${Math.max(1, x(it.measured) - L).toFixed(1)}" height="14" fill="${it.ok ? '#16a34a' : '#dc2626'}"><title>measured ${fmt(it.measured)} ${esc(e.unit)}</title></rect><text x="${(x(it.measured) + 4).toFixed(1)}" y="${y0 + 35}">${fmt(it.measured)}</text>`;
    }
    return `<text x="${L - 6}" y="${y0 + 26}" text-anchor="end">${esc(it.name)}</text>${band}${expected}<text x="${(x(it.expected) + 4).toFixed(1)}" y="${y0 + 15}">${fmt(it.expected)}</text>${measured}`;
  }).join('');
  const key = legend([{ color: '#9ca3af', label: 'expected' }, { color: '#d1d5db', label: 'tolerance' }, { color: '#16a34a', label: 'measured, within' }, { color: '#dc2626', label: 'measured, outside' }]);
  return `<figure><figcaption>${esc(e.title)}</figcaption>${svg('expected-measured', W, H, points, `${rows}${xAxis(x, H - 36, e.unit)}`, e.title)}${key}</figure>`;
}
