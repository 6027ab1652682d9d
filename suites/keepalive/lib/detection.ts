/** keepalive.honoured's arithmetic and verdict text (pure). */
import type { KeepaliveParam } from '../../lib/tunnel/params.ts';

/** tcp(7): first probe after TCP_KEEPIDLE, then TCP_KEEPCNT probes TCP_KEEPINTVL apart; dropped at idle + interval × count. */
export function expectedDeadPeerMs(ka: KeepaliveParam): number {
  return (ka.idleSec + ka.intervalSec * ka.count) * 1000;
}

export interface DetectionInput {
  keepalive: KeepaliveParam;
  /** What getTcpKeepalive read back (kernel-keepalive), or {idleSec} only (node-keepalive). */
  applied: Record<string, number>;
  strategy: string;
  /** From the last received segment to the socket's error; undefined = never reported. */
  measuredMs: number | undefined;
  code: string | undefined;
  toleranceMs: number;
  waitedMs: number;
  /** How the dead peer showed, when not the client's own report (the wire: "RST after 2 unanswered probes, on the wire"). */
  reported?: string;
  /** What names the fault, when the caller knows better than the applied values (the probes on the wire). */
  hint?: string;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function judgeDetection(d: DetectionInput): { ok: boolean; reason: string } {
  const ka = d.keepalive;
  const expected = expectedDeadPeerMs(ka);
  const formula = `idle ${ka.idleSec} s + ${ka.intervalSec} s × ${ka.count} = ${s(expected)}`;
  const notApplied = (['idleSec', 'intervalSec', 'count'] as const).filter(
    (k) => d.applied[k] !== undefined && d.applied[k] !== ka[k],
  );
  const held = notApplied.length
    ? ` (the kernel holds ${notApplied.map((k) => `${k}=${d.applied[k]}`).join(', ')})`
    : '';
  const hint =
    d.hint !== undefined
      ? d.hint
      : d.strategy === 'node-keepalive'
        ? `: Node's setKeepAlive takes only the idle time; the probe interval and count are libuv's, not the ones asked for${held}`
        : notApplied.length
          ? `: the settings were not applied${held}`
          : '';
  if (d.measuredMs === undefined) {
    return {
      ok: false,
      reason: `the client's socket did not report the dead peer within ${s(d.waitedMs)} of the blackhole (expected ${formula})${hint}`,
    };
  }
  const err = d.measuredMs - expected;
  const what = `${d.reported ?? `dead peer reported (${d.code ?? 'error'})`} ${s(d.measuredMs)} after the last segment; expected ${formula}, error ${err >= 0 ? '+' : ''}${Math.round(err)} ms`;
  if (Math.abs(err) <= d.toleranceMs && d.code === 'ETIMEDOUT')
    return { ok: true, reason: `${what} (tolerance ±${d.toleranceMs} ms)` };
  if (d.code !== 'ETIMEDOUT')
    return {
      ok: false,
      reason: `${what}, but with ${d.code ?? 'an unknown error'} rather than ETIMEDOUT: not keepalive's verdict${hint}`,
    };
  return { ok: false, reason: `${what}: outside ±${d.toleranceMs} ms${hint}` };
}
