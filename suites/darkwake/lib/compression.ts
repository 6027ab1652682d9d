/**
 * How far darkwake.churn may compress a sleep without changing what the night shows. During
 * a sleep the client is stopped; what can still happen is a dead-peer decision:
 * - the gateway's app-heartbeat DPD drops a session silent for dpdTimeout, checking every
 *   quarter of it (suites/lib/tunnel/gateway.ts), so by 1.25 × dpdTimeout it has decided;
 * - tcp-keepalive DPD (tcp(7)): the first probe goes after TCP_KEEPIDLE of silence, the drop
 *   after TCP_KEEPCNT unanswered probes TCP_KEEPINTVL apart — idle + interval × count. With
 *   the client's kernel awake (kernelAwake: true) the first probe is answered, at idle, and
 *   the rest of the sleep repeats that answer;
 * - the kernel-keepalive client's own keepalive, by the same rule towards the gateway.
 * Past the latest of these, nothing observes the sleep: the reference clients are stopped and
 * detect a resume by a timer gap (its threshold follows the compressed sleep), so the rest of
 * it can go. The horizon adds a margin of a quarter (at least the schedule's error bound) so a
 * late decision still falls inside the sleep. Dark wakes are never compressed. A black-box SUT
 * may time its own sleep, so with strategy `sut` nothing is compressed.
 */
import type { KeepaliveParam } from './params.ts';
import type { SleepCompression } from './schedule.ts';

export interface HorizonInput {
  strategy: string;
  dpd: 'app-heartbeat' | 'tcp-keepalive' | 'none';
  /** Scaled, real ms. */
  dpdTimeoutMs: number;
  gatewayKeepalive: KeepaliveParam;
  clientKeepalive: KeepaliveParam;
  kernelAwake: boolean;
  /** The schedule's error bound (real ms): a sleep may come out this much shorter. */
  scheduleErrorMs: number;
}

const keepaliveMs = (ka: KeepaliveParam, answered: boolean): number =>
  (answered ? ka.idleSec : ka.idleSec + ka.intervalSec * ka.count) * 1000;
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** The compression for this night, or a reason there is none. */
export function sleepHorizon(x: HorizonInput): SleepCompression | { none: string } {
  if (x.strategy === 'sut')
    return {
      none: 'strategy sut: the harness cannot know what your client observes during a sleep, so sleeps keep their scaled length',
    };
  const decisions: Array<{ ms: number; what: string }> = [];
  if (x.dpd === 'app-heartbeat')
    decisions.push({
      ms: x.dpdTimeoutMs * 1.25,
      what: `the gateway's heartbeat DPD decides within ${s(x.dpdTimeoutMs * 1.25)} (timeout ${s(x.dpdTimeoutMs)}, checked every quarter)`,
    });
  else if (x.dpd === 'tcp-keepalive') {
    const ms = keepaliveMs(x.gatewayKeepalive, x.kernelAwake);
    decisions.push({
      ms,
      what: x.kernelAwake
        ? `the gateway's TCP keepalive probe is answered by the awake kernel at ${s(ms)} (idle)`
        : `the gateway's TCP keepalive drops the silent peer at ${s(ms)} (idle + interval × count)`,
    });
  }
  if (x.strategy === 'kernel-keepalive') {
    const ms = keepaliveMs(x.clientKeepalive, x.kernelAwake);
    decisions.push({
      ms,
      what: x.kernelAwake
        ? `the client kernel's keepalive probe is answered at ${s(ms)}`
        : `the client kernel's keepalive gives up at ${s(ms)}`,
    });
  }
  if (!decisions.length) return { none: 'no dead-peer detection to wait for' };
  const last = decisions.reduce((a, b) => (b.ms > a.ms ? b : a));
  const margin = Math.max(x.scheduleErrorMs, last.ms * 0.25);
  return {
    horizonMs: Math.round(last.ms + margin),
    why: `${last.what}; +${Math.round(margin)} ms margin; nothing observes the rest of a sleep`,
  };
}
