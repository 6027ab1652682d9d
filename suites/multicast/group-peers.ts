/**
 * multicast.group-peers: N peers join one group and each sends `rounds` datagrams; every peer
 * must receive every other peer's datagrams (full mesh), and its own when loopback is on.
 * Evidence: the N×N delivery matrix (received/expected per pair after the warm-up), loss per
 * pair, one-way latency percentiles from kernel receive timestamps (SO_TIMESTAMPNS) against
 * the sender's wall clock (all lab namespaces share one clock). The BSD-socket twin of
 * NWConnectionGroup semantics; the peer role sits behind a driver (lib/group-driver.ts).
 *
 * Host mode: this host is one member and the peer agents named in `with.peers` are the others
 * (each joins and sends on its interface facing this host, and reports what it heard); their
 * latency is against their own clock, so it is only as good as the machines' clock sync.
 * Without agents the members are `count` sockets on this host: the matrix then shows the
 * kernel's loopback delivery between local sockets, not a network (the reason says so).
 *
 * The peers send and receive in this process, so its lateness is measured over the rounds
 * (suites/lib/lateness): how long its thread waited for a CPU (a send stamped and then
 * preempted looks slow), and its event loop's stalls (a receive queue left unread). The rounds
 * run at a raised priority; past a quarter of maxP99Ms, or a stall longer than settleMs, a
 * failed check is an error naming it, not a verdict on delivery.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type DistributionEvidence, type Evidence, type NumbersEvidence } from '../../harness/model/check.ts';
import { defineScenario, type ScenarioContext } from '../../harness/model/scenario.ts';
import { compareMatrix } from '../lib/net/matrix.ts';
import { decodeProbe, encodeProbe, newRunTag } from '../lib/net/probe.ts';
import { assertSafeDestination } from '../../harness/net/safety.ts';
import { sleep } from '../lib/net/timing.ts';
import { labEndpoint, localEndpoint, sendFrom, type Endpoint, type SegIface } from '../lib/net/topology.ts';
import { errText } from '../lib/net/evidence.ts';
import { connectPeers, PeerPort, Peers, type RemotePeer } from '../lib/net/peers.ts';
import { Group, Segments } from '../lib/net/params.ts';
import { Described, Enum } from '../lib/params.ts';
import { drivers, type GroupPeer } from './lib/group-driver.ts';
import { CpuWaitMeter } from '../lib/lateness/cpu-wait.ts';
import { latenessBound, LatenessMonitor } from '../lib/lateness/monitor.ts';
import { raisePriority } from '../../harness/process/priority.ts';
import { latencySummaryMs, pairStats, ReceptionLog, type MeshPeer, type Reception } from './lib/mesh.ts';

const With = Type.Object(
  {
    driver: Enum(['bsd'], {
      default: 'bsd',
      description: 'peer implementation: bsd = BSD sockets (default; NWConnectionGroup on macOS later)',
    }),
    count: Type.Integer({
      minimum: 2,
      maximum: 64,
      default: 3,
      description:
        'number of peers (default 3, at most 64: all send and receive in the harness process, 64 peers are 4,032 receptions a round): in a lab the first hosts on the segments; in host mode this host and up to count − 1 agents, or count sockets on this host without agents',
    }),
    segments: Type.Optional(
      Segments('lab segments the peers are on (default: the first); host mode: one interface name', { minItems: 1 }),
    ),
    group: Described(Group, {
      default: '239.255.0.2',
      description: 'the group every peer joins and sends to (default 239.255.0.2)',
      examples: ['239.255.0.2', 'ff05::115'],
    }),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47830,
      description: 'UDP port of the group (default 47830)',
    }),
    rounds: Type.Integer({
      minimum: 1,
      maximum: 2000,
      default: 20,
      description: 'datagrams each peer sends, one per round (default 20)',
    }),
    warmup: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 2,
      description: 'first rounds not counted as loss, while memberships settle (default 2)',
    }),
    intervalMs: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 10,
      description: 'pause between two rounds, in ms (default 10)',
    }),
    settleMs: Type.Integer({
      minimum: 50,
      maximum: 5000,
      default: 300,
      description:
        'wait after joining and after the last round, in ms (default 300); a longer event-loop stall makes a loss verdict an error',
    }),
    loopback: Type.Boolean({
      default: false,
      description:
        'each peer also receives its own datagrams (default off; forced on in host mode, where peers share this host)',
    }),
    ttl: Type.Integer({
      minimum: 1,
      maximum: 255,
      default: 1,
      description: 'IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS of every send (default 1: the segment only)',
    }),
    peers: Type.Optional(Peers),
    peerPort: PeerPort,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    maxLossPercent: Type.Number({
      minimum: 0,
      maximum: 100,
      default: 0,
      description: 'most loss allowed per pair, in percent of the rounds after the warm-up (default 0)',
    }),
    maxP99Ms: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description: 'bound on the one-way latency p99 per pair, in ms (default: not checked)',
      }),
    ),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

interface Member {
  id: string;
  ep: Endpoint;
  ifaces: SegIface[];
}

/** The local member first, then one per agent standing on one of its segments (at most count in all). */
async function hostMembers(
  ctx: ScenarioContext,
  p: With,
  signal: AbortSignal,
): Promise<{ list: Member[]; agents: RemotePeer[]; problem?: string }> {
  const ep = localEndpoint();
  const set = await connectPeers(ctx, ep, p.peers!, p.peerPort, signal);
  if (set.problems.length) return { list: [], agents: [], problem: `with.peers: ${set.problems.join('; ')}` };
  const all = ep.ifaces();
  const wanted = p.segments?.length ? p.segments : [...new Set(set.peers.map((a) => a.iface.segment))];
  const bad = wanted.filter((w) => !all.some((i) => i.segment === w));
  if (bad.length)
    return { list: [], agents: [], problem: `with.segments names ${bad.join(', ')}, not an interface of this host` };
  const agents = set.peers.filter((a) => wanted.includes(a.iface.segment)).slice(0, p.count - 1);
  return { list: [{ id: 'this host', ep, ifaces: all.filter((i) => wanted.includes(i.segment)) }], agents };
}

