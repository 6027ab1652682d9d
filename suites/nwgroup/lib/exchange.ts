/**
 * The measured part of nwgroup.peers: open the peers and the BSD witness, wait for each group
 * to settle, let every ready peer send `rounds` probes to the group, collect who heard what.
 * Everything judged later comes out of here as plain data (Exchange).
 */
import { decodeProbe, encodeProbe, newRunTag } from '../../lib/net/probe.ts';
import { sleep } from '../../lib/net/timing.ts';
import type { GroupPeerProbe, GroupState, PeerFactory, PeerKind, PeerOptions, SendRecord, StateEvent } from './peer.ts';

export const WITNESS = 'witness';

export interface ExchangePlan {
  kinds: PeerKind[];
  opts: PeerOptions;
  rounds: number;
  intervalMs: number;
  settleMs: number;
  readyTimeoutMs: number;
}

export interface Reception {
  from: string;
  to: string;
  seq: number;
}

export interface PeerRecord {
  id: string;
  kind: PeerKind;
  settled: GroupState;
  states: StateEvent[];
  sends: SendRecord[];
}

export interface Exchange {
  peers: PeerRecord[];
  /** The interface the BSD peers and the witness joined on. */
  witnessIface: string;
  witness: PeerRecord;
  receptions: Reception[];
  rounds: number;
}

export async function runExchange(
  factory: PeerFactory,
  plan: ExchangePlan,
  witnessIface: string,
  signal: AbortSignal,
): Promise<Exchange> {
  const started = performance.now();
  const clock = (): number => Math.round(performance.now() - started);
  const run = newRunTag();
  const receptions: Reception[] = [];
  const counters = new Map<PeerKind, number>();
  const opened: GroupPeerProbe[] = [];
  const listen = (p: GroupPeerProbe): void =>
    p.onMessage((data) => {
      const probe = decodeProbe(data);
      if (probe && probe.run === run) receptions.push({ from: probe.row, to: p.id, seq: probe.seq });
    });
  try {
    const witness = factory.open('bsd', WITNESS, plan.opts, clock);
    opened.push(witness);
    listen(witness);
    for (const kind of plan.kinds) {
      const n = (counters.get(kind) ?? 0) + 1;
      counters.set(kind, n);
      const p = factory.open(kind, `${kind}${n}`, plan.opts, clock);
      opened.push(p);
      listen(p);
    }
    const settled = await Promise.all(opened.map((p) => p.settle(plan.readyTimeoutMs, signal)));
    const senders = opened.filter((p, i) => p.id !== WITNESS && settled[i] === 'ready');
    for (let seq = 0; seq < plan.rounds && !signal.aborted; seq++) {
      for (const p of senders) p.send(encodeProbe(run, p.id, seq), seq);
      await sleep(plan.intervalMs, signal);
    }
    await sleep(plan.settleMs, signal);
    // Closed before recording, so each timeline ends with the group's `cancelled`.
    await Promise.all(opened.map((p) => p.close()));
    const record = (p: GroupPeerProbe, i: number): PeerRecord => ({
      id: p.id,
      kind: p.kind,
      settled: settled[i]!,
      states: [...p.states()],
      sends: [...p.sends()],
    });
    const all = opened.map(record);
    return { peers: all.slice(1), witness: all[0]!, witnessIface, receptions: [...receptions], rounds: plan.rounds };
  } finally {
    await Promise.all(opened.map((p) => p.close())); // every close is idempotent
  }
}
