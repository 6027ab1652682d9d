/**
 * The two halves of multicast.asymmetry for one group.
 * Receive: peers on every segment send to the group (each with its own interface chosen); the
 * multi-homed host's one receiver, joined per interface, must see each on that interface.
 * Send: the multi-homed host sends with no interface chosen, then once per chosen interface;
 * a listener joined on every segment (and on the host itself, for loopback) records arrivals.
 * In host mode the peers are the agents named in `with.peers` (`remote`); without them the
 * receive half cannot run and the send half sees only the kernel's loopback copies (egress).
 */
import { check, type Check } from '../../../harness/model/check.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { UdpSocket } from '../../../native/types.ts';
import { ArrivalLog } from '../../lib/net/arrivals.ts';
import { arrivalsEvidence, errText } from '../../lib/net/evidence.ts';
import { egressNote, listenPerSegment } from '../../lib/net/listeners.ts';
import { peerBySegment, type PeerSet } from '../../lib/net/peers.ts';
import { applyCells, compareMatrix, expectedRow, type Cells } from '../../lib/net/matrix.ts';
import type { Expect as PhaseExpect } from './asym-params.ts';
import { encodeProbe } from '../../lib/net/probe.ts';
import { assertSafeDestination, type SendFrom } from '../../../harness/net/safety.ts';
import { sleep } from '../../lib/net/timing.ts';
import {
  ifnameOf,
  labEndpoint,
  openSocket,
  peersBySegment,
  routeSegment,
  sendFrom,
  type Endpoint,
  type SegIface,
} from '../../lib/net/topology.ts';
import { explainReceiveRow, explainSendRow } from './explain.ts';

export interface PhaseParams {
  family: 4 | 6;
  group: string;
  port: number;
  count: number;
  /** First datagrams per row that do not count (membership may still be settling). */
  warmup: number;
  intervalMs: number;
  settleMs: number;
  ttl: number;
  loopback: boolean;
  /** Segments the host's receivers join on. */
  joinOn: string[];
  runTag: string;
}

const anyAddr = (f: 4 | 6): string => (f === 4 ? '0.0.0.0' : '::');
const counted = (log: ArrivalLog, p: PhaseParams, row: string, col: string): number =>
  log.at(row, col).filter((a) => a.probe.seq >= p.warmup).length;

/** Sends count+warmup probes for `row` on `sock`; returns the error text if a send failed. */
async function burst(
  sock: UdpSocket,
  p: PhaseParams,
  row: string,
  from: SendFrom,
  signal: AbortSignal,
): Promise<string | undefined> {
  assertSafeDestination(p.group, from);
  try {
    for (let i = 0; i < p.warmup + p.count && !signal.aborted; i++) {
      sock.send(encodeProbe(p.runTag, row, i), p.group, p.port);
      if (p.intervalMs) await sleep(p.intervalMs, signal);
    }
    return undefined;
  } catch (err) {
    return errText(err);
  }
}

/** Who sends to the group from each segment: a lab peer's socket, or a peer agent; undefined = nobody there. */
type SegmentSender = (row: string) => Promise<string | undefined>;

function segmentSenders(
  ctx: ScenarioContext,
  host: Endpoint,
  cols: string[],
  p: PhaseParams,
  signal: AbortSignal,
  remote: PeerSet | undefined,
): Map<string, SegmentSender | undefined> {
  const out = new Map<string, SegmentSender | undefined>();
  if (ctx.lab) {
    const peers = peersBySegment(ctx.lab, cols, host.label);
    for (const c of cols) {
      const peer = peers.get(c);
      out.set(
        c,
        peer &&
          (async (row) => {
            const ep = labEndpoint(peer);
            const tx = openSocket(ctx, ep, { family: p.family });
            tx.setMulticastInterface(peer.iface(c).index);
            tx.setMulticastTTL(Math.max(1, p.ttl));
            tx.setMulticastLoopback(false);
            return burst(tx, p, row, sendFrom(ctx, ep), signal);
          }),
      );
    }
    return out;
  }
  const bySeg = remote ? peerBySegment(remote) : new Map();
  for (const c of cols) {
    const agent = bySeg.get(c);
    out.set(
      c,
      agent &&
        (async (row) => {
          assertSafeDestination(p.group, sendFrom(ctx, host)); // the agent checks again where it sends
          try {
            await agent.send({
              run: p.runTag,
              row,
              family: p.family,
              group: p.group,
              port: p.port,
              count: p.warmup + p.count,
              intervalMs: p.intervalMs,
              ttl: Math.max(1, p.ttl),
              loopback: false,
            });
            return undefined;
          } catch (err) {
            return errText(err);
          }
        }),
    );
  }
  return out;
}

