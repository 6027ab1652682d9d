/**
 * A matrix that reads at a glance: cells as expected are green, mismatches red (and marked ✗
 * for readers without colour), cells that are not a measurement ("·", "—", "self") neutral.
 * A matrix that says which columns it compares (`compare`) has one judged column, the observed
 * one; the expected value and the context beside it are not coloured. The title sits above the
 * table as the figure's caption (a table's own caption wraps to the table's width), and a wide
 * table scrolls inside its section.
 */
import { matrixMismatches, type MatrixEvidence } from '../../../model/check.ts';
import { esc } from '../escape.ts';

const NOT_MEASURED = new Set(['', '·', '—', '-', 'self', 'n/a']);

export function matrixView(m: MatrixEvidence): string {
  const bad = new Set(matrixMismatches(m).map(([r, c]) => `${r},${c}`));
  const judged = (j: number): boolean => m.compare === undefined || j === m.compare.observed;
  const head = `<tr><th>${esc([m.rowLabel, m.colLabel].filter(Boolean).join(' \\ '))}</th>${m.cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = m.rows
    .map((r, i) => {
      const cells = m.cols
        .map((_, j) => {
          const text = m.cells[i]?.[j] ?? '';
          const cls = bad.has(`${i},${j}`) ? 'bad' : !judged(j) ? 'ctx' : NOT_MEASURED.has(text.trim()) ? 'na' : 'ok';
          return `<td class="${cls}"${cls === 'bad' ? ' title="differs from what was expected"' : ''}>${esc(text)}</td>`;
        })
        .join('');
      return `<tr><th>${esc(r)}</th>${cells}</tr>`;
    })
    .join('');
  const key = `<div class="legend"><i style="background:var(--pass-bg)"></i>as expected<i style="background:#fca5a5"></i>differs from what was expected (${bad.size})<i style="background:#fff"></i>${m.compare ? 'not judged' : 'not measured'}${m.legend ? ` — ${esc(m.legend)}` : ''}</div>`;
  return `<figure class="matrix-view"><figcaption>${esc(m.title)}</figcaption><div class="scroll"><table class="matrix">${head}${rows}</table></div>${key}</figure>`;
}
