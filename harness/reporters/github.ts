/**
 * `--reporter github`: GitHub Actions workflow commands on stdout — `::group::`/`::endgroup::`
 * around each scenario, an `::error file=…,line=…::reason` annotation per failed or errored
 * check (a `::warning` per flaky one) — and a Markdown job summary appended to
 * $GITHUB_STEP_SUMMARY (counts, failures with reasons, the matrix of a failing check).
 * Escaping follows actions/toolkit's command.ts (the reference the runner parses against):
 * data escapes % \r \n; property values also escape : and ,.
 * https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions
 */
import { appendFile } from 'node:fs/promises';
import type { Evidence, MatrixEvidence } from '../model/check.ts';
import { closingLine, rerunLines, type CheckResult, type RunResult, type ScenarioResult } from '../model/results.ts';
import { formatMs } from '../util/duration.ts';
import type { Reporter, ScenarioStart } from './reporter.ts';

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line: `::name k=v,k=v::message`. */
export function workflowCommand(name: string, props: Record<string, string | number>, message: string): string {
  const p = Object.entries(props).map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${name}${p ? ` ${p}` : ''}::${escapeData(message)}`;
}

const bad = (c: CheckResult): boolean => c.verdict === 'fail' || c.verdict === 'error';

/** Markdown table cells cannot hold | or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function matrixMarkdown(m: MatrixEvidence): string {
  const mismatch = new Set((m.mismatches ?? []).map(([r, c]) => `${r},${c}`));
  const corner = [m.rowLabel, m.colLabel].filter(Boolean).join(' \\ ') || ' ';
  const lines = [`**${cell(m.title)}**`, '', `| ${[corner, ...m.cols].map(cell).join(' | ')} |`, `|${' --- |'.repeat(m.cols.length + 1)}`];
  m.rows.forEach((row, r) => {
    const cells = m.cols.map((_, c) => {
      const v = cell(m.cells[r]?.[c] ?? '');
      return mismatch.has(`${r},${c}`) ? `**${v}** ←` : v;
    });
    lines.push(`| ${[cell(row), ...cells].join(' | ')} |`);
  });
  if (mismatch.size) lines.push('', '← differs from what was expected');
  if (m.legend) lines.push('', cell(m.legend));
  return lines.join('\n');
}

export function summaryMarkdown(result: RunResult): string {
  const s = result.summary;
  const out = [
    `## netconform: ${closingLine(s)}${result.interrupted ? ' (interrupted)' : ''}`,
    '',
    '| passed | failed | errors | skipped | flaky | expected failures | duration |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${s.passed} | ${s.failed} | ${s.errors} | ${s.skipped} | ${s.flaky} | ${s.xfail} | ${formatMs(result.durationMs)} |`,
  ];
  const failing = result.scenarios.flatMap((sc) => sc.checks.filter(bad).map((c) => ({ sc, c })));
  if (failing.length) {
    out.push('', '### Failures', '');
    for (const { sc, c } of failing) out.push(`- **${cell(sc.id)}** › ${cell(c.name)} (${c.verdict}, \`${cell(sc.file)}:${sc.line}\`): ${cell(c.reason)}`);
    for (const { sc, c } of failing) {
      const matrices = c.evidence.filter((e: Evidence): e is MatrixEvidence => e.kind === 'matrix');
      for (const m of matrices) out.push('', `#### ${cell(sc.id)} › ${cell(c.name)}`, '', matrixMarkdown(m));
    }
  }
  return `${out.join('\n')}\n`;
}

export class GithubReporter implements Reporter {
  readonly name = 'github';
  constructor(
    private readonly out: (s: string) => void = (s) => process.stdout.write(s),
    private readonly summaryFile: string | undefined = process.env.GITHUB_STEP_SUMMARY || undefined,
  ) {}

  onScenarioBegin(s: ScenarioStart): void {
    this.out(`::group::${escapeData(`[${s.index}/${s.total}] ${s.profile} › ${s.id} (${s.use})`)}\n`);
  }

  onScenarioEnd(_s: ScenarioStart, r: ScenarioResult): void {
    for (const c of r.checks) this.out(`${escapeData(`${c.verdict.padEnd(5)} ${c.name}: ${c.reason}`)}\n`);
    for (const line of rerunLines(r)) this.out(`${escapeData(line)}\n`);
    this.out(`${escapeData(`done in ${formatMs(r.durationMs)}`)}\n::endgroup::\n`);
    for (const c of r.checks) {
      const props = { file: r.file, line: r.line, title: `${r.id} › ${c.name}` };
      if (bad(c)) this.out(`${workflowCommand('error', props, c.reason)}\n`);
      else if (c.verdict === 'flaky') this.out(`${workflowCommand('warning', props, `flaky: passed on attempt ${c.attempt} after failing: ${c.reason}`)}\n`);
    }
  }

  async onEnd(result: RunResult): Promise<void> {
    if (this.summaryFile) await appendFile(this.summaryFile, summaryMarkdown(result));
  }
}
