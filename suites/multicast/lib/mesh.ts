/**
 * Full-mesh bookkeeping for multicast.group-peers: who must hear whom how often, loss per
 * pair after the warm-up, one-way latency percentiles. Pure; unit-tested.
 */

export interface MeshPeer {
  id: string;
  segments: string[];
}

export interface Reception {
  from: string;
  to: string;
  seq: number;
  /** Segment it arrived on. */
  segment: string;
  latencyNs: bigint | undefined;
}

export interface PairStat {
  expected: number;
  received: number;
  lossPercent: number;
}

/** Datagrams `to` must get from `from`: one per counted round per shared segment (self only with loopback). */
export function expectedCount(from: MeshPeer, to: MeshPeer, countedRounds: number, selfToo: boolean): number {
  if (from.id === to.id && !selfToo) return 0;
  const shared = from.segments.filter((s) => to.segments.includes(s)).length;
  return shared * countedRounds;
}

export function pairStats(peers: MeshPeer[], rx: Reception[], rounds: number, warmup: number, selfToo: boolean): PairStat[][] {
  const counted = Math.max(0, rounds - warmup);
  // One pass over the receptions (32 peers at 100/s for 5 s are ~500,000): distinct
  // seq@segment per receiver←sender pair, so a duplicate never counts twice.
  const byPair = new Map<string, Set<string>>();
  for (const r of rx) {
    if (r.seq < warmup || r.seq >= rounds) continue;
    const key = `${r.to}\u0000${r.from}`;
    let uniq = byPair.get(key);
    if (!uniq) byPair.set(key, (uniq = new Set()));
    uniq.add(`${r.seq}@${r.segment}`);
  }
  return peers.map((to) =>
    peers.map((from) => {
      const expected = expectedCount(from, to, counted, selfToo);
      const received = byPair.get(`${to.id}\u0000${from.id}`)?.size ?? 0;
      const lossPercent = expected === 0 ? 0 : Math.max(0, ((expected - received) / expected) * 100);
      return { expected, received, lossPercent };
    }),
  );
}

export function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function latencySummary(latNs: bigint[]): Record<string, number | null> {
  const ms = latNs.map((n) => Number(n) / 1e6).sort((a, b) => a - b);
  const r = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
  return { samples: ms.length, p50: r(percentile(ms, 0.5)), p95: r(percentile(ms, 0.95)), p99: r(percentile(ms, 0.99)), max: r(ms.length ? ms[ms.length - 1]! : null) };
}
