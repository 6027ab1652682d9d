/**
 * Console: live progress (scenario k/n, then how long it took), every check's verdict on one
 * line, the evidence of a failing check printed readably (matrices as tables), and at the end,
 * as Playwright's list reporter does, a recap of every failed and flaky check (profile ›
 * scenario › check, file:line) before the closing line `N passed, N failed, N skipped`.
 */
import type { Verdict } from '../model/check.ts';
import { closingLine, rerunLines, type RunResult, type ScenarioResult } from '../model/results.ts';
import { formatMs } from '../util/duration.ts';
import { evidenceBlock } from './evidence-text.ts';
import type { PlanInfo, Reporter, ScenarioProgress, ScenarioStart } from './reporter.ts';

const MARK: Record<Verdict, string> = { pass: '✓', fail: '✗', error: '!', skip: '-', flaky: '~', xfail: '✓' };
const LABEL: Record<Verdict, string> = {
  pass: 'pass',
  fail: 'FAIL',
  error: 'ERROR',
  skip: 'skip',
  flaky: 'flaky',
  xfail: 'xfail',
};

function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

/** ANSI SGR colours (ECMA-48) per verdict; used only when colour is on. */
const COLOR: Record<Verdict, string> = { pass: '32', fail: '31', error: '31;1', skip: '33', flaky: '35', xfail: '36' };

/** FORCE_COLOR values that turn colour on, as Node's tty.getColorDepth reads them; any other value turns it off. */
const FORCE_ON = new Set(['', '1', '2', '3', 'true']);

/**
 * Node's rule (https://nodejs.org/api/cli.html#force_color1-2-3): FORCE_COLOR, when set, decides
 * and beats NO_COLOR; otherwise NO_COLOR (https://no-color.org: any non-empty value) turns it off,
 * and a TTY turns it on. `--no-color` (passed as `flag: false`) beats both: it is asked for here.
 */
export function colorWanted(
  flag: boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
  isTTY = Boolean(process.stdout.isTTY),
): boolean {
  if (flag === false) return false;
  if (env.FORCE_COLOR !== undefined) return FORCE_ON.has(env.FORCE_COLOR);
  if (env.NO_COLOR) return false;
  return isTTY;
}

/** A long scenario says where it is (or that it is still running) when nothing was printed for this long. */
const HEARTBEAT_MS = 15_000;
/** A scenario's progress is printed when it changes, but no more often than this. */
const PROGRESS_GAP_MS = 5_000;

/** "dark wake 3/8, 41s left": the plan's remainder counted down by the `sinceMs` that passed since it was said. */
export function progressText(p: ScenarioProgress, sinceMs: number): string {
  if (p.remainingMs === undefined) return p.where;
  const left = Math.max(0, p.remainingMs - Math.max(0, sinceMs));
  const secs = Math.ceil(left / 1000);
  return `${p.where}, ${left < 1000 ? 'under 1s' : secs < 60 ? `${secs}s` : formatMs(secs * 1000)} left`;
}

/** What the console knows of the running scenario. */
interface Running {
  startedMs: number;
  /** When a line about it was last printed (its start line, a progress line). */
  printedMs: number;
  progress?: ScenarioProgress;
  /** When the console received `progress`. */
  progressMs: number;
  /** Progress printed last, so an unchanged one is not repeated. */
  printedWhere?: string;
}

/**
 * The end-of-run recap: every failed (or errored) check, then every flaky one, numbered, each as
 * "profile › scenario › check (file:line)" with its reason below. Empty when there is none.
 */
export function recapLines(
  r: Pick<RunResult, 'scenarios'>,
  paint: (v: Verdict, text: string) => string = (_v, t) => t,
): string[] {
  const groups: Array<{ title: string; verdicts: Verdict[] }> = [
    { title: 'failed', verdicts: ['fail', 'error'] },
    { title: 'flaky', verdicts: ['flaky'] },
  ];
  const out: string[] = [];
  for (const g of groups) {
    const hits = r.scenarios.flatMap((s) =>
      s.checks.filter((c) => g.verdicts.includes(c.verdict)).map((c) => ({ s, c })),
    );
    if (!hits.length) continue;
    out.push('', `  ${hits.length} ${g.title}:`);
    hits.forEach(({ s, c }, i) => {
      const repeat = s.repeat ? ` (repeat ${s.repeat})` : '';
      out.push(`    ${i + 1}) ${s.profile} › ${s.id}${repeat} › ${c.name} (${s.file}:${s.line})`);
      out.push(`       ${paint(c.verdict, LABEL[c.verdict])} ${c.reason}`);
    });
  }
  if (out.length) out.push('');
  return out;
}

export class ConsoleReporter implements Reporter {
  readonly name = 'console';
  private heartbeat: NodeJS.Timeout | undefined;
  private running: Running | undefined;

