/**
 * Verdicts of nwgroup.peers from an Exchange (pure; unit-tested with a fake driver). Three
 * checks, each naming the fault as the field reports it:
 * - every group reaches `ready` (an NW group can sit in `waiting` forever, e.g. no usable
 *   interface, or fail with an error);
 * - an NW send that the framework completed also reached the BSD witness on that interface
 *   (completions without transmission: local network privacy, Apple TN3179, or the group's
 *   interface);
 * - delivery by direction NW→BSD, BSD→NW, NW→NW, BSD→BSD after the warm-up, so "receive works,
 *   send does not" reads as such.
 */
import { check, type Check, type Evidence, type TimelineEvent } from '../../../harness/model/check.ts';
import type { Exchange, PeerRecord } from './exchange.ts';
import type { PeerKind } from './peer.ts';

export interface Expectations {
  warmup: number;
  maxLossPercent: number;
}

const KIND_LABEL: Record<PeerKind, string> = { nw: 'NW', bsd: 'BSD' };
const heard = (x: Exchange, from: string, to: string, warmup: number): number =>
  new Set(
    x.receptions.filter((r) => r.from === from && r.to === to && r.seq >= warmup && r.seq < x.rounds).map((r) => r.seq),
  ).size;
const sentBy = (p: PeerRecord, warmup: number, status: 'complete' | 'failed'): number =>
  p.sends.filter((s) => s.seq >= warmup && s.status === status).length;
/** The state a peer was in when it settled: the last before our own close cancelled it. */
const lastState = (p: PeerRecord): string => {
  const s = p.states.filter((e) => e.state !== 'cancelled').at(-1) ?? p.states.at(-1);
  return s ? `${s.state}${s.error ? ` (${s.error})` : ''}` : 'no state';
};

export function stateTimeline(x: Exchange): Evidence {
  const events: TimelineEvent[] = [];
  for (const p of [x.witness, ...x.peers])
    for (const s of p.states) events.push({ t: s.tMs, source: p.id, event: s.state, detail: s.error });
  events.sort((a, b) => a.t - b.t);
  return { kind: 'timeline', title: 'group state (setup → waiting → ready / failed)', events };
}

export function judgeReady(x: Exchange, readyTimeoutMs: number): Check {
  const name = 'every group reaches ready';
  const bad = [x.witness, ...x.peers].filter((p) => p.settled !== 'ready');
  const ev = [stateTimeline(x)];
  const total = x.peers.length + 1;
  if (bad.length === 0)
    return check.pass(
      name,
      `${total}/${total} peers ready (the BSD witness and ${x.peers.length} peers on ${x.witnessIface})`,
      ev,
    );
  const what = bad.map((p) =>
    p.settled === 'waiting' || p.settled === 'setup'
      ? `${p.id} still ${lastState(p)} after ${readyTimeoutMs} ms`
      : `${p.id} ${lastState(p)}`,
  );
  const nwWaiting = bad.some((p) => p.kind === 'nw' && (p.settled === 'waiting' || p.settled === 'setup'));
  const hint = nwWaiting
    ? ': an NWConnectionGroup waits while it has no usable path (no interface, or local network access not granted)'
    : '';
  return check.fail(name, `${bad.length}/${total} groups never became ready: ${what.join('; ')}${hint}`, ev);
}

export function judgeNwSendsTransmit(x: Exchange, e: Expectations): Check {
  const name = 'NW send completions reach the witness';
  const nw = x.peers.filter((p) => p.kind === 'nw' && p.settled === 'ready');
  if (nw.length === 0) return check.skip(name, 'no NW peer became ready to send (see "every group reaches ready")');
  const rows = nw.map((p) => {
    const complete = sentBy(p, e.warmup, 'complete');
    const failed = sentBy(p, e.warmup, 'failed');
    const witness = heard(x, p.id, x.witness.id, e.warmup);
    const errors = [...new Set(p.sends.filter((s) => s.status === 'failed' && s.error).map((s) => s.error!))];
    return { p, complete, failed, witness, errors };
  });
  const evidence: Evidence[] = [
    {
      kind: 'matrix',
      title: `NW sends after the warm-up: completion vs the BSD witness on ${x.witnessIface}`,
      rowLabel: 'NW peer',
      colLabel: '',
      rows: rows.map((r) => r.p.id),
      cols: ['completed', 'failed', 'witness saw'],
      cells: rows.map((r) => [String(r.complete), String(r.failed), String(r.witness)]),
      mismatches: rows.flatMap(
        (r, i): Array<[number, number]> => [
          ...(r.failed > 0 ? [[i, 1] as [number, number]] : []),
          ...(r.witness < r.complete ? [[i, 2] as [number, number]] : []),
        ],
      ),
    },
  ];
  const silent = rows.filter((r) => r.complete > 0 && r.witness === 0);
  const failing = rows.filter((r) => r.failed > 0);
  const lossy = rows.filter(
    (r) => r.complete > 0 && r.witness > 0 && ((r.complete - r.witness) / r.complete) * 100 > e.maxLossPercent,
  );
  const faults: string[] = [];
  for (const r of silent)
    faults.push(
      `${r.p.id}: NW reported ${r.complete} sends complete; the BSD witness on ${x.witnessIface} saw 0: the group sends nothing (local network privacy, or the group's interface)`,
    );
  for (const r of failing)
    faults.push(`${r.p.id}: ${r.failed} sends failed (${r.errors.join(', ') || 'no error given'})`);
  for (const r of lossy) faults.push(`${r.p.id}: the witness saw ${r.witness} of ${r.complete} completed sends`);
  const badPeers = new Set([...silent, ...failing, ...lossy].map((r) => r.p.id)).size;
  if (badPeers === 0)
    return check.pass(
      name,
      `${nw.length}/${nw.length} NW peers: every completed send reached the BSD witness on ${x.witnessIface}`,
      evidence,
    );
  return check.fail(name, `${badPeers}/${nw.length} NW peers failed: ${faults.join('; ')}`, evidence);
}

