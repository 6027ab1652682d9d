/** Plain-text rendering of evidence, shared by the console and JUnit reporters. */
import { matrixMismatches, type Evidence, type MatrixEvidence } from '../model/check.ts';

function pad(s: string, w: number): string {
  // Width by code points so ✓/✗ line up.
  const len = [...s].length;
  return s + ' '.repeat(Math.max(0, w - len));
}

export function matrixText(m: MatrixEvidence): string {
  const mismatch = new Set(matrixMismatches(m).map(([r, c]) => `${r},${c}`));
  const corner = [m.rowLabel, m.colLabel].filter(Boolean).join(' \\ ');
  const header = [corner, ...m.cols];
  const body = m.rows.map((row, r) => [
    row,
    ...m.cols.map((_, c) => `${m.cells[r]?.[c] ?? ''}${mismatch.has(`${r},${c}`) ? ' ←' : ''}`),
  ]);
  const widths = header.map((h, i) => Math.max([...h].length, ...body.map((b) => [...(b[i] ?? '')].length)));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!)).join(' │ ');
  const sep = widths.map((w) => '─'.repeat(w)).join('─┼─');
  const out = [m.title, line(header), sep, ...body.map(line)];
  if (mismatch.size) out.push('← differs from what was expected');
  if (m.legend) out.push(m.legend);
  return out.join('\n');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.floor((s.length - 1) / 2)]!.toFixed(3));
}

export function evidenceText(e: Evidence): string {
  switch (e.kind) {
    case 'matrix':
      return matrixText(e);
    case 'timeline':
      return [
        e.title,
        ...e.events.map(
          (ev) =>
            `  ${(ev.t / 1000).toFixed(3).padStart(9)}s  ${ev.source.padEnd(10)} ${ev.event}${ev.detail ? `  ${ev.detail}` : ''}`,
        ),
      ].join('\n');
    case 'numbers':
      return [
        e.title,
        ...Object.entries(e.values).map(
          ([k, v]) => `  ${k}: ${v === null ? '—' : String(v)}${e.units?.[k] ? ` ${e.units[k]}` : ''}`,
        ),
      ].join('\n');
    case 'text':
      return `${e.title}\n${e.text}`;
    case 'series':
      return `${e.title}: ${e.series.map((s) => `${s.name} (${s.points.length} points)`).join(', ')}`;
    case 'swimlane':
      return `${e.title}: ${e.lanes.map((l) => `${l.name} (${l.spans.length} phases, ${l.markers.length} events)`).join(', ')} (plotted in report.html)`;
    case 'distribution':
      return [
        e.title,
        ...e.series.map(
          (s) =>
            `  ${s.name}: ${s.samples.length} samples${s.samples.length ? `, median ${median(s.samples)} ${e.unit}` : ''}`,
        ),
      ].join('\n');
    case 'expected-measured':
      return [
        e.title,
        ...e.items.map(
          (i) =>
            `  ${i.name}: expected ${i.expected}${i.tolerance !== undefined ? ` ±${i.tolerance}` : ''} ${e.unit}, measured ${i.measured ?? '—'}${i.measured === null ? '' : ` ${e.unit}`}${i.ok ? '' : ' ←'}`,
        ),
      ].join('\n');
  }
}

export function evidenceBlock(list: Evidence[]): string {
  return list.map(evidenceText).join('\n\n');
}
