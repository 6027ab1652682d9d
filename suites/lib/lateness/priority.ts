/**
 * Keeping the harness on time on a busy machine: the thread that drives a schedule (the
 * harness's main thread while a night runs) and the helper processes whose timing is
 * measurement (the gateway emulator, the flow prober) run at a raised scheduling priority
 * (nice −10, setpriority(2); Linux applies it per thread, so `pid` = the main thread only, and
 * children forked while it is raised — the `ip` link changes — inherit it). The SUT keeps the
 * default priority: it is judged under the machine's real load, and how long it waited for a
 * CPU is measured instead (./cpu-wait.ts). Raising needs root (CAP_SYS_NICE); without it
 * nothing changes and the lateness measurements still decide.
 *
 * Autogrouping (sched(7), "The autogroup feature"; on by default in Debian's and Ubuntu's
 * kernels) puts each session in a scheduler task group of its own, and a thread's nice value
 * then weighs only against threads of the same group: against another job's processes, in
 * other sessions, the group's own nice decides (`/proc/<pid>/autogroup`). A helper leads a
 * session of its own (harness/process/spawn.ts starts every child with setsid), so its group
 * is raised too. The harness's own session is left as it is: it is the user's or the CI job's
 * shell, whose group would outlive a SIGKILL of the harness at the raised priority.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { leadsSession } from '../../../harness/process/procfs.ts';

export const TIMELY_NICE = -10;

/** Raises `pid` (0 = the calling thread); returns how to undo it, or undefined when not permitted. */
export function raisePriority(pid = 0): (() => void) | undefined {
  let before: number;
  try {
    before = getPriority(pid);
    if (before > TIMELY_NICE) setPriority(pid, TIMELY_NICE);
  } catch {
    return undefined;
  }
  const lowerGroup = pid > 0 ? raiseAutogroup(pid) : undefined;
  return () => {
    lowerGroup?.();
    try {
      if (before > TIMELY_NICE) setPriority(pid, before);
    } catch {
      // the process is gone, or lowering back was refused: nothing to undo then
    }
  };
}

/** The nice value of the autogroup `pid` is in ("/autogroup-42 nice 0"), or null (no autogroups, gone). */
export function autogroupNice(pid: number): number | null {
  try {
    const m = /\bnice (-?\d+)/.exec(readFileSync(`/proc/${pid}/autogroup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Raises the autogroup of a session leader; returns how to undo it, or undefined when nothing was changed. */
function raiseAutogroup(pid: number): (() => void) | undefined {
  const before = autogroupNice(pid);
  if (before === null || before <= TIMELY_NICE || !leadsSession(pid)) return undefined;
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(TIMELY_NICE));
  } catch {
    return undefined;
  }
  return () => {
    try {
      writeFileSync(`/proc/${pid}/autogroup`, String(before));
    } catch {
      // the session is gone (its group with it)
    }
  };
}
