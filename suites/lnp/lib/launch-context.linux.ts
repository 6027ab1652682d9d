/**
 * Linux host mode: no OS-level local network privacy exists, so only the harness row runs;
 * the macOS launch contexts are skipped with the reason.
 */
import { harnessArgv, runAgentArgv, type LaunchContexts } from './launch-context.ts';

export function linuxContexts(): LaunchContexts {
  return {
    async run(context, plan, timeoutMs, signal) {
      if (context !== 'harness') {
        return {
          context,
          skipped: `the ${context === 'launchagent' ? 'LaunchAgent (launchctl)' : 'sudo'} launch context matters only on macOS, where local network permission belongs to the responsible process; on ${process.platform} no OS policy depends on how a process was launched`,
          events: [],
          output: [],
          detail: '',
        };
      }
      return runAgentArgv(
        'harness',
        harnessArgv(plan),
        timeoutMs,
        signal,
        `uid ${process.getuid?.() ?? '?'} (child of the harness)`,
      );
    },
  };
}
