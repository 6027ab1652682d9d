/** One evidence item as HTML: plots for the kinds that have one, tables and text for the rest. */
import type { Evidence } from '../../model/check.ts';
import { esc } from './escape.ts';
import { cdfPlot } from './plots/cdf.ts';
import { expectedMeasuredPlot } from './plots/expected-measured.ts';
import { matrixView } from './plots/matrix.ts';
import { seriesPlot } from './plots/series.ts';
import { swimlanePlot } from './plots/swimlane.ts';

/** Timelines longer than this are collapsed (the swimlane above them is what people read). */
const OPEN_TIMELINE_ROWS = 12;

export function evidenceHtml(e: Evidence): string {
  switch (e.kind) {
    case 'matrix':
      return matrixView(e);
    case 'timeline': {
      const rows = e.events
        .map(
          (ev) =>
            `<tr><td>${(ev.t / 1000).toFixed(3)} s</td><td>${esc(ev.source)}</td><td>${esc(ev.event)}</td><td>${esc(ev.detail ?? '')}</td></tr>`,
        )
        .join('');
      return `<details${e.events.length <= OPEN_TIMELINE_ROWS ? ' open' : ''}><summary>${esc(e.title)} — timeline, ${e.events.length} events</summary><div class="scroll"><table class="timeline">${rows}</table></div></details>`;
    }
    case 'numbers':
      // The title as the figure's caption, not the table's: a table's caption wraps to the table's width.
      return `<figure class="numbers-view"><figcaption>${esc(e.title)}</figcaption><div class="scroll"><table class="numbers">${Object.entries(
        e.values,
      )
        .map(
          ([k, v]) =>
            `<tr><th>${esc(k)}</th><td>${esc(v === null ? '—' : String(v))}${e.units?.[k] ? ` ${esc(e.units[k]!)}` : ''}</td></tr>`,
        )
        .join('')}</table></div></figure>`;
    case 'text':
      return `<details><summary>${esc(e.title)}</summary><pre>${esc(e.text)}</pre></details>`;
    case 'series':
      return seriesPlot(e);
    case 'swimlane':
      return swimlanePlot(e);
    case 'distribution':
      return cdfPlot(e);
    case 'expected-measured':
      return expectedMeasuredPlot(e);
  }
}
