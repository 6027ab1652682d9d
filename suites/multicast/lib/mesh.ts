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

/**
 * Receptions kept in typed columns, ~18 bytes each instead of an object of ~150 with a BigInt:
 * 32 peers at 100/s for 5 s are ~500,000 receptions, 64 peers × 2,000 rounds ~8 million.
 * Iterating yields a fresh Reception per entry (short-lived, so nothing big stays reachable).
 */
export class ReceptionLog implements Iterable<Reception> {
  private readonly names: string[] = [];
  private readonly nameIndex = new Map<string, number>();
  private from = new Uint16Array(4096);
  private to = new Uint16Array(4096);
  private seg = new Uint16Array(4096);
  private seq = new Int32Array(4096);
  /** ns; NaN when there was no timestamp. */
  private lat = new Float64Array(4096);
  length = 0;

  private id(name: string): number {
    let k = this.nameIndex.get(name);
    if (k === undefined) {
      k = this.names.length;
      if (k > 0xffff) throw new RangeError('more than 65,536 distinct peer or segment names');
      this.names.push(name);
      this.nameIndex.set(name, k);
    }
    return k;
  }

  private grow(): void {
    const n = this.from.length * 2;
    const more = <T extends Uint16Array | Int32Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.from = more(this.from, (k) => new Uint16Array(k));
    this.to = more(this.to, (k) => new Uint16Array(k));
    this.seg = more(this.seg, (k) => new Uint16Array(k));
    this.seq = more(this.seq, (k) => new Int32Array(k));
    this.lat = more(this.lat, (k) => new Float64Array(k));
  }

  push(r: Reception): void {
    if (this.length === this.from.length) this.grow();
    const i = this.length++;
    this.from[i] = this.id(r.from);
    this.to[i] = this.id(r.to);
    this.seg[i] = this.id(r.segment);
    this.seq[i] = r.seq;
    this.lat[i] = r.latencyNs === undefined ? NaN : Number(r.latencyNs);
  }

  *[Symbol.iterator](): Iterator<Reception> {
    for (let i = 0; i < this.length; i++) {
      const ns = this.lat[i]!;
      yield {
        from: this.names[this.from[i]!]!,
        to: this.names[this.to[i]!]!,
        seq: this.seq[i]!,
        segment: this.names[this.seg[i]!]!,
        latencyNs: Number.isNaN(ns) ? undefined : BigInt(Math.round(ns)),
      };
    }
  }

  /** One-way latencies in ms of the receptions `keep` accepts (with a timestamp), without making objects. */
  latenciesMs(keep: (from: string, to: string, seq: number) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.length; i++) {
      const ns = this.lat[i]!;
      if (!Number.isNaN(ns) && keep(this.names[this.from[i]!]!, this.names[this.to[i]!]!, this.seq[i]!))
        out.push(ns / 1e6);
    }
    return out;
  }
}

export function pairStats(
  peers: MeshPeer[],
  rx: Iterable<Reception>,
  rounds: number,
  warmup: number,
  selfToo: boolean,
): PairStat[][] {
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
  return latencySummaryMs(latNs.map((n) => Number(n) / 1e6));
}

/** p50/p95/p99/max of latencies in ms (sorts `ms` in place). */
export function latencySummaryMs(ms: number[]): Record<string, number | null> {
  ms.sort((a, b) => a - b);
  const r = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
  return {
    samples: ms.length,
    p50: r(percentile(ms, 0.5)),
    p95: r(percentile(ms, 0.95)),
    p99: r(percentile(ms, 0.99)),
    max: r(ms.length ? ms[ms.length - 1]! : null),
  };
}
