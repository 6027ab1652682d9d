/**
 * The group-peer role behind a small driver interface, so the same scenario can drive BSD
 * sockets (here) or, later, a macOS Network.framework NWConnectionGroup peer (a driver that
 * talks to a helper process). A group peer joins one group on one or more interfaces, sends to
 * the group, and reports what it receives — the semantics NWConnectionGroup exposes
 * (send reaches all members, receive from all members).
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { Datagram } from '../../../native/types.ts';
import { openSocket, type Endpoint, type SegIface } from '../../lib/net/topology.ts';

export interface GroupPeerSpec {
  id: string;
  endpoint: Endpoint;
  /** Interfaces the peer joins on and sends through. */
  ifaces: SegIface[];
  family: 4 | 6;
  group: string;
  port: number;
  loopback: boolean;
  ttl: number;
}

export interface GroupMessage {
  data: Buffer;
  source: string;
  ifindex: number;
  /** Kernel receive timestamp, ns since the epoch (0n when the driver has none). */
  rxNs: bigint;
}

export interface GroupPeer {
  readonly id: string;
  /** Sends one datagram to the group on every interface of the peer; returns how many were sent. */
  sendToGroup(data: Buffer): number;
  onMessage(cb: (m: GroupMessage) => void): void;
  close(): void;
}

export interface GroupDriver {
  readonly name: string;
  /** Why it cannot run here, or undefined. */
  unavailable(): string | undefined;
  open(ctx: ScenarioContext, spec: GroupPeerSpec): GroupPeer;
}

/** BSD sockets through the native addon: one socket per peer, joined per interface. */
export const bsdDriver: GroupDriver = {
  name: 'bsd',
  unavailable: () => undefined,
  open(ctx, s) {
    // SO_REUSEADDR: in host mode several peers share this host's port (socket(7)); each still gets every datagram.
    const sock = openSocket(ctx, s.endpoint, { family: s.family, reuseAddr: true });
    sock.bind(s.family === 4 ? '0.0.0.0' : '::', s.port);
    for (const i of s.ifaces) sock.addMembership(s.group, i.index);
    sock.setMulticastLoopback(s.loopback);
    sock.setMulticastTTL(s.ttl);
    // One interface: IP_MULTICAST_IF once, not per send (a 32-peer mesh at 100/s sends 3,200 a second).
    const single = s.ifaces.length === 1;
    if (single) sock.setMulticastInterface(s.ifaces[0]!.index);
    const listeners: Array<(m: GroupMessage) => void> = [];
    sock.on('message', (d: Datagram) => {
      for (const l of listeners) l({ data: d.data, source: d.address, ifindex: d.ifindex, rxNs: d.timestampNs });
    });
    sock.startReceiving();
    return {
      id: s.id,
      sendToGroup(data) {
        let n = 0;
        // IP_MULTICAST_IF per send: without it only the routed interface would carry it (multicast.asymmetry).
        for (const i of s.ifaces) {
          if (!single) sock.setMulticastInterface(i.index);
          sock.send(data, s.group, s.port);
          n++;
        }
        return n;
      },
      onMessage: (cb) => void listeners.push(cb),
      close: () => sock.close(),
    };
  },
};

export const drivers: Record<string, GroupDriver> = { bsd: bsdDriver };
