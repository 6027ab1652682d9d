/**
 * keepalive.honoured with your own client (`strategy: sut`): its dead-peer detection read from the
 * wire on its own link, not from its word. After the blackhole nothing reaches it, so what leaves
 * it is its kernel's keepalive (tcp(7)): the first probe TCP_KEEPIDLE after the last segment it
 * received, then one every TCP_KEEPINTVL, and after TCP_KEEPCNT unanswered probes the kernel drops
 * the connection — Linux resets it (an RST, tcp_keepalive_timer in net/ipv4/tcp_timer.c), which
 * is the moment measured. Pure.
 */
import { keepaliveProbes, type Segment } from '../../lib/net/tcp-segments.ts';
import type { KeepaliveParam } from '../../lib/tunnel/params.ts';

export interface WireDetection {
  /** The last segment the client received before the blackhole (scenario ms). */
  lastRxMs?: number;
  /** Its keepalive probes after it, in ms since lastRxMs. */
  probesMs: number[];
  /** Its RST (or FIN) after lastRxMs, in ms since it. */
  endMs?: number;
  endHow?: 'RST' | 'FIN';
}

export function readDetection(
  segs: readonly Segment[],
  client: string,
  gateway: string,
  blackholedAt: number,
): WireDetection {
  const lastRx = segs.filter((s) => s.src === gateway && s.dst === client && s.t <= blackholedAt).at(-1)?.t;
  if (lastRx === undefined) return { probesMs: [] };
  const probesMs = keepaliveProbes(segs)
    .filter((p) => p.from === client && p.t > lastRx)
    .map((p) => p.t - lastRx);
  const end = segs.find((s) => s.src === client && s.t > lastRx && (s.flags.includes('R') || s.flags.includes('F')));
  return {
    lastRxMs: lastRx,
    probesMs,
    ...(end ? { endMs: end.t - lastRx, endHow: end.flags.includes('R') ? 'RST' : 'FIN' } : {}),
  };
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** What the probes show of the timers the client's kernel used, naming the one that differs ('' when they match). */
export function probeHint(d: WireDetection, ka: KeepaliveParam, toleranceMs: number, waitedMs: number): string {
  const seen = d.probesMs.length
    ? `its probes left at ${d.probesMs.map(s).join(', ')} after the last segment it received`
    : '';
  if (!d.probesMs.length)
    return (
      `: no keepalive probe left the client within ${s(waitedMs)} of the last segment it received: ` +
      `SO_KEEPALIVE is off, or TCP_KEEPIDLE is longer than ${ka.idleSec} s`
    );
  const first = d.probesMs[0]!;
  if (Math.abs(first - ka.idleSec * 1000) > toleranceMs)
    return `: ${seen}; the first after ${s(first)}, not TCP_KEEPIDLE ${ka.idleSec} s`;
  const gaps = d.probesMs.slice(1).map((p, i) => p - d.probesMs[i]!);
  const offGap = gaps.find((g) => Math.abs(g - ka.intervalSec * 1000) > toleranceMs);
  if (offGap !== undefined) return `: ${seen}; ${s(offGap)} apart, not TCP_KEEPINTVL ${ka.intervalSec} s`;
  if (d.endMs === undefined && d.probesMs.length === 1 && waitedMs - first > ka.intervalSec * 1000 + toleranceMs) {
    return `: ${seen}; no second probe ${ka.intervalSec} s later (TCP_KEEPINTVL is not ${ka.intervalSec} s)`;
  }
  const before = d.endMs === undefined ? d.probesMs.length : d.probesMs.filter((p) => p < d.endMs!).length;
  if (d.endMs !== undefined && before !== ka.count)
    return `: ${seen}; it gave up after ${before} unanswered, not TCP_KEEPCNT ${ka.count}`;
  if (d.endMs === undefined && before > ka.count)
    return `: ${seen}; ${before} unanswered and still not given up, more than TCP_KEEPCNT ${ka.count}`;
  return '';
}
