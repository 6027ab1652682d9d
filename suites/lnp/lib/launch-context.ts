/**
 * Host mode (no lab): the real OS decides local network access, per process. On macOS that
 * depends on the launch context (Apple TN3179 "Understanding local network privacy": the
 * responsible process holds the permission — a tool started from Terminal inherits
 * Terminal's, a launchd daemon running as root is exempt), so the probe agent runs in each
 * context and each one is its own row. The per-OS file is picked at run time.
 */
import { execa } from 'execa';
import type { AgentEvent, AgentPlan } from './plan.ts';
import { parseAgentLine } from './plan.ts';
import { agentArgv } from './probe-lab.ts';

export type LaunchContextName = 'harness' | 'launchagent' | 'sudo';
export const LAUNCH_CONTEXTS: readonly LaunchContextName[] = ['harness', 'launchagent', 'sudo'];

export interface ContextRun {
  context: LaunchContextName;
  /** Set when the context cannot be used here (the row is skipped with it). */
  skipped?: string;
  events: AgentEvent[];
  output: string[];
  /** What the context runs as, e.g. "uid 501 (LaunchAgent gui/501)". */
  detail: string;
}

export interface LaunchContexts {
  run(context: LaunchContextName, plan: AgentPlan, timeoutMs: number, signal: AbortSignal): Promise<ContextRun>;
}

/** Runs argv to completion (bounded), collecting agent events from its stdout. */
export async function runAgentArgv(
  context: LaunchContextName,
  argv: string[],
  timeoutMs: number,
  signal: AbortSignal,
  detail: string,
): Promise<ContextRun> {
  const r = await execa(argv[0]!, argv.slice(1), {
    reject: false,
    timeout: timeoutMs,
    cancelSignal: signal,
    stdin: 'ignore',
  });
  const events: AgentEvent[] = [];
  const output: string[] = [];
  for (const line of `${r.stdout}`.split('\n')) {
    const e = parseAgentLine(line);
    if (e) events.push(e);
    else if (line) output.push(`[stdout] ${line}`);
  }
  for (const line of `${r.stderr}`.split('\n').filter(Boolean).slice(0, 20)) output.push(`[stderr] ${line}`);
  if (r.timedOut) output.push(`[harness] ${context} probe did not finish within ${timeoutMs} ms`);
  return { context, events, output, detail };
}

/** The agent as a child of the harness: same user, same responsible process, on every OS. */
export const harnessArgv = (plan: AgentPlan): string[] => agentArgv(plan);

export async function launchContexts(): Promise<LaunchContexts> {
  if (process.platform === 'darwin') return (await import('./launch-context.darwin.ts')).darwinContexts();
  return (await import('./launch-context.linux.ts')).linuxContexts();
}
