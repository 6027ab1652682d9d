/**
 * Where a scenario's sockets live. In a lab (Linux namespaces) every host is a namespace and a
 * "segment" is a bridge; in host mode (macOS, or Linux without a lab) the only host is this
 * one and each real interface stands for a segment. Scenarios code against `Endpoint`.
 */
import { execa } from 'execa';
import type { Lab, LabHost } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { SendFrom } from '../../../harness/net/safety.ts';
import { createUdpSocket, listInterfaces } from '../../../native/index.ts';
import type { NetInterface, UdpSocket, UdpSocketOptions } from '../../../native/types.ts';
import { parseRouteGet } from './route-get.darwin.ts';

export interface SegIface {
  segment: string;
  name: string;
  index: number;
  ipv4: { address: string; prefixLength: number; broadcast: string } | undefined;
  ipv6: string | undefined;
  linkLocal6: string | undefined;
}

export interface Endpoint {
  /** Lab host name, or "this host". */
  label: string;
  lab: boolean;
  ifaces(): SegIface[];
  socket(opts: Omit<UdpSocketOptions, 'netns'>): UdpSocket;
  /** Output of a short command run where this endpoint lives. */
  exec(argv: string[]): Promise<string>;
}

export function labEndpoint(host: LabHost): Endpoint {
  return {
    label: host.name,
    lab: true,
    ifaces: () =>
      host.interfaces().map((i) => ({
        segment: i.segment,
        name: i.name,
        index: i.index,
        ipv4: i.ipv4,
        ipv6: i.ipv6?.address,
        linkLocal6: i.linkLocal6,
      })),
    socket: (o) => host.socket(o),
    exec: async (argv) => (await host.exec(argv)).stdout,
  };
}

/**
 * Why a real interface does not stand for a segment in host mode (undefined when it does): it
 * must be up, running, addressed, able to carry broadcast or multicast, and a LAN — not loopback, not
 * point-to-point (utun/ppp/VPN tunnels: no segment behind them), not AWDL (macOS's peer-to-peer
 * Wi-Fi for AirDrop, functional type IFRTYPE_FUNCTIONAL_WIFI_AWDL in <net/if.h>).
 * `with.segments` narrows further.
 */
export function notSegmentReason(i: NetInterface): string | undefined {
  const f = i.flags;
  if (f.loopback) return 'loopback';
  if (!f.up) return 'down';
  if (!f.running) return 'not running (no link)';
  if (f.pointToPoint) return 'point-to-point (a tunnel: no segment behind it)';
  if (i.type === 'awdl') return 'AWDL (Apple Wireless Direct Link, peer-to-peer Wi-Fi)';
  if (!f.broadcast && !f.multicast) return 'carries neither broadcast nor multicast';
  // macOS sets IFF_RUNNING even where the media status is inactive (an idle Thunderbolt port, an
  // empty bridge0): an interface with no address cannot send or receive IP, so it is no segment.
  if (i.addresses.length === 0) return 'no IP address';
  return undefined;
}

export function isSegmentInterface(i: NetInterface): boolean {
  return notSegmentReason(i) === undefined;
}

/** This host's real interfaces that stand for segments (isSegmentInterface), from the addon's getifaddrs inventory. */
export function localEndpoint(): Endpoint {
  return {
    label: 'this host',
    lab: false,
    ifaces: () =>
      listInterfaces()
        .filter(isSegmentInterface)
        .map((i) => {
          const a4 = i.addresses.find((a) => a.family === 4);
          const g6 = i.addresses.find((a) => a.family === 6 && !/^fe80/i.test(a.address));
          const l6 = i.addresses.find((a) => a.family === 6 && /^fe80/i.test(a.address));
          return {
            segment: i.name,
            name: i.name,
            index: i.index,
            ipv4: a4
              ? { address: a4.address, prefixLength: a4.prefixLength, broadcast: a4.broadcast ?? '' }
              : undefined,
            ipv6: g6?.address,
            linkLocal6: l6?.address,
          };
        }),
    socket: (o) => createUdpSocket(o),
    exec: async (argv) => (await execa(argv[0]!, argv.slice(1), { stdin: 'ignore' })).stdout,
  };
}

/** Where a socket of `ep` sends from, for the safety rule (harness/net/safety.ts assertSafeDestination). */
export function sendFrom(ctx: Pick<ScenarioContext, 'allowHostNetwork'>, ep: Pick<Endpoint, 'lab'>): SendFrom {
  return { where: ep.lab ? 'lab' : 'host', allowHostNetwork: ctx.allowHostNetwork };
}

/** Opens a socket that is closed when the scenario ends, on every path. */
export function openSocket(ctx: ScenarioContext, ep: Endpoint, opts: Omit<UdpSocketOptions, 'netns'>): UdpSocket {
  const s = ep.socket(opts);
  ctx.defer(() => s.close());
  return s;
}

/**
 * The segment the kernel routes `dest` through from this endpoint, when nothing else picks
 * the interface: that is where an unbound all-hosts broadcast or an IP_MULTICAST_IF-less
 * multicast goes (ip(7): with no interface chosen the routing table decides).
 */
export async function routeSegment(
  ep: Endpoint,
  dest: string,
  platform: NodeJS.Platform = process.platform,
): Promise<string | undefined> {
  let dev: string | undefined;
  try {
    if (platform === 'darwin') {
      // route(8): an IPv6 destination needs -inet6, or it is parsed as an IPv4 address.
      const family = dest.includes(':') ? ['-inet6'] : [];
      dev = parseRouteGet(await ep.exec(['route', '-n', 'get', ...family, dest]))?.interface;
    } else {
      const out = JSON.parse(
        await ep.exec(['ip', '-j', ...(dest.includes(':') ? ['-6'] : []), 'route', 'get', dest]),
      ) as Array<{ dev?: string }>;
      dev = out[0]?.dev;
    }
  } catch {
    return undefined; // no route: the send itself will report ENETUNREACH
  }
  return ep.ifaces().find((i) => i.name === dev)?.segment;
}

/** The lab host with the most links (the multi-homed one), unless the profile names one. */
export function pickMultiHomed(lab: Lab, name: string | undefined): LabHost {
  if (name) return lab.host(name);
  let best = lab.hosts[0]!;
  for (const h of lab.hosts) if (h.interfaces().length > best.interfaces().length) best = h;
  return best;
}

/** For each segment, a host other than `exclude` with a link on it (the listener there). */
export function peersBySegment(lab: Lab, segments: string[], exclude: string): Map<string, LabHost | undefined> {
  const m = new Map<string, LabHost | undefined>();
  for (const s of segments) {
    const name = lab.segment(s).members.find((h) => h !== exclude);
    m.set(s, name ? lab.host(name) : undefined);
  }
  return m;
}

/** Interface name by index for one endpoint (for evidence). */
export function ifnameOf(ep: Endpoint): (ifindex: number) => string {
  const byIndex = new Map(ep.ifaces().map((i) => [i.index, i.name]));
  return (ix) => byIndex.get(ix) ?? (ix === 1 ? 'lo' : `if#${ix}`);
}

/** The segments to use: the profile's list (checked) or every segment of the endpoint. */
export function chooseSegments(
  ep: Endpoint,
  wanted: string[] | undefined,
): { segments: SegIface[]; unknown: string[] } {
  const all = ep.ifaces();
  if (!wanted?.length) return { segments: all, unknown: [] };
  const unknown = wanted.filter((w) => !all.some((i) => i.segment === w));
  return { segments: all.filter((i) => wanted.includes(i.segment)), unknown };
}
