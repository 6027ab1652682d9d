/**
 * `report.html`: one self-contained file (inline CSS, a small inline script, SVG plots; no
 * network). Top-down: header and counts, the failure banner, the filter bar, then scenarios
 * with failures first. Each concern is its own file in this folder.
 */
import { join } from 'node:path';
import type { RunResult } from '../../model/results.ts';
import { closingLine } from '../../model/results.ts';
import { writeFileAtomic } from '../../util/atomic-write.ts';
import type { Reporter } from '../reporter.ts';
import { failureBanner } from './banner.ts';
import { esc } from './escape.ts';
import { FILTER_SCRIPT, toolbar } from './filters.ts';
import { scenarioSection } from './scenario.ts';
import { CSS } from './styles.ts';
import { scenarioOrder, verdictCounts } from './verdicts.ts';

export function renderHtml(r: RunResult): string {
  const title = `netconform ${r.profiles.map((p) => p.name).join(', ')}`;
  const env = `${r.environment.platform} ${r.environment.osRelease} · node ${r.environment.node}${r.environment.sutPriority ? ` · SUT priority ${r.environment.sutPriority}` : ''} · started ${r.startedAt} · ${(r.durationMs / 1000).toFixed(1)} s`;
  const header = `<header><h1>${esc(title)}${r.interrupted ? ' — interrupted' : ''}</h1><p class="muted">${esc(closingLine(r.summary))} (${r.summary.xfail} expected failures, ${r.summary.flaky} flaky) · netconform ${esc(r.netconform)} · ${esc(env)}</p></header>`;
  const sections = scenarioOrder(r)
    .map((i) => scenarioSection(r.scenarios[i]!, i))
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>${header}${failureBanner(r)}${toolbar(verdictCounts(r))}<main>${sections}</main><script>${FILTER_SCRIPT}</script></body></html>\n`;
}

export class HtmlReporter implements Reporter {
  readonly name = 'html';
  constructor(private readonly outDir: string) {}

  async onEnd(result: RunResult): Promise<void> {
    await writeFileAtomic(join(this.outDir, 'report.html'), renderHtml(result));
  }
}
