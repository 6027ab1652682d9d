/**
 * One listener per segment. In a lab it runs in a peer host on that segment (not the sender),
 * bound to its interface with SO_BINDTODEVICE so a peer on several segments still counts
 * each datagram once, on the right column. In host mode there is only this host: one socket
 * hears the copies the kernel loops back of what it sends (broadcast always, multicast with
 * IP_MULTICAST_LOOP), and the arrival interface it reports (IP_PKTINFO) is the interface the
 * datagram left through — that is the column.
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { ArrivalLog } from './arrivals.ts';
import { ifnameOf, labEndpoint, openSocket, peersBySegment, type Endpoint, type SegIface } from './topology.ts';

export interface ListenOptions {
  family: 4 | 6;
  port: number;
  /** Multicast group to join on each listening interface. */
  group?: string;
  /** Segments the sender's own receiver (self, or host mode's one socket) joins on (default: all). */
  joinOn?: string[];
  /** Lab only: also listen on the sender itself, column "self" (multicast loopback). */
  self?: boolean;
}

export interface Listening {
  log: ArrivalLog;
  /** Segments without a listener (no other host on them): their cells cannot be measured. */
  missing: string[];
  /** "lan-b → peer-b/nc…i1" for the report. */
  where: Record<string, string>;
}

const anyAddr = (family: 4 | 6): string => (family === 4 ? '0.0.0.0' : '::');

export function listenPerSegment(ctx: ScenarioContext, sender: Endpoint, segments: SegIface[], runTag: string, o: ListenOptions): Listening {
  const log = new ArrivalLog(runTag);
  const missing: string[] = [];
  const where: Record<string, string> = {};
  const broadcasts = new Set(segments.map((s) => s.ipv4?.broadcast).filter((b): b is string => !!b));
  const joins = (seg: string): boolean => !!o.group && (!o.joinOn || o.joinOn.includes(seg));
  if (sender.lab && ctx.lab) {
    const peers = peersBySegment(ctx.lab, segments.map((s) => s.segment), sender.label);
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
      log.attach(sock, { listener: `${peer.name}/${iface.name}`, col: () => seg.segment, ifname: ifnameOf(ep), broadcasts });
      where[seg.segment] = `${peer.name}/${iface.name}`;
    }
    if (o.self) {
      const sock = openSocket(ctx, sender, { family: o.family, reuseAddr: true });
      sock.bind(anyAddr(o.family), o.port);
      if (o.group) for (const seg of segments) if (joins(seg.segment)) sock.addMembership(o.group, seg.index);
      log.attach(sock, { listener: `${sender.label} (self)`, col: () => 'self', ifname: ifnameOf(sender), broadcasts });
      where.self = `${sender.label} (its own receiver)`;
    }
    return { log, missing, where };
  }
  // Host mode: one local socket; the column is the interface the looped-back copy names.
  const sock = openSocket(ctx, sender, { family: o.family, reuseAddr: true });
  sock.bind(anyAddr(o.family), o.port);
  if (o.group) for (const seg of segments) if (joins(seg.segment)) sock.addMembership(o.group, seg.index);
  const byIndex = new Map(segments.map((s) => [s.index, s.segment]));
  log.attach(sock, { listener: 'this host (loopback copy)', col: (d) => byIndex.get(d.ifindex), ifname: ifnameOf(sender), broadcasts });
  for (const s of segments) where[s.segment] = `this host, copies looped back from ${s.name}`;
  return { log, missing, where };
}
