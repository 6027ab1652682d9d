/**
 * One listener per segment. In a lab it runs in a peer host on that segment (not the sender),
 * bound to its interface with SO_BINDTODEVICE so a peer on several segments still counts
 * each datagram once, on the right column. In host mode with peer agents (`with.peers`) it is
 * the agent standing on that segment, which does the same on its own machine and reports what
 * it heard (sync()). In host mode without agents there is only this host: one socket hears
 * the copies the kernel loops back of what it sends (broadcast always, multicast with
 * IP_MULTICAST_LOOP), and the arrival interface it reports (IP_PKTINFO) is the interface the
 * datagram left through — so the column then measures egress, not delivery (`egressOnly`).
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { ArrivalLog, destinationKind } from './arrivals.ts';
import { peerBySegment, type PeerSet } from './peers.ts';
import { ifnameOf, labEndpoint, openSocket, peersBySegment, type Endpoint, type SegIface } from './topology.ts';

export interface ListenOptions {
  family: 4 | 6;
  port: number;
  /** Multicast group to join on each listening interface. */
  group?: string;
  /** Segments the sender's own receiver (self, or host mode's one socket) joins on (default: all). */
  joinOn?: string[];
  /** Lab, or host mode with agents: also listen on the sender itself, column "self" (multicast loopback). */
  self?: boolean;
}

export interface Listening {
  log: ArrivalLog;
  /** Segments without a listener (no other host on them): their cells cannot be measured. */
  missing: string[];
  /** "lan-b → peer-b/nc…i1" for the report. */
  where: Record<string, string>;
  /** Host mode without agents: the columns are the kernel's loopback copies (egress), not delivery. */
  egressOnly: boolean;
  /** Fetches what remote listeners heard so far into `log` (nothing to do for local sockets). */
  sync(): Promise<void>;
}

const anyAddr = (family: 4 | 6): string => (family === 4 ? '0.0.0.0' : '::');

/** What a matrix measured when it is only the kernel's loopback copies (host mode, no agents). */
export function egressNote(l: Listening): string {
  return l.egressOnly
    ? "; host mode without peer agents: each column is the interface the datagram left through (the kernel's loopback copy), delivery to the segment was not measured — name agents in with.peers"
    : '';
}

const localOnly = async (): Promise<void> => undefined;

export async function listenPerSegment(
  ctx: ScenarioContext,
  sender: Endpoint,
  segments: SegIface[],
  runTag: string,
  o: ListenOptions,
  remote?: PeerSet,
): Promise<Listening> {
  if (!sender.lab && remote) return listenOnPeers(ctx, sender, segments, runTag, o, remote);
  const log = new ArrivalLog(runTag);
  const missing: string[] = [];
  const where: Record<string, string> = {};
  const broadcasts = new Set(segments.map((s) => s.ipv4?.broadcast).filter((b): b is string => !!b));
  const joins = (seg: string): boolean => !!o.group && (!o.joinOn || o.joinOn.includes(seg));
  if (sender.lab && ctx.lab) {
    const peers = peersBySegment(
      ctx.lab,
      segments.map((s) => s.segment),
      sender.label,
    );
    for (const seg of segments) {
      const peer = peers.get(seg.segment);
      if (!peer) {
        missing.push(seg.segment);
        continue;
      }
      const ep = labEndpoint(peer);
      const iface = peer.iface(seg.segment);
      const sock = openSocket(ctx, ep, { family: o.family, reuseAddr: true });
      sock.bindToDevice(iface.name);
      sock.bind(anyAddr(o.family), o.port);
      if (o.group) sock.addMembership(o.group, iface.index); // the segment's witness always joins
      log.attach(sock, {
        listener: `${peer.name}/${iface.name}`,
        col: () => seg.segment,
        ifname: ifnameOf(ep),
        broadcasts,
      });
      where[seg.segment] = `${peer.name}/${iface.name}`;
    }
    if (o.self) listenSelf(ctx, sender, segments, o, log, where);
    return { log, missing, where, egressOnly: false, sync: localOnly };
  }
  // Host mode: one local socket; the column is the interface the looped-back copy names.
  const sock = openSocket(ctx, sender, { family: o.family, reuseAddr: true });
  sock.bind(anyAddr(o.family), o.port);
  if (o.group) for (const seg of segments) if (joins(seg.segment)) sock.addMembership(o.group, seg.index);
  const byIndex = new Map(segments.map((s) => [s.index, s.segment]));
  log.attach(sock, {
    listener: 'this host (loopback copy)',
    col: (d) => byIndex.get(d.ifindex),
    ifname: ifnameOf(sender),
    broadcasts,
  });
  for (const s of segments) where[s.segment] = `this host, copies looped back from ${s.name}`;
  return { log, missing, where, egressOnly: true, sync: localOnly };
}

/** Column "self": the sender's own receiver, joined where the scenario joins (multicast loopback). */
function listenSelf(
  ctx: ScenarioContext,
  sender: Endpoint,
  segments: SegIface[],
  o: ListenOptions,
  log: ArrivalLog,
  where: Record<string, string>,
): void {
  const sock = openSocket(ctx, sender, { family: o.family, reuseAddr: true });
  sock.bind(anyAddr(o.family), o.port);
  if (o.group)
    for (const seg of segments) if (!o.joinOn || o.joinOn.includes(seg.segment)) sock.addMembership(o.group, seg.index);
  const broadcasts = new Set(segments.map((s) => s.ipv4?.broadcast).filter((b): b is string => !!b));
  log.attach(sock, { listener: `${sender.label} (self)`, col: () => 'self', ifname: ifnameOf(sender), broadcasts });
  where.self = `${sender.label} (its own receiver)`;
}

/** Host mode with agents: the agent on each segment listens there; sync() collects its report. */
async function listenOnPeers(
  ctx: ScenarioContext,
  sender: Endpoint,
  segments: SegIface[],
  runTag: string,
  o: ListenOptions,
  remote: PeerSet,
): Promise<Listening> {
  const log = new ArrivalLog(runTag);
  const missing: string[] = [];
  const where: Record<string, string> = {};
  const broadcasts = new Set(segments.map((s) => s.ipv4?.broadcast).filter((b): b is string => !!b));
  const bySeg = peerBySegment(remote);
  const listening: Array<{ seg: string; peer: NonNullable<ReturnType<typeof bySeg.get>> }> = [];
  for (const seg of segments) {
    const peer = bySeg.get(seg.segment);
    if (!peer) {
      missing.push(seg.segment);
      continue;
    }
    await peer.listen(runTag, o.family, o.port, o.group); // the segment's witness always joins
    listening.push({ seg: seg.segment, peer });
    where[seg.segment] = `${peer.name}/${peer.agentIface} (peer agent ${peer.address})`;
  }
  if (o.self) listenSelf(ctx, sender, segments, o, log, where);
  const sync = async (): Promise<void> => {
    for (const { seg, peer } of listening) {
      for (const [row, seq, ifname, source, destination, rxNs, sentNs] of await peer.collect(runTag)) {
        log.record({
          col: seg,
          listener: `${peer.name}/${ifname}`,
          ifindex: 0,
          ifname,
          source,
          destination,
          kind: destinationKind(destination, broadcasts),
          probe: { run: runTag, row, seq, sentNs },
          rxNs: BigInt(rxNs),
        });
      }
    }
  };
  return { log, missing, where, egressOnly: false, sync };
}