  constructor(
    private readonly out: (s: string) => void = (s) => process.stdout.write(s),
    private readonly verbose = false,
    private readonly color = false,
    /** Print the evidence (matrices) of passing checks too, without streaming logs (the default profile's first look). */
    private readonly allEvidence = false,
  ) {}

  private paint(v: Verdict, text: string): string {
    return this.color ? `\x1b[${COLOR[v]}m${text}\x1b[0m` : text;
  }

  onBegin(plan: PlanInfo): void {
    const files = plan.profiles.map((p) => p.file).join(', ');
    this.out(`netconform: ${plan.total} scenario${plan.total === 1 ? '' : 's'} from ${files}\n`);
  }

  onScenarioBegin(s: ScenarioStart): void {
    // One clock per scenario: its own duration, said when it is done (not the run's, beside it).
    this.out(`[${s.index}/${s.total}] ${s.profile} › ${s.id} (${s.use}) …\n`);
    const now = performance.now();
    const run: Running = { startedMs: now, printedMs: now, progressMs: now };
    this.running = run;
    this.heartbeat = setInterval(() => this.tick(s, run), 1000);
    this.heartbeat.unref();
  }

  /** "… flows-after-wake: dark wake 3/8, 41s left (15.0s)", or "… id still running (15.0s)" when it never said. */
  private statusLine(s: ScenarioStart, run: Running, t: number): void {
    const elapsed = formatMs(t - run.startedMs);
    const where = run.progress ? progressText(run.progress, t - run.progressMs) : undefined;
    this.out(where ? `      … ${s.id}: ${where} (${elapsed})\n` : `      … ${s.id} still running (${elapsed})\n`);
    run.printedMs = t;
    run.printedWhere = run.progress?.where;
  }

  /** New progress is printed once PROGRESS_GAP_MS have passed since the last line; otherwise a line every HEARTBEAT_MS. */
  private tick(s: ScenarioStart, run: Running): void {
    const t = performance.now();
    const fresh = run.progress !== undefined && run.progress.where !== run.printedWhere;
    if (t - run.printedMs >= (fresh ? PROGRESS_GAP_MS : HEARTBEAT_MS)) this.statusLine(s, run, t);
  }

  onScenarioProgress(s: ScenarioStart, p: ScenarioProgress): void {
    const run = this.running;
    if (!run) return;
    run.progress = p;
    run.progressMs = performance.now();
    this.tick(s, run);
  }

  onScenarioLog(_s: ScenarioStart, line: string): void {
    if (this.verbose) this.out(`      ${line}\n`);
  }

  onMessage(line: string): void {
    this.out(`  ${line}\n`);
  }

  onScenarioEnd(s: ScenarioStart, r: ScenarioResult): void {
    clearInterval(this.heartbeat);
    this.running = undefined;
    for (const c of r.checks) {
      this.out(
        `    ${this.paint(c.verdict, `${MARK[c.verdict]} ${LABEL[c.verdict].padEnd(5)}`)} ${c.name}: ${c.reason}\n`,
      );
      const bad = c.verdict === 'fail' || c.verdict === 'error';
      // An expected failure's evidence is the known-bad case restated: only with -v.
      if ((bad || this.verbose || (this.allEvidence && c.verdict === 'pass')) && c.evidence.length)
        this.out(`${indent(evidenceBlock(c.evidence), 10)}\n`);
    }
    for (const line of rerunLines(r)) this.out(`${indent(`↻ ${line}`, 10)}\n`);
    const bad = r.checks.some((c) => c.verdict === 'fail' || c.verdict === 'error');
    if (bad && r.log.length) {
      const tail = r.log.slice(-15);
      this.out(`${indent(`log (last ${tail.length} of ${r.log.length} lines):\n${tail.join('\n')}`, 10)}\n`);
    }
    this.out(`[${s.index}/${s.total}] ${s.id} done in ${formatMs(r.durationMs)}\n`);
  }

  onEnd(result: RunResult): void {
    const s = result.summary;
    const rerun = result.scenarios.filter((x) => x.lateReruns?.length).length;
    const extras = [
      s.flaky && `${s.flaky} flaky`,
      rerun && `${rerun} scenario${rerun === 1 ? '' : 's'} re-run after the harness was late`,
      s.xfail && `${s.xfail} expected failures`,
      s.errors && `${s.errors} error${s.errors === 1 ? '' : 's'}`,
    ].filter(Boolean);
    if (result.interrupted) this.out('netconform: run interrupted; reports are marked interrupted\n');
    for (const line of recapLines(result, (v, t) => this.paint(v, t))) this.out(`${line}\n`);
    if (extras.length) this.out(`(${extras.join(', ')})\n`);
    this.out(`${closingLine(s)}\n`);
  }
}