function members(ctx: ScenarioContext, p: With): { list: Member[]; problem?: string } {
  if (!ctx.lab) {
    const ep = localEndpoint();
    const want = p.segments?.[0];
    const iface = ep.ifaces().find((i) => (want ? i.name === want : i.ipv4));
    if (!iface)
      return {
        list: [],
        problem: want ? `no interface ${want} on this host` : 'no multicast-capable interface with IPv4 on this host',
      };
    return { list: Array.from({ length: p.count }, (_, k) => ({ id: `peer${k + 1}`, ep, ifaces: [iface] })) };
  }
  const segs = p.segments?.length ? p.segments : [ctx.lab.segments[0]!.name];
  const bad = segs.filter((s) => !ctx.lab!.segments.some((x) => x.name === s));
  if (bad.length) return { list: [], problem: `with.segments names ${bad.join(', ')}, not a lab segment` };
  const hosts = ctx.lab.hosts.filter((h) => h.interfaces().some((i) => segs.includes(i.segment))).slice(0, p.count);
  const list = hosts.map((h) => {
    const ep = labEndpoint(h);
    return { id: h.name, ep, ifaces: ep.ifaces().filter((i) => segs.includes(i.segment)) };
  });
  return { list };
}

const LOCAL_ONLY =
  "; host mode without peer agents: every peer is a socket on this host, so this is the kernel's loopback delivery, not the network — name agents in with.peers";

