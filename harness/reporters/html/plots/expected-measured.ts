/**
 * Expected vs measured (keepalive detection time): per item a grey bar to the expected value
 * with the tolerance as a band and the verdict's bounds (expected ± tolerance) as dashed lines,
 * and the measured value as a bar, green inside the verdict, red outside. A value that was never
 * measured is said in words, not drawn as zero; when the scenario says how long it waited for
 * it, that wait is drawn as a hatched bar ("nothing within 6.5 s"). The axis covers every value
 * drawn: expected, tolerance, measured and the wait.
 */
import type { ExpectedMeasuredEvidence } from '../../../model/check.ts';
import { esc } from '../escape.ts';
import { fmt, legend, linear, svg, xAxis } from './svg.ts';

const HATCH =
  '<defs><pattern id="waited-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fee2e2"/><line x1="0" y1="0" x2="0" y2="6" stroke="#dc2626" stroke-width="2"/></pattern></defs>';

export function expectedMeasuredPlot(e: ExpectedMeasuredEvidence): string {
  const ROW = 46,
    L = 130,
    R = 20,
    T = 8;
  const W = 620,
    H = T + e.items.length * ROW + 40;
  const max = Math.max(1, ...e.items.flatMap((i) => [i.expected + (i.tolerance ?? 0), i.measured ?? 0, i.waited ?? 0]));
  const x = linear([0, max * 1.05], [L, W - R]);
  let points = 0;
  let hatched = false;
  const rows = e.items
    .map((it, k) => {
      const y0 = T + k * ROW;
      const lo = Math.max(0, it.expected - (it.tolerance ?? 0));
      const hi = it.expected + (it.tolerance ?? 0);
      const band = it.tolerance
        ? `<rect x="${x(lo).toFixed(1)}" y="${y0 + 2}" width="${(x(hi) - x(lo)).toFixed(1)}" height="18" fill="#d1d5db" opacity=".6"><title>tolerance ±${fmt(it.tolerance)} ${esc(e.unit)}</title></rect>`
        : '';
      const bound = (v: number, what: string): string =>
        `<line class="bound" x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${y0}" y2="${y0 + ROW - 4}" stroke="#111" stroke-dasharray="4 3"><title>${esc(`${what} ${fmt(v)} ${e.unit}`)}</title></line>`;
      const bounds = it.tolerance
        ? `${bound(lo, 'lower bound')}${bound(hi, 'upper bound')}`
        : bound(it.expected, 'bound');
      points++;
      const expected = `<rect class="pt expected" x="${L}" y="${y0 + 6}" width="${(x(it.expected) - L).toFixed(1)}" height="10" fill="#9ca3af"><title>expected ${fmt(it.expected)} ${esc(e.unit)}</title></rect>`;
      let measured: string;
      if (it.measured === null && it.waited !== undefined) {
        hatched = true;
        const what = `measured: nothing within the ${fmt(it.waited)} ${e.unit} waited`;
        measured = `<rect class="waited" x="${L}" y="${y0 + 24}" width="${Math.max(1, x(it.waited) - L).toFixed(1)}" height="14" fill="url(#waited-hatch)" stroke="#dc2626"><title>${esc(what)}</title></rect><text x="${L + 4}" y="${y0 + 35}" fill="#7f1d1d">${esc(what)}</text>`;
      } else if (it.measured === null) {
        measured = `<text x="${L + 4}" y="${y0 + 36}" fill="#b91c1c">measured: not reported</text>`;
      } else {
        points++;
        measured = `<rect class="pt measured" x="${L}" y="${y0 + 24}" width="${Math.max(1, x(it.measured) - L).toFixed(1)}" height="14" fill="${it.ok ? '#16a34a' : '#dc2626'}"><title>measured ${fmt(it.measured)} ${esc(e.unit)}</title></rect><text x="${(x(it.measured) + 4).toFixed(1)}" y="${y0 + 35}">${fmt(it.measured)}</text>`;
      }
      return `<text x="${L - 6}" y="${y0 + 26}" text-anchor="end">${esc(it.name)}</text>${band}${expected}<text x="${(x(it.expected) + 4).toFixed(1)}" y="${y0 + 15}">${fmt(it.expected)}</text>${measured}${bounds}`;
    })
    .join('');
  const key = legend([
    { color: '#9ca3af', label: 'expected' },
    { color: '#d1d5db', label: 'tolerance' },
    { color: '#111', label: 'bound', shape: 'outline' },
    { color: '#16a34a', label: 'measured, within' },
    { color: '#dc2626', label: 'measured, outside' },
    ...(hatched ? [{ color: '#fca5a5', label: 'waited, nothing measured' }] : []),
  ]);
  return `<figure><figcaption>${esc(e.title)}</figcaption>${svg('expected-measured', W, H, points, `${hatched ? HATCH : ''}${rows}${xAxis(x, H - 36, e.unit)}`, e.title)}${key}</figure>`;
}
