/**
 * Watching the SUT under a local network policy: what it printed that reports the denial
 * (`expect.reportPattern`, or an exit code from `expect.exitCodes`) and what claims success
 * (`expect.successPattern`). Pure parts are unit-tested.
 */
import type { Lab, LocalNetworkPolicy } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ProcessExit } from '../../../harness/process/types.ts';

export interface Report {
  /** ms after the SUT started; undefined = never. */
  reportedAfterMs: number | undefined;
  how: string | undefined;
  /** First stdout line claiming success before the report, if any. */
  claimed: string | undefined;
}

/** Compiles a profile's regex; throws a message naming the field. */
export function regex(source: string, field: string): RegExp {
  try {
    return new RegExp(source, 'i');
  } catch (e) {
    throw new Error(`${field} is not a valid regular expression: ${(e as Error).message}`);
  }
}

export interface TimedLine { t: number; line: string }

/** The first report (line or exit code) and any success claim before it. */
export function findReport(lines: TimedLine[], exit: { t: number; e: ProcessExit } | undefined, report: RegExp, success: RegExp, exitCodes: number[]): Report {
  const hit = lines.find((l) => report.test(l.line));
  let reportedAfterMs = hit?.t;
  let how = hit ? `printed "${hit.line.slice(0, 160)}"` : undefined;
  if (exit && exit.e.code !== null && exitCodes.includes(exit.e.code) && (reportedAfterMs === undefined || exit.t < reportedAfterMs)) {
    reportedAfterMs = exit.t;
    how = `exited with code ${exit.e.code}`;
  }
  const claimed = lines.find((l) => success.test(l.line) && (reportedAfterMs === undefined || l.t <= reportedAfterMs))?.line;
  return { reportedAfterMs, how, claimed };
}

/** Sets the host's policy for the scenario and puts the starting one back at the end. */
export async function withPolicy(ctx: ScenarioContext, lab: Lab, host: string, policy: LocalNetworkPolicy): Promise<void> {
  const before = lab.host(host).localNetwork();
  if (before === policy) return;
  await lab.setLocalNetwork(host, policy);
  ctx.defer(() => lab.setLocalNetwork(host, before));
}

export const tail = (output: readonly string[], n = 8): string => output.slice(-n).map((l) => l.replace(/^\[(stdout|stderr)\] /, '')).join(' | ') || '(nothing)';
