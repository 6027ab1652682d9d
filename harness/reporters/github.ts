/**
 * `--reporter github`: GitHub Actions workflow commands on stdout and a Markdown job summary
 * appended to $GITHUB_STEP_SUMMARY (./github-summary.ts).
 *
 * Annotations: one `::error` per failing scenario (its failed checks in the message), a
 * `::warning` per flaky one. GitHub shows at most 10 error and 10 warning annotations per step
 * and drops the rest unseen, so past the ninth failing scenario the rest share the tenth, which
 * names them all; the summary has every check. A merge (`onEnd` with scenarios never seen live)
 * annotates the same way. Alone, the reporter also prints each scenario as a `::group::` and ends
 * with the count line; beside the console reporter it prints annotations only, as Playwright's does.
 *
 * Escaping follows actions/toolkit's command.ts (the reference the runner parses against):
 * data escapes % \r \n; property values also escape : and ,.
 * https://docs.github.com/actions/using-workflows/workflow-commands-for-github-actions
 * https://docs.github.com/rest/checks/runs (the 10-per-step annotation limit of workflow commands)
 */
import { appendFile } from 'node:fs/promises';
import { closingLine, rerunLines, type RunResult, type ScenarioResult } from '../model/results.ts';
import { formatMs } from '../util/duration.ts';
import { isBad, scenarioTitle, summaryMarkdown } from './github-summary.ts';
import type { Reporter, ScenarioStart } from './reporter.ts';

/** Annotations of one kind GitHub shows per step. */
export const ANNOTATIONS_PER_STEP = 10;

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line: `::name k=v,k=v::message`. */
export function workflowCommand(name: string, props: Record<string, string | number>, message: string): string {
  const p = Object.entries(props)
    .map(([k, v]) => `${k}=${escapeProperty(String(v))}`)
    .join(',');
  return `::${name}${p ? ` ${p}` : ''}::${escapeData(message)}`;
}

const keyOf = (s: ScenarioResult): string => `${s.profile}\0${s.id}\0${s.repeat ?? 0}`;

/** One annotation per kind and scenario, at most ANNOTATIONS_PER_STEP, the last naming all that did not fit. */
class AnnotationBudget {
  private shown = 0;
  private readonly held: ScenarioResult[] = [];
  constructor(
    private readonly kind: 'error' | 'warning',
    private readonly line: (s: ScenarioResult) => string,
  ) {}

  get annotated(): number {
    return this.shown + (this.held.length === 1 ? 1 : 0);
  }

  add(s: ScenarioResult): string | undefined {
    if (this.shown < ANNOTATIONS_PER_STEP - 1) {
      this.shown++;
      return this.line(s);
    }
    this.held.push(s);
    return undefined;
  }

  /** At the end: the one held scenario as itself, or all held in one annotation. */
  flush(): string | undefined {
    if (this.held.length === 0) return undefined;
    if (this.held.length === 1) return this.line(this.held[0]!);
    const what = this.kind === 'error' ? 'failing' : 'flaky';
    const names = this.held.map((s) => `${scenarioTitle(s)} (${s.file}:${s.line})`);
    return workflowCommand(
      this.kind,
      { title: `${this.held.length} more ${what} scenarios (all in the job summary)` },
      names.join('\n'),
    );
  }
}

function errorLine(s: ScenarioResult): string {
  const bad = s.checks.filter(isBad);
  const title = `${scenarioTitle(s)}: ${bad.length} of ${s.checks.length} check${s.checks.length === 1 ? '' : 's'} failed`;
  return workflowCommand(
    'error',
    { file: s.file, line: s.line, title },
    bad.map((c) => `${c.name} (${c.verdict}): ${c.reason}`).join('\n'),
  );
}

function warningLine(s: ScenarioResult): string {
  const flaky = s.checks.filter((c) => c.verdict === 'flaky');
  return workflowCommand(
    'warning',
    { file: s.file, line: s.line, title: `${scenarioTitle(s)}: flaky` },
    flaky.map((c) => `${c.name}: passed on attempt ${c.attempt} after failing: ${c.reason}`).join('\n'),
  );
}

export class GithubReporter implements Reporter {
  readonly name = 'github';
  private readonly seen = new Set<string>();
  private readonly errors = new AnnotationBudget('error', errorLine);
  private readonly warnings = new AnnotationBudget('warning', warningLine);

  constructor(
    private readonly out: (s: string) => void = (s) => process.stdout.write(s),
    private readonly summaryFile: string | undefined = process.env.GITHUB_STEP_SUMMARY || undefined,
    /** No console reporter beside it: print the groups with each check, and the count line. */
    private readonly standalone = true,
  ) {}

  onScenarioBegin(s: ScenarioStart): void {
    if (this.standalone)
      this.out(`::group::${escapeData(`[${s.index}/${s.total}] ${s.profile} › ${s.id} (${s.use})`)}\n`);
  }

  /** Run-level lines (lab up, "stopped after …", the reports written): the console's, when there is none. */
  onMessage(line: string): void {
    if (this.standalone) this.out(`${escapeData(line)}\n`);
  }

  onScenarioEnd(_s: ScenarioStart, r: ScenarioResult): void {
    if (this.standalone) {
      for (const c of r.checks) this.out(`${escapeData(`${c.verdict.padEnd(5)} ${c.name}: ${c.reason}`)}\n`);
      for (const line of rerunLines(r)) this.out(`${escapeData(line)}\n`);
      this.out(`${escapeData(`done in ${formatMs(r.durationMs)}`)}\n::endgroup::\n`);
    }
    this.annotate(r);
  }

  private annotate(r: ScenarioResult): void {
    this.seen.add(keyOf(r));
    const lines = [
      r.checks.some(isBad) ? this.errors.add(r) : undefined,
      r.checks.some((c) => c.verdict === 'flaky') ? this.warnings.add(r) : undefined,
    ];
    for (const l of lines) if (l) this.out(`${l}\n`);
  }

  async onEnd(result: RunResult): Promise<void> {
    // A merge, or scenarios a run reported without onScenarioEnd: annotated here, in the result's order.
    for (const s of result.scenarios) if (!this.seen.has(keyOf(s))) this.annotate(s);
    for (const l of [this.errors.flush(), this.warnings.flush()]) if (l) this.out(`${l}\n`);
    if (this.summaryFile) await appendFile(this.summaryFile, summaryMarkdown(result, this.errors.annotated));
    if (this.standalone) this.out(`${closingLine(result.summary)}\n`);
  }
}
