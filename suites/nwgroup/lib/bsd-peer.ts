/**
 * A BSD-socket group peer beside the NW peers, through the addon: joined on one interface
 * (IP_ADD_MEMBERSHIP / IPV6_JOIN_GROUP), sending with IP_MULTICAST_IF set to it, multicast
 * loopback on so peers of this one host hear each other (ip(4) IP_MULTICAST_LOOP). The witness
 * is one of these that only listens: it hears what the stack emitted on that interface.
 */
import { isIPv6 } from 'node:net';
import type { Datagram } from '../../../native/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { openSocket, type Endpoint } from '../../lib/net/topology.ts';
import type { GroupPeerProbe, PeerOptions, SendRecord, StateEvent } from './peer.ts';
import { errCode } from '../../lib/net/evidence.ts';

export function openBsdPeer(
  ctx: ScenarioContext,
  ep: Endpoint,
  id: string,
  ifindex: number,
  opts: PeerOptions,
  clock: () => number,
): GroupPeerProbe {
  const family = isIPv6(opts.group) ? 6 : 4;
  const sock = openSocket(ctx, ep, { family, reuseAddr: true });
  const states: StateEvent[] = [{ tMs: clock(), state: 'setup' }];
  const sends: SendRecord[] = [];
  const listeners: Array<(d: Buffer) => void> = [];
  try {
    sock.bind(family === 4 ? '0.0.0.0' : '::', opts.port);
    sock.addMembership(opts.group, ifindex);
    sock.setMulticastInterface(ifindex);
    sock.setMulticastLoopback(true);
    sock.setMulticastTTL(opts.ttl);
    sock.on('message', (d: Datagram) => {
      for (const l of listeners) l(d.data);
    });
    sock.startReceiving();
    states.push({ tMs: clock(), state: 'ready' });
  } catch (err) {
    states.push({ tMs: clock(), state: 'failed', error: errCode(err) });
  }
  return {
    id,
    kind: 'bsd',
    settle: async () => states.at(-1)!.state,
    send(data, seq) {
      try {
        sock.send(data, opts.group, opts.port);
        sends.push({ seq, status: 'complete' });
      } catch (err) {
        sends.push({ seq, status: 'failed', error: errCode(err) });
      }
    },
    onMessage: (cb) => void listeners.push(cb),
    states: () => states,
    sends: () => sends,
    async close() {
      sock.close();
    },
  };
}
