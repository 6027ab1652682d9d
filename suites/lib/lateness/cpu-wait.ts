/**
 * How long a process waited for a CPU while runnable. A SUT that answers late because the
 * machine did not run it is not a SUT fault: the scenario compares this wait over a judged
 * window with its bound. Two readings, the better first:
 *
 * - **its cgroup's CPU pressure**: a lab host's own programs run in a cgroup v2 of their own
 *   (harness/lab/local-network.ts), whose `cpu.pressure` "some ... total=µs" is the time some of
 *   their threads were runnable and not running (Documentation/accounting/psi.rst; where several
 *   of its threads are busy, weighted by how many could have run). The kernel keeps it up to
 *   date at every read, so the window is the window.
 * - **its threads' schedstat** (/proc/PID/task/TID/schedstat, "time on CPU, time waiting on a
 *   runqueue, timeslices" in ns; Documentation/scheduler/sched-stats.rst), the thread that waited
 *   longest. Only where no cgroup of its own can be read (the harness itself, no cgroup v2), for
 *   two reasons it over-counts: a wait is added when it ends (sched_info_arrive), so a wait begun
 *   before a mark lands after it; and since EEVDF's delayed dequeue (Linux 6.12), a sleeping
 *   thread that the load balancer migrates is counted as queued until it next runs — measured
 *   on 6.18 under one busy loop per core: +295 ms for a thread that slept the whole time and ran
 *   30 µs after its wake-up (ftrace sched_switch/sched_migrate_task). Over-counting turns a
 *   verdict into an `error`, never into a pass.
 *
 * null where neither can be read (macOS).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** A wait over a window, and what it was read from (for the evidence). */
export interface CpuWait {
  ms: number;
  /** "its programs' cgroup nc-ab12-client (CPU pressure)", "its thread 'node' 1234 (main)". */
  source: string;
}

/** The "some" line's total (µs) of a PSI file's text (Documentation/accounting/psi.rst), or null. */
export function psiSomeTotalUs(text: string | null): number | null {
  const m = text ? /^some .*total=(\d+)/m.exec(text) : null;
  return m ? Number(m[1]) : null;
}

const readText = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null; // gone, or PSI is off (psi=0: the file is missing or reads EOPNOTSUPP)
  }
};

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
    const [ran, wait] = (readText(`/proc/${pid}/task/${t}/schedstat`) ?? '').trim().split(/\s+/).map(Number);
    if (Number.isFinite(ran) && Number.isFinite(wait)) out.set(Number(t), [ran!, wait!]);
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

/** The thread that waited longest between two readings (ms); threads in both only; its name (comm) when `pid` is given and it is still readable. */
export function worstWait(
  before: RunQueueWait | null,
  after: RunQueueWait | null,
  pid?: number,
): { ms: number; tid: number; name?: string } | null {
  if (!before || !after) return null;
  let worst = { ms: 0, tid: 0 };
  for (const [tid, ns] of after) {
    const was = before.get(tid);
    if (was !== undefined && (ns - was) / 1e6 > worst.ms) worst = { ms: (ns - was) / 1e6, tid };
  }
  if (pid === undefined || worst.tid === 0) return worst;
  const name = readText(`/proc/${pid}/task/${worst.tid}/comm`)?.trim();
  return name ? { ...worst, name } : worst;
}

/** What a meter reads: a mark now, and the wait between two marks. */
interface WaitSource<T> {
  read(): T | null;
  between(before: T | null, after: T | null): CpuWait | null;
}

/** A cgroup's CPU pressure "some" total now (µs), or null where it cannot be read (no such cgroup, PSI off). */
export function readCgroupCpuPressureUs(dir: string): number | null {
  return psiSomeTotalUs(readText(join(dir, 'cpu.pressure')));
}

function cgroupSource(dir: string): WaitSource<number> {
  const source = `programs' cgroup ${basename(dir)} (CPU pressure)`;
  return {
    read: () => readCgroupCpuPressureUs(dir),
    between: (a, b) => (a === null || b === null ? null : { ms: Math.max(0, b - a) / 1000, source }),
  };
}

function threadSource(pid: number, read: (pid: number) => RunQueueWait | null): WaitSource<RunQueueWait> {
  return {
    read: () => read(pid),
    between: (a, b) => {
      const w = worstWait(a, b, pid);
      return (
        w && { ms: w.ms, source: `thread ${w.name ? `'${w.name}' ` : ''}${w.tid}${w.tid === pid ? ' (main)' : ''}` }
      );
    },
  };
}

/** Samples a process's wait at marks; `since()` is the wait from the last mark to now. */
export class CpuWaitMeter {
  private readonly src: WaitSource<unknown>;
  private last: unknown;

  /**
   * `cgroup`: the cgroup v2 directory the process was started in (ManagedProcess.cgroup), read
   * when its cpu.pressure is; otherwise the process's threads. `read`: schedstat, for tests.
   */
  constructor(pid: number, o: { cgroup?: string | undefined; read?: (pid: number) => RunQueueWait | null } = {}) {
    const byCgroup = o.cgroup !== undefined ? cgroupSource(o.cgroup) : undefined;
    this.src = (
      byCgroup?.read() != null ? byCgroup : threadSource(pid, o.read ?? readRunQueueWait)
    ) as WaitSource<unknown>;
    this.last = this.src.read();
  }

  /** The process's meter, by its cgroup when it has one of its own. */
  static of(p: { pid: number; cgroup?: string | undefined }): CpuWaitMeter {
    return new CpuWaitMeter(p.pid, { cgroup: p.cgroup });
  }

  /** The wait since the previous call (or the meter's start), then a new mark; null when unreadable. */
  since(): CpuWait | null {
    const now = this.src.read();
    const w = this.src.between(this.last, now);
    this.last = now;
    return w;
  }
}
