/**
 * What the pattern of reached segments says about how the product discovers. Pure; tested.
 * The reason states what was observed, then the usual causes as causes ("typically …"), never
 * as fact: a product configured for one interface leaves the same pattern as a naive send.
 */
import { list } from '../../lib/net/matrix.ts';
import type { DestinationKind } from '../../lib/net/arrivals.ts';

export interface DiscoveryOutcome {
  reached: string[];
  missed: string[];
  defaultRoute: string | undefined;
  /** Destination kinds seen (broadcast / multicast / unicast) and limited-broadcast use. */
  kinds: DestinationKind[];
  limitedBroadcast: boolean;
  port: number;
  timeoutMs: number;
  /** The SUT's last stderr/stdout line, when it said something about a failure. */
  sutHint?: string;
  sutExit?: string;
}

export function explainDiscovery(o: DiscoveryOutcome): string {
  const tail = `${o.sutExit ? `; the SUT ${o.sutExit}` : ''}${o.sutHint ? `; it said: "${o.sutHint}"` : ''}`;
  if (o.reached.length === 0) {
    return `reached no segment within ${o.timeoutMs} ms: nothing arrived on port ${o.port} anywhere (no send, a send refused — e.g. EACCES without SO_BROADCAST — or the wrong port)${tail}`;
  }
  const only = o.reached.length === 1 ? o.reached[0] : undefined;
  if (only !== undefined && only === o.defaultRoute) {
    const causes = o.limitedBroadcast
      ? 'typically one all-hosts broadcast (255.255.255.255) sent without binding a socket to each interface, which leaves by the default route only'
      : o.kinds.includes('multicast')
        ? 'typically multicast sent without choosing each interface (IP_MULTICAST_IF), so the routing table picked one'
        : 'typically a send on the routed interface only';
    return `reached ${only} only (the default-route segment); ${list(o.missed)} never heard it: ${causes}; a product configured for that one interface looks the same${tail}`;
  }
  return `reached ${list(o.reached)}; ${list(o.missed)} got nothing within ${o.timeoutMs} ms${tail}`;
}
