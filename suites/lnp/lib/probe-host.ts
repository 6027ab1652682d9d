/**
 * lnp.probe in host mode: the agent sends on this host's routed interface (the one the
 * all-hosts broadcast takes) to destinations the safety rule allows on a real network — the
 * IPv4 link-local address 169.254.255.1 (nobody is expected to answer; on-link only, RFC 3927),
 * 255.255.255.255, 239.255.76.80 and ff02::4c4e — in each launch context. No peer exists to
 * confirm arrival, so a send that is not refused counts as "sent (no peer to confirm)", and
 * receiving is not measured: the silent (NWConnectionGroup) symptom cannot be told apart here.
 */
import { randomBytes } from 'node:crypto';
import { assertSafeDestination } from '../../../harness/net/safety.ts';
import { localEndpoint, routeSegment, type SegIface } from '../../lib/net/topology.ts';
import type { AgentPlan } from './plan.ts';
import { PROBE_GROUP4, PROBE_GROUP6, portOf } from './probe-lab.ts';

export const LINK_LOCAL_PROBE = '169.254.255.1';

/** The interface sends leave on: the route of 255.255.255.255, else the first with IPv4. */
export async function hostInterface(): Promise<SegIface | undefined> {
  const ep = localEndpoint();
  const seg = await routeSegment(ep, '255.255.255.255');
  const all = ep.ifaces().filter((i) => i.ipv4);
  return all.find((i) => i.segment === seg) ?? all[0];
}

/** Throws ERR_UNSAFE_DESTINATION without --allow-host-network (link-scoped sends reach the real LAN). */
export function hostPlan(iface: SegIface, port: number, count: number, allowHostNetwork: boolean): AgentPlan {
  const v4 = iface.ipv4!.address;
  const plan: AgentPlan = {
    token: randomBytes(4).toString('hex'),
    count,
    receiveMs: 0,
    receives: [],
    sends: [
      { kind: 'unicast', address: LINK_LOCAL_PROBE, port: portOf(port, 'unicast') },
      { kind: 'broadcast', address: '255.255.255.255', port: portOf(port, 'broadcast'), ifaceV4: v4 },
      { kind: 'multicast4', address: PROBE_GROUP4, port: portOf(port, 'multicast4'), ifaceV4: v4 },
      {
        kind: 'multicast6',
        address: `${PROBE_GROUP6}%${iface.name}`,
        port: portOf(port, 'multicast6'),
        ifname: iface.name,
      },
    ],
  };
  for (const s of plan.sends) assertSafeDestination(s.address, { where: 'host', allowHostNetwork });
  return plan;
}
