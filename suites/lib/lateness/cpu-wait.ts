/**
 * How long a process waited for a CPU while runnable: Linux schedstat, /proc/PID/task/TID/schedstat
 * = "time on CPU, time waiting on a runqueue, timeslices" in ns (Documentation/scheduler/sched-stats.rst).
 * A SUT that answers late because the machine did not run it is not a SUT fault: the
 * scenario compares this wait over a judged window with its bound. The figure is the thread
 * that waited longest (a node SUT's event loop is its main thread; a multi-threaded SUT's
 * slowest thread is the conservative reading). null where schedstat is missing (macOS).
 */
import { readdirSync, readFileSync } from 'node:fs';

export type RunQueueWait = Map<number, number>;

/** Each thread's schedstat of `pid` now: [ns on CPU, ns waiting on a runqueue]; null when unreadable. */
function readSchedstat(pid: number): Map<number, [number, number]> | null {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const out = new Map<number, [number, number]>();
  for (const t of tids) {
    try {
      const [ran, wait] = readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      if (Number.isFinite(ran) && Number.isFinite(wait)) out.set(Number(t), [ran!, wait!]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out.size ? out : null;
}

/** Per-thread runqueue wait (ns) of `pid` now, or null when it cannot be read. */
export function readRunQueueWait(pid: number): RunQueueWait | null {
  const s = readSchedstat(pid);
  return s && new Map([...s].map(([tid, [, wait]]) => [tid, wait]));
}

/** CPU time (ns) all of `pid`'s threads have run so far (schedstat's first field), or null when unreadable. */
export function readCpuTimeNs(pid: number): number | null {
  const s = readSchedstat(pid);
  return s && [...s.values()].reduce((sum, [ran]) => sum + ran, 0);
}

/** The longest any one thread waited for a CPU between two readings (ms); threads in both only. */
export function waitedMs(before: RunQueueWait | null, after: RunQueueWait | null): number | null {
  return worstWait(before, after)?.ms ?? null;
}

/** waitedMs with the thread that waited: its id and, when still readable, its name (comm). */
export function worstWait(before: RunQueueWait | null, after: RunQueueWait | null, pid?: number): { ms: number; tid: number; name?: string } | null {
  if (!before || !after) return null;
  let worst = { ms: 0, tid: 0 };
  for (const [tid, ns] of after) {
    const was = before.get(tid);
    if (was !== undefined && (ns - was) / 1e6 > worst.ms) worst = { ms: (ns - was) / 1e6, tid };
  }
  if (pid === undefined || worst.tid === 0) return worst;
  try {
    return { ...worst, name: readFileSync(`/proc/${pid}/task/${worst.tid}/comm`, 'utf8').trim() };
  } catch {
    return worst;
  }
}

/** Samples a process's wait at marks; `since()` is the wait from the last mark to now. */
export class CpuWaitMeter {
  private last: RunQueueWait | null;

  constructor(private readonly pid: number, private readonly read: (pid: number) => RunQueueWait | null = readRunQueueWait) {
    this.last = read(pid);
  }

  /** The wait since the previous call (ms), then a new mark; null when unreadable. */
  since(): number | null {
    return this.worstSince()?.ms ?? null;
  }

  /** since() with the thread that waited (see worstWait), for the evidence. */
  worstSince(): { ms: number; tid: number; name?: string } | null {
    const now = this.read(this.pid);
    const w = worstWait(this.last, now, this.pid);
    this.last = now;
    return w;
  }
}
