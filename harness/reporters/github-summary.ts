/**
 * The Markdown job summary of `--reporter github` (appended to $GITHUB_STEP_SUMMARY): the counts,
 * every failing scenario with its profile, file:line and failed checks, and the matrix of a
 * failing check. It is where what the annotations leave out (GitHub shows at most 10 error
 * annotations per step) is read in full.
 */
import { matrixMismatches, type Evidence, type MatrixEvidence } from '../model/check.ts';
import { notRunLabel, type CheckResult, type RunResult, type ScenarioResult, type Summary } from '../model/results.ts';
import { formatMs } from '../util/duration.ts';

export const isBad = (c: CheckResult): boolean => c.verdict === 'fail' || c.verdict === 'error';

/** Markdown table cells cannot hold | or newlines. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

export function matrixMarkdown(m: MatrixEvidence): string {
  const mismatch = new Set(matrixMismatches(m).map(([r, c]) => `${r},${c}`));
  const corner = [m.rowLabel, m.colLabel].filter(Boolean).join(' \\ ') || ' ';
  const lines = [
    `**${cell(m.title)}**`,
    '',
    `| ${[corner, ...m.cols].map(cell).join(' | ')} |`,
    `|${' --- |'.repeat(m.cols.length + 1)}`,
  ];
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

/** "profile › id", with the repetition under `--repeat-each`. */
export function scenarioTitle(s: Pick<ScenarioResult, 'profile' | 'id' | 'repeat'>): string {
  return `${s.profile} › ${s.id}${s.repeat ? ` (repeat ${s.repeat})` : ''}`;
}

/**
 * The headline in the table's own terms (failed and errors apart), so its numbers are the
 * table's: "13 passed, 13 failed, 1 error, 0 skipped".
 */
export function summaryHeadline(s: Summary): string {
  return `${s.passed} passed, ${s.failed} failed, ${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.skipped} skipped`;
}

export function summaryMarkdown(result: RunResult, annotatedScenarios?: number): string {
  const s = result.summary;
  const out = [
    `## netconform: ${summaryHeadline(s)}${result.interrupted ? ' (interrupted)' : ''}`,
    '',
    '| passed | failed | errors | skipped | flaky | expected failures | duration |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    `| ${s.passed} | ${s.failed} | ${s.errors} | ${s.skipped} | ${s.flaky} | ${s.xfail} | ${formatMs(result.durationMs)} |`,
  ];
  if (result.notRun) out.push('', `${result.notRun} scenario${result.notRun === 1 ? '' : 's'} ${notRunLabel(result)}.`);
  const failing = result.scenarios.filter((sc) => sc.checks.some(isBad));
  if (failing.length) {
    out.push('', `### Failures (${failing.length} scenario${failing.length === 1 ? '' : 's'})`, '');
    if (annotatedScenarios !== undefined && annotatedScenarios < failing.length) {
      out.push(
        `GitHub shows 10 error annotations per step: ${annotatedScenarios} scenarios have their own, the other ${failing.length - annotatedScenarios} share one. All are here.`,
        '',
      );
    }
    for (const sc of failing) {
      out.push(`- **${cell(scenarioTitle(sc))}** (\`${cell(sc.use)}\`, \`${cell(sc.file)}:${sc.line}\`)`);
      for (const c of sc.checks.filter(isBad)) out.push(`  - ${cell(c.name)} (${c.verdict}): ${cell(c.reason)}`);
    }
    for (const sc of failing) {
      for (const c of sc.checks.filter(isBad)) {
        const matrices = c.evidence.filter((e: Evidence): e is MatrixEvidence => e.kind === 'matrix');
        for (const m of matrices)
          out.push('', `#### ${cell(scenarioTitle(sc))} › ${cell(c.name)}`, '', matrixMarkdown(m));
      }
    }
  }
  return `${out.join('\n')}\n`;
}
