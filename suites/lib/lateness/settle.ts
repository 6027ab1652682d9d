/**
 * Waiting for a process to go quiet before it is timed. A client that has just connected may
 * still be busy for a while (a TypeScript tool compiling the modules it loads on first use, a
 * JIT warming up); on a busy machine that CPU-bound stretch waits for a CPU as long as it runs
 * (one busy loop per core halves its share), so a window timed from its first handshake would
 * measure its start-up, not its behaviour.
 *
 * Quiet = over the last `quietMs`, the CPU it used plus the time some of its threads waited for
 * one is at most `maxCpuShare` of the window. The CPU used alone is not enough: a thread that is
 * runnable but starved uses none. Sampled every 5 ms under one busy loop per core, a reference
 * client's V8 worker thread stayed runnable for ~180 ms after its start-up without running once
 * (its cgroup's CPU pressure grew ~5 ms per 5 ms) — "quiet" by its CPU time, and the night's first
 * window then read a 103 ms wait against a 60 ms bound. The wait is its cgroup's CPU pressure
 * (./cpu-wait.ts) where it has a cgroup of its own; elsewhere the CPU used decides alone.
 * Never longer than `maxMs`, after which the caller goes on and its CPU-wait measurements still
 * decide. null where the CPU time cannot be read (macOS: no schedstat): then nothing is waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readCgroupCpuPressureUs, readCpuTimeNs } from './cpu-wait.ts';

export interface SettleOptions {
  signal: AbortSignal;
  /** The window that must be quiet. */
  quietMs?: number;
  /** CPU used and waited for in that window, as a share of one CPU, that still counts as quiet. */
  maxCpuShare?: number;
  /** Give up after this long. */
  maxMs?: number;
  /** Clock (ms), CPU used (ns) and CPU waited for (ns, null: not readable) readers, for tests. */
  now?: () => number;
  read?: (pid: number) => number | null;
  readWait?: () => number | null;
  stepMs?: number;
}

export interface Settled {
  /** false: still busy at maxMs. */
  quiet: boolean;
  afterMs: number;
  /** CPU it used while we waited (ms). */
  cpuMs: number;
  /** How long some of its threads waited for a CPU meanwhile (ms); absent where not readable. */
  waitedMs?: number;
}

/** A cgroup's CPU pressure in ns, or a reader that never reads (no cgroup of its own). */
function cgroupWait(dir: string | undefined): () => number | null {
  if (dir === undefined) return () => null;
  return () => {
    const us = readCgroupCpuPressureUs(dir);
    return us === null ? null : us * 1000;
  };
}

/** `p.cgroup`: the cgroup v2 directory it runs in (ManagedProcess.cgroup), whose CPU pressure is its wait. */
export async function untilQuiet(
  p: { pid: number; cgroup?: string | undefined },
  o: SettleOptions,
): Promise<Settled | null> {
  const {
    quietMs = 60,
    maxCpuShare = 0.1,
    maxMs = 3000,
    now = () => performance.now(),
    read = readCpuTimeNs,
    stepMs = 10,
  } = o;
  const readWait = o.readWait ?? cgroupWait(p.cgroup);
  const t0 = now();
  const first = read(p.pid);
  if (first === null) return null;
  const firstWait = readWait();
  // The wait so far (ns): a reading that fails later (the cgroup went with the process) keeps the last one.
  let wait = firstWait ?? 0;
  // (time, CPU used + CPU waited for, ns) samples over the last quietMs, oldest first.
  const window: Array<[number, number]> = [[t0, first + wait]];
  const settled = (quiet: boolean, t: number, cpu: number): Settled => ({
    quiet,
    afterMs: t - t0,
    cpuMs: (cpu - first) / 1e6,
    ...(firstWait !== null ? { waitedMs: (wait - firstWait) / 1e6 } : {}),
  });
  for (;;) {
    await sleep(stepMs, undefined, { signal: o.signal });
    const t = now();
    const cpu = read(p.pid);
    if (cpu === null) return null; // it exited: the caller sees that on its own
    if (firstWait !== null) wait = readWait() ?? wait;
    window.push([t, cpu + wait]);
    while (window.length > 2 && t - window[1]![0] >= quietMs) window.shift();
    const [t1, busy1] = window[0]!;
    if (t - t1 >= quietMs && (cpu + wait - busy1) / 1e6 <= maxCpuShare * (t - t1)) return settled(true, t, cpu);
    if (t - t0 >= maxMs) return settled(false, t, cpu);
  }
}