export async function receivePhase(
  ctx: ScenarioContext,
  host: Endpoint,
  segs: SegIface[],
  p: PhaseParams,
  e: PhaseExpect,
  signal: AbortSignal,
  remote?: PeerSet,
): Promise<Check> {
  const name = `receive ${p.group} on every interface`;
  if (!ctx.lab && !remote)
    return check.skip(name, 'receive needs a sender on each segment: in host mode name peer agents in with.peers');
  const cols = segs.map((s) => s.segment);
  const log = new ArrivalLog(p.runTag);
  const rx = openSocket(ctx, host, { family: p.family, reuseAddr: true });
  rx.bind(anyAddr(p.family), p.port);
  for (const s of segs) if (p.joinOn.includes(s.segment)) rx.addMembership(p.group, s.index);
  const bySeg = new Map(segs.map((s) => [s.index, s.segment]));
  log.attach(rx, {
    listener: host.label,
    col: (d) => bySeg.get(d.ifindex) ?? `if#${d.ifindex}`,
    ifname: ifnameOf(host),
    broadcasts: new Set(),
  });
  await sleep(p.settleMs, signal); // let the IGMP/MLD reports reach the bridges
  const peers = segmentSenders(ctx, host, cols, p, signal, remote);
  const errors = new Map<string, string>();
  for (const s of segs) {
    const send = peers.get(s.segment);
    if (!send) continue;
    const err = await send(`from:${s.segment}`);
    if (err) errors.set(`from:${s.segment}`, err);
  }
  await sleep(p.settleMs, signal);
  const rows = cols.map((c) => `from:${c}`);
  const expected = cols.map((c) =>
    e.receive === 'joined'
      ? cols.map((k) => k === c && p.joinOn.includes(c))
      : expectedRow(e.receive, { cols, own: c }),
  );
  const unknown = applyCells(expected, rows, cols, pick(e.cells, rows));
  for (const c of cols) if (!peers.get(c)) expected[cols.indexOf(c)] = cols.map(() => undefined);
  const got = rows.map((r) => cols.map((c) => counted(log, p, r, c) > 0));
  const { evidence, diffs } = compareMatrix({
    title: `receive ${p.group} at ${host.label}: sender segment × arrival interface`,
    rowLabel: 'sent from',
    colLabel: 'arrived on',
    rows,
    cols,
    expected,
    got,
    text: (r, c) => {
      if (!peers.get(cols[r]!)) return 'n/a';
      if (errors.has(rows[r]!)) return `✗ ${errors.get(rows[r]!)}`;
      const a = log.at(rows[r]!, cols[c]!).filter((x) => x.probe.seq >= p.warmup);
      return a.length ? `✓ ${a.length}/${p.count} #${a[0]!.ifindex}` : '—';
    },
    legend: `✓ n/${p.count} #ifindex (after ${p.warmup} warm-up datagram(s)); joined on: ${p.joinOn.join(', ') || 'none'}`,
  });
  const ev = [evidence, arrivalsEvidence('every datagram (arrival interface per datagram)', log.arrivals)];
  const bad = [...new Set(diffs.map((d) => d.row))];
  const reasons = bad.map((row) => {
    const from = row.slice('from:'.length);
    return explainReceiveRow({
      group: p.group,
      from,
      host: host.label,
      joined: p.joinOn.includes(from),
      arrivedOn: cols.filter((c) => counted(log, p, row, c) > 0),
    });
  });
  for (const [row, err] of errors) reasons.push(`peer send ${row} failed: ${err}`);
  if (unknown.length) reasons.push(`expect.cells names ${unknown.join('; ')}`);
  if (reasons.length) return check.fail(name, reasons.join(' | '), ev);
  return check.pass(
    name,
    `each segment's datagrams arrived on its own interface (${cols.filter((c) => p.joinOn.includes(c)).join(', ')} joined)`,
    ev,
  );
}

