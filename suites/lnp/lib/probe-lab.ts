/**
 * One lnp probe in a lab host: the agent runs as one of the host's own programs (in its
 * cgroup, under its localNetwork policy); a peer host on the same segment is the harness's
 * instrument — it listens for the agent's sends (unicast, broadcast, multicast v4/v6) and,
 * once the agent listens, sends it one datagram of each kind. Peer sockets are native addon
 * sockets in the harness process, which no policy ever touches.
 */
import { randomBytes } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { assertSafeDestination } from '../../../harness/net/safety.ts';
import { waitUntil } from '../../lib/net/timing.ts';
import { labEndpoint, openSocket } from '../../lib/net/topology.ts';
import {
  parseAgentLine,
  payloadFor,
  TRAFFIC_KINDS,
  type AgentEvent,
  type AgentPlan,
  type TrafficKind,
} from './plan.ts';

const here = dirname(fileURLToPath(import.meta.url));
/** Groups the probe uses (administratively scoped v4, RFC 2365; link-local v6, RFC 4291). */
export const PROBE_GROUP4 = '239.255.76.80';
export const PROBE_GROUP6 = 'ff02::4c4e';
export const portOf = (base: number, kind: TrafficKind): number => base + TRAFFIC_KINDS.indexOf(kind);

/** tsx by absolute URL: the agent may start with another working directory (launchd, sudo). */
export const agentArgv = (plan: AgentPlan): string[] => [
  process.execPath,
  '--import',
  import.meta.resolve('tsx'),
  resolve(here, 'agent.ts'),
  JSON.stringify(plan),
];

export interface LabProbeResult {
  host: string;
  peer: string;
  segment: string;
  token: string;
  events: AgentEvent[];
  peerSaw: Record<TrafficKind, number>;
  /** Agent's stderr/stdout lines that are not events (for evidence). */
  output: string[];
  exit: string;
}

export interface LabProbeOptions {
  host: string;
  segment: string;
  peer: string;
  port: number;
  count: number;
  receiveMs: number;
}