export default defineScenario<With, Expect>({
  id: 'multicast.group-peers',
  summary: 'N group peers: every peer receives every other peer (full mesh), loss after warm-up, one-way latency',
  platforms: ['linux', 'darwin'],
  requires: ['addon'],
  sendsOnHostNetwork: true,
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 30_000,
  timingJudged: true,
  async run(ctx, { with: p, expect: e }, signal) {
    const driver = drivers[p.driver]!;
    const why = driver.unavailable();
    if (why) return [check.skip('group peers', `driver ${p.driver}: ${why}`)];
    const withAgents = !ctx.lab && !!p.peers?.length;
    const { list, agents, problem } = withAgents
      ? await hostMembers(ctx, p, signal)
      : { ...members(ctx, p), agents: [] as RemotePeer[] };
    if (problem) return [check.error('group peers', problem)];
    if (list.length + agents.length < 2)
      return [
        check.error(
          'group peers',
          `need at least 2 peers on ${p.segments?.join(', ') ?? 'the segment'}, found ${list.length + agents.length}`,
        ),
      ];
    // Local sockets on one host only hear each other through the kernel's loopback.
    const localOnly = !ctx.lab && !withAgents;
    const loopback = localOnly ? true : p.loopback;
    const family: 4 | 6 = p.group.includes(':') ? 6 : 4;
    for (const m of list) assertSafeDestination(p.group, sendFrom(ctx, m.ep));
    const runTag = newRunTag();
    const rx = new ReceptionLog();
    const peers: GroupPeer[] = [];
    for (const m of list) {
      const peer = driver.open(ctx, {
        id: m.id,
        endpoint: m.ep,
        ifaces: m.ifaces,
        family,
        group: p.group,
        port: p.port,
        loopback,
        ttl: p.ttl,
      });
      const segOf = new Map(m.ifaces.map((i) => [i.index, i.segment]));
      peer.onMessage((msg) => {
        const probe = decodeProbe(msg.data);
        if (!probe || probe.run !== runTag) return;
        rx.push({
          from: probe.row,
          to: m.id,
          seq: probe.seq,
          segment: segOf.get(msg.ifindex) ?? `if#${msg.ifindex}`,
          latencyNs: msg.rxNs > 0n ? msg.rxNs - BigInt(probe.sentNs) : undefined,
        });
      });
      peers.push(peer);
    }
    for (const a of agents) await a.listen(runTag, family, p.port, p.group);
    await sleep(p.settleMs, signal); // IGMP/MLD reports reach the bridge before the first round
    const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
    ctx.defer(() => lateness.stop());
    const lower = raisePriority();
    const roundsFrom = ctx.elapsedMs();
    const cpuWait = CpuWaitMeter.of(process);
    const sendErrors: string[] = [];
    // Agents send their rounds on their own clocks while this host sends its own.
    const agentSends = agents.map((a) =>
      a
        .send({
          run: runTag,
          row: a.name,
          family,
          group: p.group,
          port: p.port,
          count: p.rounds,
          intervalMs: p.intervalMs,
          ttl: p.ttl,
          loopback,
        })
        .catch((err: unknown) => void sendErrors.push(`${a.name}: ${errText(err)}`)),
    );
    const cpuFrom = process.cpuUsage();
    const sendsFrom = performance.now();
    let roundsSent = 0;
    for (let round = 0; round < p.rounds && !signal.aborted; round++) {
      if (round % 10 === 0) ctx.progress(`round ${round + 1}/${p.rounds}`, (p.rounds - round) * p.intervalMs);
      for (const peer of peers) {
        try {
          peer.sendToGroup(encodeProbe(runTag, peer.id, round));
        } catch (err) {
          if (sendErrors.length < 5) sendErrors.push(`${peer.id} round ${round}: ${errText(err)}`);
        }
      }
      roundsSent++;
      // Round k+1 is due at start + (k+1) × interval, so the rate is 1000/intervalMs per peer
      // however long a round's sends take; a late round is sent at once (and the rate below says so).
      if (p.intervalMs) await sleep(Math.max(0, sendsFrom + (round + 1) * p.intervalMs - performance.now()), signal);
    }
    const sendSeconds = (performance.now() - sendsFrom) / 1000;
    await Promise.all(agentSends);
    await sleep(p.settleMs, signal);
    lower?.();
    const cpu = process.cpuUsage(cpuFrom);
    const harnessWait = cpuWait.since();
    // Loss: a receive queue left unread longer than the settle time. Latency: any hold-up past a quarter of the bound.
    const stall = lateness.loopWindow('the rounds', roundsFrom, ctx.elapsedMs(), p.settleMs);
    const forLatency = (l: { about?: string }): boolean => l.about === 'latency';
    if (e.maxP99Ms !== undefined) {
      const bound = latenessBound(e.maxP99Ms);
      if (stall) lateness.record({ ...stall, boundMs: bound, about: 'latency' });
      if (harnessWait !== null)
        lateness.record({
          about: 'latency',
          what: 'the harness waited {ms} for a CPU while its peers sent',
          atMs: ctx.elapsedMs(),
          lateMs: harnessWait.ms,
          boundMs: bound,
          detail: `a datagram stamped and then held back looks that much slower (its ${harnessWait.source})`,
        });
    }
    for (const a of agents) {
      for (const [row, seq, , , , rxNs, sentNs] of await a.collect(runTag)) {
        rx.push({ from: row, to: a.name, seq, segment: a.iface.segment, latencyNs: BigInt(rxNs) - BigInt(sentNs) });
      }
    }

    const mesh: MeshPeer[] = [
      ...list.map((m) => ({ id: m.id, segments: m.ifaces.map((i) => i.segment) })),
      ...agents.map((a) => ({ id: a.name, segments: [a.iface.segment] })),
    ];
    const stats = pairStats(mesh, rx, p.rounds, p.warmup, loopback);
    const ids = mesh.map((m) => m.id);
    // receiver\0sender pairs that got anything at all (one pass; the matrix asks per cell).
    const heard = new Set<string>();
    for (const x of rx) heard.add(`${x.to}\u0000${x.from}`);
    // Every pair that shares a segment must be within the loss bound; the others are not checked.
    const expected = stats.map((row) => row.map((s) => (s.expected === 0 ? undefined : true)));
    const { evidence, diffs } = compareMatrix({
      title: `group ${p.group}: receiver × sender (received/expected after ${p.warmup} warm-up round(s))`,
      rowLabel: 'receiver',
      colLabel: 'sender',
      rows: ids,
      cols: ids,
      expected,
      got: stats.map((row) => row.map((s) => s.expected === 0 || s.lossPercent <= e.maxLossPercent)),
      text: (r, c) => {
        const s = stats[r]![c]!;
        return s.expected === 0
          ? heard.has(`${ids[r]}\u0000${ids[c]}`)
            ? 'self'
            : '·'
          : `${s.received}/${s.expected}`;
      },
      legend: `· = not expected (self without loopback, or no shared segment); driver ${driver.name}; loopback ${loopback ? 'on' : 'off'}; max loss per pair ${e.maxLossPercent}%${localOnly ? LOCAL_ONLY : ''}${agents.length ? `; peer agents: ${agents.map((a) => `${a.name} (${a.address} via ${a.iface.name})`).join(', ')}` : ''}`,
    });
    const lossValues: Record<string, number> = {};
    stats.forEach((row, r) =>
      row.forEach((s, c) => {
        if (s.expected > 0 && s.lossPercent > 0)
          lossValues[`${ids[c]}→${ids[r]}`] = Math.round(s.lossPercent * 10) / 10;
      }),
    );
    const lat = latencySummaryMs(rx.latenciesMs((from, to, seq) => seq >= p.warmup && from !== to));
    const ev: Evidence[] = [
      evidence,
      {
        kind: 'numbers' as const,
        title: 'loss per pair after warm-up (only pairs with loss)',
        values: Object.keys(lossValues).length ? lossValues : { none: 0 },
        units: Object.fromEntries(Object.keys(lossValues).map((k) => [k, '%'])),
      },
      {
        kind: 'numbers' as const,
        title: 'one-way latency (kernel rx timestamp − sender clock)',
        values: lat,
        units: { p50: 'ms', p95: 'ms', p99: 'ms', max: 'ms' },
      },
      latencyPerPair(rx, (x) => x.seq >= p.warmup && x.from !== x.to, e.maxP99Ms),
      {
        kind: 'numbers' as const,
        title: `send rate and this process's CPU over the rounds (${list.length} peer${list.length === 1 ? '' : 's'} in this process send and receive)`,
        values: {
          rounds: roundsSent,
          seconds: Math.round(sendSeconds * 1000) / 1000,
          perPeerPerSecond: sendSeconds > 0 ? Math.round((roundsSent / sendSeconds) * 10) / 10 : null,
          asked: p.intervalMs ? 1000 / p.intervalMs : null,
          received: rx.length,
          cpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 1000) / 1000,
        },
        units: { seconds: 's', perPeerPerSecond: '/s', asked: '/s', cpuSeconds: 's' },
      } satisfies NumbersEvidence,
    ];
    const checks = [];
    if (diffs.length || sendErrors.length) {
      const missing = diffs.map((d) => {
        const s = stats[d.r]![d.c]!;
        return s.received === 0
          ? `${d.col} → ${d.row}: nothing`
          : `${d.col} → ${d.row}: ${s.received}/${s.expected} (${s.lossPercent.toFixed(1)}% loss)`;
      });
      const silent = ids.filter((id) => stats.every((row, r) => ids[r] === id || row[ids.indexOf(id)]!.received === 0));
      const hint = silent.length
        ? `; ${silent.join(', ')} reached no one (did it join on the right interface? is IP_MULTICAST_IF set?)`
        : '';
      checks.push(
        lateness.guard(
          check.fail(
            'full mesh',
            `not a full mesh on ${p.group}: ${missing.join(', ')}${hint}${sendErrors.length ? `; send errors: ${sendErrors.join('; ')}` : ''}`,
            ev,
          ),
          { only: (l) => !forLatency(l) },
        ),
      );
    } else {
      const rate =
        p.intervalMs && sendSeconds > 0
          ? `; ${(roundsSent / sendSeconds).toFixed(1)} datagrams/s per peer of the ${(1000 / p.intervalMs).toFixed(0)}/s asked`
          : '';
      checks.push(
        check.pass(
          'full mesh',
          `${ids.length} peers, every pair within ${e.maxLossPercent}% loss after ${p.warmup} warm-up round(s) (${rx.length} datagrams received${rate})${localOnly ? LOCAL_ONLY : ''}`,
          ev,
        ),
      );
    }
    if (e.maxP99Ms !== undefined) {
      const p99 = lat.p99;
      checks.push(
        lateness.guard(
          p99 !== null && p99 <= e.maxP99Ms
            ? check.pass('one-way latency p99', `p99 ${p99} ms ≤ ${e.maxP99Ms} ms`, [ev[2]!])
            : check.fail(
                'one-way latency p99',
                p99 === null ? 'no latency samples' : `p99 ${p99} ms exceeds ${e.maxP99Ms} ms`,
                [ev[2]!],
              ),
          { keepPass: true, only: forLatency },
        ),
      );
    }
    return checks;
  },
});

