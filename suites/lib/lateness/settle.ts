/**
 * Waiting for a process to go quiet before it is timed. A client that has just connected may
 * still be busy for a while (a TypeScript tool compiling the modules it loads on first use, a
 * JIT warming up); on a busy machine that CPU-bound stretch waits for a CPU as long as it runs
 * (one busy loop per core halves its share), so a window timed from its first handshake would
 * measure its start-up, not its behaviour. Quiet = at most `maxCpuShare` of one CPU over the
 * last `quietMs` (Linux schedstat, ./cpu-wait.ts); never longer than `maxMs`, after which the
 * caller goes on and its CPU-wait measurements still decide. null where the CPU time cannot be
 * read (macOS: no schedstat): then nothing is waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readCpuTimeNs } from './cpu-wait.ts';

export interface SettleOptions {
  signal: AbortSignal;
  /** The window that must be quiet. */
  quietMs?: number;
  /** CPU used in that window, as a share of one CPU, that still counts as quiet. */
  maxCpuShare?: number;
  /** Give up after this long. */
  maxMs?: number;
  /** Clock (ms) and CPU reader, for tests. */
  now?: () => number;
  read?: (pid: number) => number | null;
  stepMs?: number;
}

export interface Settled {
  /** false: still busy at maxMs. */
  quiet: boolean;
  afterMs: number;
  /** CPU it used while we waited (ms). */
  cpuMs: number;
}

export async function untilQuiet(pid: number, o: SettleOptions): Promise<Settled | null> {
  const { quietMs = 60, maxCpuShare = 0.1, maxMs = 3000, now = () => performance.now(), read = readCpuTimeNs, stepMs = 10 } = o;
  const t0 = now();
  const first = read(pid);
  if (first === null) return null;
  // (time, cpu ns) samples over the last quietMs, oldest first.
  const window: Array<[number, number]> = [[t0, first]];
  for (;;) {
    await sleep(stepMs, undefined, { signal: o.signal });
    const t = now();
    const cpu = read(pid);
    if (cpu === null) return null; // it exited: the caller sees that on its own
    window.push([t, cpu]);
    while (window.length > 2 && t - window[1]![0] >= quietMs) window.shift();
    const [t1, c1] = window[0]!;
    if (t - t1 >= quietMs && (cpu - c1) / 1e6 <= maxCpuShare * (t - t1)) return { quiet: true, afterMs: t - t0, cpuMs: (cpu - first) / 1e6 };
    if (t - t0 >= maxMs) return { quiet: false, afterMs: t - t0, cpuMs: (cpu - first) / 1e6 };
  }
}
