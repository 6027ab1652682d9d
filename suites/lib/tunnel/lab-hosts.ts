/** The lab a tunnel scenario runs in, and its gateway's address (shared by darkwake.* and keepalive.*). */
import type { Lab } from '../../../harness/lab/types.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { HostsParam } from './params.ts';

export interface TunnelLab {
  lab: Lab;
  /** The gateway host's IPv4 address on the scenario's segment. */
  gatewayAddress: string;
}

/**
 * The lab and the gateway's address, or why there are none. Scenarios require 'lab', so the
 * runner skips them without one; reaching here without a lab is a harness fault (an error).
 */
export function tunnelLab(ctx: ScenarioContext, hosts: HostsParam): TunnelLab | string {
  const lab = ctx.lab;
  if (!lab)
    return `no lab: this scenario needs one with a ${hosts.client} and a ${hosts.gateway} host on ${hosts.segment}`;
  const address = lab.host(hosts.gateway).iface(hosts.segment).ipv4?.address;
  if (!address) return `gateway host ${hosts.gateway} has no IPv4 address on ${hosts.segment}`;
  return { lab, gatewayAddress: address };
}