export function judgeDirections(x: Exchange, e: Expectations): Check {
  const name = 'delivery by direction';
  const counted = Math.max(0, x.rounds - e.warmup);
  const ready = x.peers.filter((p) => p.settled === 'ready');
  const kinds: PeerKind[] = ['nw', 'bsd'];
  const cell = (from: PeerKind, to: PeerKind): { expected: number; got: number } | undefined => {
    const senders = x.peers.filter((p) => p.kind === from);
    const receivers = x.peers.filter((p) => p.kind === to);
    let expected = 0;
    let got = 0;
    for (const s of senders)
      for (const r of receivers) {
        if (s.id === r.id) continue;
        expected += counted;
        // A peer that never became ready neither sent nor could hear: its pairs count as lost.
        if (ready.includes(s) && ready.includes(r)) got += heard(x, s.id, r.id, e.warmup);
      }
    return expected === 0 ? undefined : { expected, got };
  };
  const grid = kinds.map((from) => kinds.map((to) => cell(from, to)));
  const lossOf = (c: { expected: number; got: number }): number => ((c.expected - c.got) / c.expected) * 100;
  const dir = (from: PeerKind, to: PeerKind): string => `${KIND_LABEL[from]}→${KIND_LABEL[to]}`;
  const evidence: Evidence[] = [
    {
      kind: 'matrix',
      title: `datagrams heard after the warm-up (${counted} rounds), by direction`,
      rowLabel: 'sender',
      colLabel: 'receiver',
      rows: kinds.map((k) => KIND_LABEL[k]),
      cols: kinds.map((k) => KIND_LABEL[k]),
      cells: grid.map((r) => r.map((c) => (c ? `${c.got}/${c.expected}` : '—'))),
      mismatches: grid.flatMap((r, i) =>
        r.flatMap((c, j): Array<[number, number]> => (c && lossOf(c) > e.maxLossPercent ? [[i, j]] : [])),
      ),
      legend: 'received / expected; — no such pair in this profile',
    },
    peerMatrix(x, e.warmup),
  ];
  const bad: string[] = [];
  const good: string[] = [];
  kinds.forEach((from, i) =>
    kinds.forEach((to, j) => {
      const c = grid[i]![j];
      if (!c) return;
      (lossOf(c) > e.maxLossPercent ? bad : good).push(`${dir(from, to)} ${c.got}/${c.expected}`);
    }),
  );
  if (bad.length === 0)
    return check.pass(name, `every direction within ${e.maxLossPercent}% loss: ${good.join(', ')}`, evidence);
  const nwSendsNothing = grid[0]!.every((c) => !c || c.got === 0) && (grid[1]![0]?.got ?? 0) > 0;
  const pattern = nwSendsNothing
    ? ': NW peers receive but nothing they send arrives (receive works, send does not)'
    : '';
  return check.fail(
    name,
    `${bad.join(', ')} over ${e.maxLossPercent}% loss${good.length ? ` (fine: ${good.join(', ')})` : ''}${pattern}`,
    evidence,
  );
}

function peerMatrix(x: Exchange, warmup: number): Evidence {
  const ids = [...x.peers.map((p) => p.id), x.witness.id];
  return {
    kind: 'matrix',
    title: 'per peer: datagrams heard after the warm-up',
    rowLabel: 'sender',
    colLabel: 'receiver',
    rows: x.peers.map((p) => p.id),
    cols: ids,
    cells: x.peers.map((s) => ids.map((r) => (r === s.id ? '·' : String(heard(x, s.id, r, warmup))))),
  };
}