export async function sendPhase(
  ctx: ScenarioContext,
  host: Endpoint,
  segs: SegIface[],
  p: PhaseParams,
  e: PhaseExpect,
  signal: AbortSignal,
  remote?: PeerSet,
): Promise<Check> {
  const name = `send ${p.group}: no interface chosen vs each interface chosen`;
  const cols = segs.map((s) => s.segment);
  // Host mode without agents observes only loopback copies, so loopback must be on there.
  const withPeers = host.lab || !!remote;
  const loopback = withPeers ? p.loopback : true;
  const heard = await listenPerSegment(
    ctx,
    host,
    segs,
    p.runTag,
    { family: p.family, port: p.port, group: p.group, self: withPeers, joinOn: p.joinOn },
    remote,
  );
  const allCols = withPeers ? [...cols, 'self'] : cols;
  const defaultRoute = await routeSegment(host, p.group);
  await sleep(p.settleMs, signal);
  const rows = ['none', ...cols.map((c) => `if:${c}`)];
  const errors = new Map<string, string>();
  for (const row of rows) {
    if (signal.aborted) break;
    const tx = openSocket(ctx, host, { family: p.family });
    tx.setMulticastTTL(p.ttl);
    tx.setMulticastLoopback(loopback);
    if (row !== 'none') tx.setMulticastInterface(segs.find((s) => `if:${s.segment}` === row)!.index);
    const err = await burst(tx, p, row, sendFrom(ctx, host), signal);
    if (err) errors.set(row, err);
  }
  await sleep(p.settleMs, signal);
  await heard.sync();
  const egress = (row: string): string | undefined => (row === 'none' ? defaultRoute : row.slice(3));
  const selfExpected = (row: string): boolean | undefined => {
    if (e.self !== 'auto') return e.self === 'yes';
    const out = egress(row);
    return out === undefined ? undefined : loopback && p.joinOn.includes(out);
  };
  const expected = rows.map((row) => {
    const own = row === 'none' ? undefined : row.slice(3);
    const segExp =
      p.ttl === 0
        ? cols.map(() => false) // TTL 0: nothing leaves the host (ip(7) IP_MULTICAST_TTL)
        : expectedRow(row === 'none' ? e.unset : e.chosen, { cols, own, defaultRoute });
    return withPeers ? [...segExp, selfExpected(row)] : segExp;
  });
  const unknown = applyCells(expected, rows, allCols, pick(e.cells, rows));
  for (const m of heard.missing) for (const ex of expected) ex[allCols.indexOf(m)] = undefined;
  const got = rows.map((r) => allCols.map((c) => counted(heard.log, p, r, c) > 0));
  const { evidence, diffs } = compareMatrix({
    title: `send ${p.group} from ${host.label}: interface chosen × segment`,
    rowLabel: 'IP_MULTICAST_IF',
    colLabel: 'segment',
    rows,
    cols: allCols,
    expected,
    got,
    text: (r, c) => {
      if (errors.has(rows[r]!)) return `✗ ${errors.get(rows[r]!)!.replace(/^.* with /, '')}`;
      if (heard.missing.includes(allCols[c]!)) return 'n/a';
      const a = heard.log.at(rows[r]!, allCols[c]!).filter((x) => x.probe.seq >= p.warmup);
      return a.length ? `✓ ${a.length}/${p.count} ${a[0]!.ifname}` : '—';
    },
    legend: `none = no interface chosen (default route: ${defaultRoute ?? 'none'}); self = the sender's own receiver (loopback ${loopback ? 'on' : 'off'}); TTL/hops ${p.ttl}; after ${p.warmup} warm-up datagram(s)${egressNote(heard)}`,
  });
  const ev = [evidence, arrivalsEvidence('every datagram (arrival interface per datagram)', heard.log.arrivals)];
  const reasons: string[] = [];
  for (const row of rows) {
    const d = diffs.filter((x) => x.row === row);
    if (!d.length && !errors.has(row)) continue;
    const selfD = d.find((x) => x.col === 'self');
    reasons.push(
      explainSendRow({
        group: p.group,
        chosen: row === 'none' ? undefined : row.slice(3),
        reached: allCols.filter((c) => counted(heard.log, p, row, c) > 0),
        missed: d.filter((x) => x.expected).map((x) => x.col),
        extra: d.filter((x) => !x.expected).map((x) => x.col),
        defaultRoute,
        ttl: p.ttl,
        loopback,
        selfDiff: selfD ? { expected: selfD.expected, got: selfD.got } : undefined,
        sendError: errors.get(row),
      }),
    );
  }
  if (unknown.length) reasons.push(`expect.cells names ${unknown.join('; ')}`);
  if (reasons.length) return check.fail(name, reasons.join(' | '), ev);
  const summary = rows
    .map((r) => `${r} → ${allCols.filter((c) => counted(heard.log, p, r, c) > 0).join('+') || 'nothing'}`)
    .join(', ');
  return check.pass(name, `as expected: ${summary}${egressNote(heard)}`, ev);
}

function pick(cells: Cells, rows: string[]): Cells {
  return Object.fromEntries(Object.entries(cells).filter(([k]) => rows.includes(k)));
}
