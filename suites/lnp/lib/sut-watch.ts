/**
 * Watching the SUT under a local network policy, line by line as it prints (never by position
 * in its bounded output): what reports the denial (`expect.reportPattern`, or an exit code from
 * `expect.exitCodes`) and what claims success (`expect.successPattern`) at any time in the
 * window. Pure: the scenario feeds it lines and the exit; unit-tested.
 */
import type { Lab, LocalNetworkPolicy } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { OutputStream, ProcessExit, StreamChoice } from '../../../harness/process/types.ts';
import { compilePattern, type LinePattern } from '../../../harness/util/pattern.ts';

/** Compiles a profile's pattern (RE2, case-insensitive); throws a message naming the field. */
export function regex(source: string, field: string): LinePattern {
  try {
    return compilePattern(source, { ignoreCase: true });
  } catch (e) {
    throw new Error(`${field} is not a valid pattern: ${(e as Error).message}`);
  }
}

export interface TimedLine {
  t: number;
  line: string;
  stream?: OutputStream;
}

/** Lines kept for the evidence; every line is judged, whatever the count. */
const KEPT_LINES = 40;
const KEPT_CLAIMS = 5;
const KEPT_LAST = 8;

export interface DenialPatterns {
  report: LinePattern;
  success: LinePattern;
  exitCodes: readonly number[];
  stream: StreamChoice;
}

export class DenialWatch {
  /** The first KEPT_LINES lines on the watched stream(s), for the evidence. */
  readonly lines: TimedLine[] = [];
  /** The last few lines, for a reason's "it printed". */
  readonly lastLines: string[] = [];
  linesSeen = 0;
  /** The first report: a matching line, or an exit code from exitCodes. */
  report: { t: number; how: string } | undefined;
  /** Success claims at any time (the first few kept), and how many there were. */
  readonly claims: TimedLine[] = [];
  claimCount = 0;
  exit: { t: number; e: ProcessExit } | undefined;

  /**
   * Times are given on the caller's clock and kept relative to `origin` (the SUT's readiness,
   * set once known): a line printed while it was starting has a negative time.
   */
  origin = 0;

  constructor(private readonly p: DenialPatterns) {}

  /** Moves every time recorded so far to a new origin. */
  setOrigin(origin: number): void {
    const shift = origin - this.origin;
    this.origin = origin;
    for (const l of [...this.lines, ...this.claims]) l.t -= shift;
    if (this.report) this.report.t -= shift;
    if (this.exit) this.exit.t -= shift;
  }

  line(at: number, stream: OutputStream, line: string): void {
    if (this.p.stream !== 'either' && this.p.stream !== stream) return;
    const t = at - this.origin;
    this.linesSeen++;
    if (this.lines.length < KEPT_LINES) this.lines.push({ t, line, stream });
    this.lastLines.push(line);
    if (this.lastLines.length > KEPT_LAST) this.lastLines.shift();
    if (!this.report && this.p.report.test(line)) this.report = { t, how: `printed "${line.slice(0, 160)}"` };
    if (this.p.success.test(line)) {
      this.claimCount++;
      if (this.claims.length < KEPT_CLAIMS) this.claims.push({ t, line, stream });
    }
  }

  exited(at: number, e: ProcessExit): void {
    const t = at - this.origin;
    this.exit = { t, e };
    if (!this.report && e.code !== null && this.p.exitCodes.includes(e.code))
      this.report = { t, how: `exited with code ${e.code}` };
  }
}

/** Sets the host's policy for the scenario and puts the starting one back at the end. */
export async function withPolicy(
  ctx: ScenarioContext,
  lab: Lab,
  host: string,
  policy: LocalNetworkPolicy,
): Promise<void> {
  const before = lab.host(host).localNetwork();
  if (before === policy) return;
  await lab.setLocalNetwork(host, policy);
  ctx.defer(() => lab.setLocalNetwork(host, before));
}

export const tail = (output: readonly string[], n = 8): string =>
  output
    .slice(-n)
    .map((l) => l.replace(/^\[(stdout|stderr)\] /, ''))
    .join(' | ') || '(nothing)';
