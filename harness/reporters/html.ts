/**
 * `report.html`: one self-contained file (no scripts, no external assets) with the summary,
 * every check, matrices as tables with mismatches highlighted, timelines, and series as SVG.
 */
import { join } from 'node:path';
import type { Evidence, MatrixEvidence, SeriesEvidence } from '../model/check.ts';
import type { RunResult } from '../model/results.ts';
import { closingLine } from '../model/results.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import type { Reporter } from './reporter.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function matrix(m: MatrixEvidence): string {
  const bad = new Set((m.mismatches ?? []).map(([r, c]) => `${r},${c}`));
  const head = `<tr><th>${esc([m.rowLabel, m.colLabel].filter(Boolean).join(' \\ '))}</th>${m.cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const rows = m.rows
    .map((r, i) => `<tr><th>${esc(r)}</th>${m.cols.map((_, j) => `<td${bad.has(`${i},${j}`) ? ' class="bad"' : ''}>${esc(m.cells[i]?.[j] ?? '')}</td>`).join('')}</tr>`)
    .join('');
  return `<table class="matrix"><caption>${esc(m.title)}</caption>${head}${rows}</table>${m.legend ? `<p class="legend">${esc(m.legend)}</p>` : ''}`;
}

function series(s: SeriesEvidence): string {
  const pts = s.series.flatMap((x) => x.points);
  if (!pts.length) return `<p>${esc(s.title)}: no points</p>`;
  const [minX, maxX] = [Math.min(...pts.map((p) => p[0])), Math.max(...pts.map((p) => p[0]))];
  const [minY, maxY] = [Math.min(0, ...pts.map((p) => p[1])), Math.max(...pts.map((p) => p[1]))];
  const W = 560, H = 180;
  const sx = (x: number) => (maxX === minX ? W / 2 : ((x - minX) / (maxX - minX)) * (W - 40) + 30);
  const sy = (y: number) => (maxY === minY ? H / 2 : H - 20 - ((y - minY) / (maxY - minY)) * (H - 40));
  const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c'];
  const lines = s.series
    .map((x, i) => `<polyline fill="none" stroke="${colors[i % colors.length]}" stroke-width="1.5" points="${x.points.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(' ')}"><title>${esc(x.name)}</title></polyline>`)
    .join('');
  const legend = s.series.map((x, i) => `<span style="color:${colors[i % colors.length]}">■ ${esc(x.name)}</span>`).join(' ');
  return `<figure><figcaption>${esc(s.title)} — ${esc(s.yLabel)} (${minY}…${maxY}) over ${esc(s.xLabel)} (${minX}…${maxX})</figcaption><svg width="${W}" height="${H}" role="img">${lines}</svg><div>${legend}</div></figure>`;
}

function evidence(e: Evidence): string {
  switch (e.kind) {
    case 'matrix':
      return matrix(e);
    case 'timeline':
      return `<table class="timeline"><caption>${esc(e.title)}</caption>${e.events.map((ev) => `<tr><td>${(ev.t / 1000).toFixed(3)} s</td><td>${esc(ev.source)}</td><td>${esc(ev.event)}</td><td>${esc(ev.detail ?? '')}</td></tr>`).join('')}</table>`;
    case 'numbers':
      return `<table class="numbers"><caption>${esc(e.title)}</caption>${Object.entries(e.values).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v === null ? '—' : String(v))}${e.units?.[k] ? ` ${esc(e.units[k]!)}` : ''}</td></tr>`).join('')}</table>`;
    case 'text':
      return `<details><summary>${esc(e.title)}</summary><pre>${esc(e.text)}</pre></details>`;
    case 'series':
      return series(e);
  }
}

export function renderHtml(r: RunResult): string {
  const worst = (s: RunResult['scenarios'][number]) =>
    (['error', 'fail', 'flaky', 'xfail', 'pass', 'skip'] as const).find((v) => s.checks.some((c) => c.verdict === v)) ?? 'skip';
  const index = r.scenarios
    .map((s, i) => `<li class="${worst(s)}"><b>${worst(s)}</b> <a href="#s${i}">${esc(s.profile)} › ${esc(s.id)}</a> <small>${esc(s.use)}</small></li>`)
    .join('');
  const sum = r.summary;
  const counts = `<table class="numbers"><tr>${(['passed', 'failed', 'errors', 'skipped', 'xfail', 'flaky'] as const).map((k) => `<th>${k}</th>`).join('')}</tr><tr>${(['passed', 'failed', 'errors', 'skipped', 'xfail', 'flaky'] as const).map((k) => `<td>${sum[k]}</td>`).join('')}</tr></table>`;
  const scenarios = r.scenarios
    .map((s, i) => {
      const checks = s.checks
        .map((c) => `<li class="${c.verdict}"><b>${c.verdict}</b> ${esc(c.name)}: ${esc(c.reason)}${c.evidence.map(evidence).join('')}</li>`)
        .join('');
      const log = s.log.length ? `<details><summary>log (${s.log.length} lines${s.logCut ? ', cut: see its first line' : ''})</summary><pre>${esc(s.log.join('\n'))}</pre></details>` : '';
      return `<section id="s${i}"><h2>${esc(s.profile)} › ${esc(s.id)} <small>${esc(s.use)} · ${(s.durationMs / 1000).toFixed(1)} s${s.expectFail ? ' · expectFail' : ''}</small></h2><ul>${checks}</ul>${log}</section>`;
    })
    .join('\n');
  const css = `body{font:14px system-ui,sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}caption{text-align:left;font-weight:bold}.bad{background:#fecaca}li.fail b,li.error b{color:#b91c1c}li.pass b,li.xfail b{color:#15803d}li.skip b{color:#6b7280}li.flaky b{color:#b45309}small{color:#666;font-weight:normal}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>netconform ${esc(r.profiles.map((p) => p.name).join(', '))}</title><style>${css}</style></head><body><h1>netconform ${esc(r.netconform)}${r.interrupted ? ' — interrupted' : ''}</h1><p>${esc(closingLine(r.summary))} · ${esc(r.environment.platform)} ${esc(r.environment.osRelease)} · node ${esc(r.environment.node)} · started ${esc(r.startedAt)} · ${(r.durationMs / 1000).toFixed(1)} s</p>${counts}<ul class="index">${index}</ul>${scenarios}</body></html>\n`;
}

export class HtmlReporter implements Reporter {
  readonly name = 'html';
  constructor(private readonly outDir: string) {}

  async onEnd(result: RunResult): Promise<void> {
    await writeFileAtomic(join(this.outDir, 'report.html'), renderHtml(result));
  }
}
