/**
 * The real PeerFactory for host mode: NW peers through the addon's NwGroup (macOS), BSD peers
 * and the witness on one of this host's LAN interfaces (suites/lib/net/topology.ts).
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { addonStatus } from '../../../native/index.ts';
import { localEndpoint } from '../../lib/net/topology.ts';
import { openBsdPeer } from './bsd-peer.ts';
import { openNwPeer } from './nw-peer.ts';
import type { PeerFactory } from './peer.ts';

export const NW_MACOS_ONLY = `Network framework is macOS-only (this is ${process.platform})`;

export function hostPeerFactory(ctx: ScenarioContext): PeerFactory {
  const ep = localEndpoint();
  let bsdIndex = 0;
  return {
    nwUnavailable: () =>
      process.platform !== 'darwin' ? NW_MACOS_ONLY : addonStatus().loaded ? undefined : addonStatus().reason,
    bsdInterface(want) {
      const ifaces = ep.ifaces().filter((i) => i.ipv4);
      const hit = want ? ifaces.find((i) => i.name === want) : ifaces[0];
      if (!hit)
        return {
          problem: want ? `no LAN interface ${want} with IPv4 on this host` : 'no LAN interface with IPv4 on this host',
        };
      bsdIndex = hit.index;
      return { name: hit.name, index: hit.index };
    },
    open: (kind, id, opts, clock) =>
      kind === 'nw' ? openNwPeer(id, opts, clock) : openBsdPeer(ctx, ep, id, bsdIndex, opts, clock),
  };
}
