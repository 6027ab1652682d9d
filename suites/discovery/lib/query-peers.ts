/**
 * The peers of discovery.responds: on each segment, one host other than the SUT's listens on the
 * group and port the SUT serves (bound to its interface, joined there) and sends the segment's
 * queries from the same socket, so a unicast answer to the query's source and a multicast answer
 * on the segment both reach it. Only datagrams from the SUT's own addresses are kept.
 */
import type { Lab } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { assertSafeDestination } from '../../../harness/net/safety.ts';
import type { Datagram } from '../../../native/types.ts';
import { arrivalClock } from '../../lib/discovery/responders.ts';
import { labEndpoint, openSocket, sendFrom } from '../../lib/net/topology.ts';
import type { Query } from './queries.ts';

/** One datagram from the SUT that a peer heard. */
export interface Heard {
  segment: string;
  /** Kernel arrival time, ms since the scenario started. */
  t: number;
  source: string;
  destination: string;
  ifindex: number;
  bytes: number;
  data: Buffer;
}

export interface QueryPeers {
  heard: Heard[];
  /** Sends the segment's query from its peer (to the group, or its directed broadcast). */
  send: Map<string, (data: Buffer) => void>;
}

const MAX_HEARD = 10_000;

/** Opens the peers' sockets (closed at scenario end); a string says why a segment cannot be queried. */
export function openQueryPeers(
  ctx: ScenarioContext,
  lab: Lab,
  peerOf: Map<string, string>,
  query: Query,
  family: 4 | 6,
  sutAddresses: ReadonlySet<string>,
): QueryPeers | string {
  const heard: Heard[] = [];
  const send = new Map<string, (data: Buffer) => void>();
  // Kernel arrival times: a late event loop must not move an answer into the next segment's window.
  const arrival = arrivalClock(ctx);
  for (const [seg, peerName] of peerOf) {
    const peer = lab.host(peerName);
    const ep = labEndpoint(peer);
    const iface = peer.iface(seg);
    const to = query.group ?? iface.ipv4?.broadcast;
    if (!to) return `${peer.name} has no IPv4 broadcast address on ${seg} to query`;
    const sock = openSocket(ctx, ep, { family, reuseAddr: true, broadcast: !query.group });
    sock.bindToDevice(iface.name);
    sock.bind(family === 4 ? '0.0.0.0' : '::', query.port);
    if (query.group) {
      sock.addMembership(query.group, iface.index);
      sock.setMulticastInterface(iface.index);
      sock.setMulticastTTL(query.ttl);
      sock.setMulticastLoopback(false);
    }
    sock.on('message', (d: Datagram) => {
      const source = d.address.split('%')[0]!;
      if (!sutAddresses.has(source) || heard.length >= MAX_HEARD) return;
      const { destination, ifindex, data } = d;
      heard.push({ segment: seg, t: arrival(d), source, destination, ifindex, bytes: data.length, data });
    });
    sock.startReceiving();
    const from = sendFrom(ctx, ep);
    send.set(seg, (data) => {
      assertSafeDestination(to, from);
      sock.send(data, to, query.port);
    });
  }
  return { heard, send };
}
