/**
 * Records where each probe datagram arrived: which listener (column), the arrival interface
 * the kernel reported (IP_PKTINFO / IPV6_PKTINFO, ip(7), ipv6(7)), the source and the
 * destination it was sent to (broadcast, multicast or unicast). The per-datagram list is the
 * evidence behind every matrix cell.
 */
import type { Datagram, UdpSocket } from '../../../native/types.ts';
import { decodeProbe, type Probe } from './probe.ts';

export type DestinationKind = 'broadcast' | 'multicast' | 'unicast';

export interface Arrival {
  /** Matrix column (segment name, or "self"). */
  col: string;
  /** Who heard it, e.g. "peer-b/nc1abcdi1". */
  listener: string;
  ifindex: number;
  ifname: string;
  source: string;
  destination: string;
  kind: DestinationKind;
  probe: Probe;
  rxNs: bigint;
}

export function destinationKind(dest: string, broadcasts: ReadonlySet<string>): DestinationKind {
  const bare = dest.split('%')[0]!;
  if (bare.includes(':')) return /^ff/i.test(bare) ? 'multicast' : 'unicast';
  const first = Number(bare.split('.')[0]);
  if (first >= 224 && first <= 239) return 'multicast';
  if (bare === '255.255.255.255' || broadcasts.has(bare)) return 'broadcast';
  return 'unicast';
}

export interface AttachOptions {
  listener: string;
  /** Column for a datagram; undefined drops it (e.g. an interface outside the matrix). */
  col: (d: Datagram) => string | undefined;
  ifname: (ifindex: number) => string;
  broadcasts: ReadonlySet<string>;
}

export class ArrivalLog {
  readonly arrivals: Arrival[] = [];
  /** Datagrams on our ports that were not this run's probes (reported, never counted). */
  strangers = 0;
  /** Socket errors seen while receiving. */
  readonly errors: string[] = [];

  constructor(readonly runTag: string) {}

  attach(sock: UdpSocket, o: AttachOptions): void {
    sock.on('message', (d: Datagram) => {
      const probe = decodeProbe(d.data);
      if (!probe || probe.run !== this.runTag) {
        this.strangers++;
        return;
      }
      const col = o.col(d);
      if (col === undefined) return;
      this.arrivals.push({
        col,
        listener: o.listener,
        ifindex: d.ifindex,
        ifname: o.ifname(d.ifindex),
        source: d.address,
        destination: d.destination,
        kind: destinationKind(d.destination, o.broadcasts),
        probe,
        rxNs: d.timestampNs,
      });
    });
    sock.on('error', (e: Error & { code?: string }) => this.errors.push(`${o.listener}: ${e.code ?? e.message}`));
    sock.startReceiving();
  }

  /** Adds an arrival a peer agent reported (collected again on every sync: kept once). */
  record(a: Arrival): void {
    const key = `${a.probe.row}\u0000${a.probe.seq}\u0000${a.col}\u0000${a.listener}`;
    if (this.recorded.has(key)) return;
    this.recorded.add(key);
    this.arrivals.push(a);
  }

  private readonly recorded = new Set<string>();

  /** Arrivals of one row at one column. */
  at(row: string, col: string): Arrival[] {
    return this.arrivals.filter((a) => a.probe.row === row && a.col === col);
  }

  count(row: string, col?: string): number {
    return this.arrivals.filter((a) => a.probe.row === row && (col === undefined || a.col === col)).length;
  }
}
