/**
 * A responder on every segment: a host there (never the SUT's) listens on the discovery port,
 * records each datagram the SUT sends — source, arrival interface (IP_PKTINFO), destination
 * and its kind (broadcast, multicast, unicast) — and answers it by unicast with a payload that
 * names itself, the way a real peer of the product would.
 */
import type { Lab } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { Datagram } from '../../../native/types.ts';
import { destinationKind, type DestinationKind } from '../net/arrivals.ts';
import { isSafeDestination } from '../../../harness/net/safety.ts';
import { labEndpoint, openSocket } from '../net/topology.ts';

export interface Heard {
  segment: string;
  responder: string;
  ifname: string;
  ifindex: number;
  source: string;
  destination: string;
  kind: DestinationKind;
  /**
   * Milliseconds since the scenario started, when the datagram arrived: from the kernel's
   * receive timestamp (SO_TIMESTAMPNS) when there is one, so a late harness event loop does
   * not make the SUT look late; otherwise when the harness read it.
   */
  t: number;
  bytes: number;
}

export interface Responders {
  /** Segment → responder name (what the SUT should report finding). */
  names: Map<string, string>;
  heard: Heard[];
  /** Segments with no host besides the SUT's: cannot be measured. */
  missing: string[];
  replies: number;
  replyErrors: string[];
}

export const responderName = (segment: string): string => `responder-${segment}`;

/**
 * When a datagram arrived, in ms since the scenario started: from the kernel's receive timestamp
 * (SO_TIMESTAMPNS) when there is one, so a late harness event loop does not move it; otherwise
 * when the harness read it.
 */
export function arrivalClock(ctx: Pick<ScenarioContext, 'elapsedMs'>): (d: Datagram) => number {
  // Epoch ms at the scenario's t = 0; kernel timestamps are CLOCK_REALTIME (socket(7) SO_TIMESTAMPNS).
  const epochZero = performance.timeOrigin + performance.now() - ctx.elapsedMs();
  return (d) => {
    const read = ctx.elapsedMs();
    if (d.timestampNs <= 0n) return read;
    const k = Number(d.timestampNs / 1000n) / 1000 - epochZero;
    return k <= read && k > read - 60_000 ? k : read; // a stepped wall clock falls back to the read time
  };
}

export function startResponders(
  ctx: ScenarioContext,
  lab: Lab,
  sutHost: string,
  segments: string[],
  o: { port: number; group?: string; reply: boolean },
): Responders {
  const r: Responders = { names: new Map(), heard: [], missing: [], replies: 0, replyErrors: [] };
  const arrival = arrivalClock(ctx);
  const broadcasts = new Set<string>();
  for (const seg of segments) {
    const hostName = lab.segment(seg).members.find((h) => h !== sutHost);
    if (!hostName) {
      r.missing.push(seg);
      continue;
    }
    const host = lab.host(hostName);
    const iface = host.iface(seg);
    if (iface.ipv4?.broadcast) broadcasts.add(iface.ipv4.broadcast);
    const family = o.group?.includes(':') ? 6 : 4;
    const sock = openSocket(ctx, labEndpoint(host), { family, reuseAddr: true });
    sock.bindToDevice(iface.name);
    sock.bind(family === 4 ? '0.0.0.0' : '::', o.port);
    if (o.group) sock.addMembership(o.group, iface.index);
    const name = responderName(seg);
    r.names.set(seg, name);
    const own = new Set([iface.ipv4?.address, iface.ipv6?.address].filter(Boolean));
    sock.on('message', (d: Datagram) => {
      if (own.has(d.address.split('%')[0]!)) return;
      r.heard.push({
        segment: seg,
        responder: name,
        ifname: iface.name,
        ifindex: d.ifindex,
        source: d.address,
        destination: d.destination,
        kind: destinationKind(d.destination, broadcasts),
        t: arrival(d),
        bytes: d.data.length,
      });
      // Reply only inside the lab (the SUT's lab address): the safety rule applies to answers too.
      if (!o.reply || !isSafeDestination(d.address, { where: 'lab' }) || r.replies >= 10_000) return;
      try {
        sock.send(
          Buffer.from(
            `NETCONFORM-RESPONDER ${name} segment=${seg} address=${iface.ipv4?.address ?? iface.ipv6?.address ?? '?'}\n`,
          ),
          d.address,
          d.port,
        );
        r.replies++;
      } catch (err) {
        if (r.replyErrors.length < 5)
          r.replyErrors.push(`${name}: ${(err as Error & { code?: string }).code ?? (err as Error).message}`);
      }
    });
    sock.startReceiving();
  }
  return r;
}

/** Segments reached (a datagram from the SUT arrived) at or after `sinceMs`. */
export function reachedSince(r: Responders, sinceMs: number): Set<string> {
  return new Set(r.heard.filter((h) => h.t >= sinceMs).map((h) => h.segment));
}
