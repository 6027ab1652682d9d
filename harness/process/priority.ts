/**
 * Keeping the harness on time on a busy machine: the thread that drives a schedule (the
 * harness's main thread while a night runs) and the helper processes whose timing is
 * measurement (the gateway emulator, the flow prober) run at a raised scheduling priority
 * (nice −10, setpriority(2); Linux applies it per thread, so `pid` = the main thread only, and
 * children forked while it is raised — the `ip` link changes — inherit it). By default the SUT
 * keeps the default priority: it is judged under the machine's real load, and how long it
 * waited for a CPU is measured instead (suites/lib/lateness/cpu-wait.ts). `--sut-priority
 * raised` raises the programs under test too (raiseHeld, raiseCgroup below). Raising needs
 * root (CAP_SYS_NICE); without it nothing changes and the lateness measurements still decide.
 *
 * Autogrouping (sched(7), "The autogroup feature"; on by default in Debian's and Ubuntu's
 * kernels) puts each session in a scheduler task group of its own, and a thread's nice value
 * then weighs only against threads of the same group: against another job's processes, in
 * other sessions, the group's own nice decides (`/proc/<pid>/autogroup`). A helper leads a
 * session of its own (harness/process/spawn.ts starts every child with setsid), so its group
 * is raised too. The harness's own session is left as it is: it is the user's or the CI job's
 * shell, whose group would outlive a SIGKILL of the harness at the raised priority.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getPriority, setPriority } from 'node:os';
import { leadsSession } from './procfs.ts';
import { gateReached } from './spawn.ts';
import type { ManagedProcess } from './types.ts';

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

/**
 * Whether this process may raise a scheduling priority (CAP_SYS_NICE, setpriority(2) EACCES):
 * tried on the calling thread and put back at once. undefined when it may; else the reason.
 */
export function cannotRaise(): string | undefined {
  let before: number;
  try {
    before = getPriority(0);
    if (before <= TIMELY_NICE) return undefined;
    setPriority(0, TIMELY_NICE);
  } catch (err) {
    return `setpriority(2) refused a nice value of ${TIMELY_NICE}: ${errnoCode(err)} (root or CAP_SYS_NICE is needed)`;
  }
  setPriority(0, before);
  return undefined;
}

/**
 * Raises a program under test held at its gate (spawn.ts `held`), before its program runs: the
 * gate shell's nice value is kept across execve(2) and inherited by every thread and process the
 * program then makes (setpriority(2) NOTES and BUGS: per thread on Linux, inherited on fork), so
 * the whole program runs raised, not its first thread only;
 * and its session's autogroup, which weighs against other sessions. Not undone: both end with
 * the process and its session. Returns what was raised, or why it was not.
 */
export async function raiseHeld(proc: ManagedProcess): Promise<{ raised: boolean; detail: string }> {
  if (!(await gateReached(proc))) return { raised: false, detail: 'it left before its start' };
  try {
    setPriority(proc.pid, TIMELY_NICE);
  } catch (err) {
    return { raised: false, detail: `setpriority(2): ${errnoCode(err)}` };
  }
  const group = raiseAutogroup(proc.pid) ? " and its session's autogroup" : '';
  return { raised: true, detail: `nice ${TIMELY_NICE}${group}` };
}

/**
 * Raises a lab host's cgroup of programs where it has the cpu controller: a task in such a
 * cgroup is scheduled in the cgroup's group, not in its session's autogroup (sched(7): the CPU
 * controller "overrides the effect of autogrouping"), and the
 * group weighs by `cpu.weight` (Documentation/admin-guide/cgroup-v2.rst, "cpu.weight.nice": the
 * same weight as a nice value). Returns how to put it back, or undefined when there is no such
 * file (no cpu controller there, e.g. a hybrid hierarchy) or it was refused.
 */
export function raiseCgroup(dir: string): (() => void) | undefined {
  const file = join(dir, 'cpu.weight.nice');
  if (!existsSync(file)) return undefined;
  let before: string;
  try {
    before = readFileSync(file, 'utf8').trim();
    writeFileSync(file, String(TIMELY_NICE));
  } catch {
    return undefined;
  }
  return () => {
    try {
      writeFileSync(file, before);
    } catch {
      // the lab is gone, its cgroup with it
    }
  };
}

/** os.setPriority throws a SystemError (code ERR_SYSTEM_ERROR) whose `info.code` is the errno's name, e.g. EACCES. */
function errnoCode(err: unknown): string {
  const e = err as { info?: { code?: string }; code?: string; message?: string };
  return e.info?.code ?? e.code ?? e.message ?? String(err);
}