/** Latency samples kept for the CDF plot, over all pairs (a 32-peer mesh has 992 pairs): results.json stays a few MB. */
const MAX_LATENCY_SAMPLES = 200_000;

/**
 * Samples per sender→receiver pair for the report's CDF plot; ms to µs precision, the first
 * ones of each pair: at most 2,000 per pair and MAX_LATENCY_SAMPLES in all (at least 100 per pair).
 */
function latencyPerPair(
  rx: Iterable<Reception>,
  keep: (x: Reception) => boolean,
  maxP99Ms?: number,
): DistributionEvidence {
  const keys = new Set<string>();
  for (const x of rx) if (keep(x)) keys.add(`${x.from}→${x.to}`);
  const pairs = keys.size;
  const perPair = Math.min(2000, Math.max(100, Math.floor(MAX_LATENCY_SAMPLES / Math.max(1, pairs))));
  const byPair = new Map<string, number[]>();
  for (const x of rx) {
    if (x.latencyNs === undefined || !keep(x)) continue;
    const key = `${x.from}→${x.to}`;
    const list = byPair.get(key) ?? [];
    if (list.length < perPair) list.push(Math.round(Number(x.latencyNs) / 1000) / 1000);
    byPair.set(key, list);
  }
  const bound =
    maxP99Ms === undefined ? {} : { bound: { quantile: 0.99, value: maxP99Ms, label: `p99 ≤ ${maxP99Ms} ms` } };
  return {
    kind: 'distribution',
    title: 'one-way latency per pair (CDF)',
    unit: 'ms',
    series: [...byPair].sort(([a], [b]) => a.localeCompare(b)).map(([name, samples]) => ({ name, samples })),
    ...bound,
  };
}