export async function probeLabHost(
  ctx: ScenarioContext,
  lab: Lab,
  o: LabProbeOptions,
  signal: AbortSignal,
): Promise<LabProbeResult> {
  const host = lab.host(o.host);
  const peer = lab.host(o.peer);
  const hi = host.iface(o.segment);
  const pi = peer.iface(o.segment);
  const token = randomBytes(4).toString('hex');
  const peerSaw: Record<TrafficKind, number> = { unicast: 0, broadcast: 0, multicast4: 0, multicast6: 0 };
  const peerEp = labEndpoint(peer);
  // Only the agent's datagrams count: the peer's own broadcast and multicast to the agent loop
  // back to its listeners (IP_MULTICAST_LOOP, local broadcast delivery) with the same token.
  const agentSources = new Set([hi.ipv4?.address, hi.ipv6?.address, hi.linkLocal6].filter((x): x is string => !!x));
  // The peer listens on every kind (bound to its interface; groups joined there).
  for (const kind of TRAFFIC_KINDS) {
    const v6 = kind === 'multicast6';
    const s = openSocket(ctx, peerEp, { family: v6 ? 6 : 4, reuseAddr: true });
    s.bindToDevice(pi.name);
    s.bind(v6 ? '::' : '0.0.0.0', portOf(o.port, kind));
    if (kind === 'multicast4') s.addMembership(PROBE_GROUP4, pi.index);
    if (kind === 'multicast6') s.addMembership(PROBE_GROUP6, pi.index);
    s.on('message', (d) => {
      if (agentSources.has(d.address.split('%')[0]!) && d.data.toString().startsWith(`NCLNP ${token} ${kind} `))
        peerSaw[kind]++;
    });
    s.startReceiving();
  }
  const v4 = hi.ipv4!;
  const plan: AgentPlan = {
    token,
    count: o.count,
    receiveMs: o.receiveMs,
    sends: [
      { kind: 'unicast', address: pi.ipv4!.address, port: portOf(o.port, 'unicast') },
      { kind: 'broadcast', address: v4.broadcast, port: portOf(o.port, 'broadcast'), ifaceV4: v4.address },
      { kind: 'multicast4', address: PROBE_GROUP4, port: portOf(o.port, 'multicast4'), ifaceV4: v4.address },
      {
        kind: 'multicast6',
        address: `${PROBE_GROUP6}%${hi.name}`,
        port: portOf(o.port, 'multicast6'),
        ifname: hi.name,
      },
    ],
    receives: [
      { kind: 'unicast', port: portOf(o.port, 'unicast') },
      { kind: 'broadcast', port: portOf(o.port, 'broadcast') },
      { kind: 'multicast4', port: portOf(o.port, 'multicast4'), group: PROBE_GROUP4, ifaceV4: v4.address },
      { kind: 'multicast6', port: portOf(o.port, 'multicast6'), group: PROBE_GROUP6, ifname: hi.name },
    ],
  };
  for (const s of plan.sends) assertSafeDestination(s.address, { where: 'lab' });
  const events: AgentEvent[] = [];
  const output: string[] = [];
  const proc = ctx.spawn(agentArgv(plan), {
    host: o.host,
    app: true,
    onLine: (stream, line) => {
      const e = stream === 'stdout' ? parseAgentLine(line) : undefined;
      if (e) events.push(e);
      else if (output.length < 50) output.push(`[${stream}] ${line}`);
    },
  });
  const listening = await waitUntil(
    () => events.some((e) => e.event === 'listening') || !proc.running(),
    10_000,
    signal,
  );
  if (listening && proc.running()) await sendToAgent(ctx, lab, o, token, v4.address, v4.broadcast);
  await waitUntil(
    () => events.some((e) => e.event === 'done') || !proc.running(),
    10_000 + o.receiveMs + o.count * 200,
    signal,
  );
  // After `done` the agent closes its sockets and exits: give it a moment before stopping it.
  if (events.some((e) => e.event === 'done')) await waitUntil(() => !proc.running(), 2_000, signal);
  let exit: string;
  if (proc.running()) {
    await proc.stop(1_000);
    exit = 'stopped: did not finish in time';
  } else exit = describeExit(await proc.exited);
  return { host: o.host, peer: o.peer, segment: o.segment, token, events, peerSaw, output, exit };
}

function describeExit(e: { code: number | null; signal: string | null }): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

/** The peer (an instrument) sends one datagram of each kind to the agent. */
async function sendToAgent(
  ctx: ScenarioContext,
  lab: Lab,
  o: LabProbeOptions,
  token: string,
  agentV4: string,
  broadcast: string,
): Promise<void> {
  const peer = lab.host(o.peer);
  const pi = peer.iface(o.segment);
  const ep = labEndpoint(peer);
  const s4 = openSocket(ctx, ep, { family: 4, broadcast: true });
  s4.bindToDevice(pi.name);
  s4.setMulticastInterface(pi.index);
  const s6 = openSocket(ctx, ep, { family: 6 });
  s6.setMulticastInterface(pi.index);
  const sends: Array<[TrafficKind, typeof s4, string]> = [
    ['unicast', s4, agentV4],
    ['broadcast', s4, broadcast],
    ['multicast4', s4, PROBE_GROUP4],
    // Numeric scope: the harness process is not in the peer's namespace, so its names do not resolve here.
    ['multicast6', s6, `${PROBE_GROUP6}%${pi.index}`],
  ];
  for (let n = 0; n < o.count; n++) {
    for (const [kind, sock, addr] of sends) {
      assertSafeDestination(addr, { where: 'lab' });
      try {
        sock.send(Buffer.from(payloadFor(token, kind, n, 'peer')), addr, portOf(o.port, kind));
      } catch (err) {
        ctx.log(
          `peer ${o.peer} → agent ${kind} send failed: ${(err as Error & { code?: string }).code ?? (err as Error).message}`,
        );
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
