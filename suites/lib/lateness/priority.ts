/**
 * Keeping the harness on time on a busy machine: the thread that drives a schedule (the
 * harness's main thread while a night runs) and the helper processes whose timing is
 * measurement (the gateway emulator, the flow prober) run at a raised scheduling priority
 * (nice −10, setpriority(2); Linux applies it per thread, so `pid` = the main thread only, and
 * children forked while it is raised — the `ip` link changes — inherit it). The SUT keeps the
 * default priority: it is judged under the machine's real load, and how long it waited for a
 * CPU is measured instead (./cpu-wait.ts). Raising needs root (CAP_SYS_NICE); without it
 * nothing changes and the lateness measurements still decide.
 */
import { getPriority, setPriority } from 'node:os';

export const TIMELY_NICE = -10;

/** Raises `pid` (0 = the calling thread); returns how to undo it, or undefined when not permitted. */
export function raisePriority(pid = 0): (() => void) | undefined {
  let before: number;
  try {
    before = getPriority(pid);
    if (before <= TIMELY_NICE) return () => undefined;
    setPriority(pid, TIMELY_NICE);
  } catch {
    return undefined;
  }
  return () => {
    try {
      setPriority(pid, before);
    } catch {
      // the process is gone, or lowering back was refused: nothing to undo then
    }
  };
}
