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
    return (
      `reached no segment within ${o.timeoutMs} ms: nothing arrived on port ${o.port} anywhere ` +
      `(no send, a send refused — e.g. EACCES without SO_BROADCAST — or the wrong port)${tail}`
    );
  }
  const only = o.reached.length === 1 ? o.reached[0] : undefined;
  if (only !== undefined && only === o.defaultRoute) {
    const causes = o.limitedBroadcast
      ? 'typically one all-hosts broadcast (255.255.255.255) sent without binding a socket to each interface, ' +
        'which leaves by the default route only'
      : o.kinds.includes('multicast')
        ? 'typically multicast sent without choosing each interface (IP_MULTICAST_IF), so the routing table picked one'
        : 'typically a send on the routed interface only';
    return (
      `reached ${only} only (the default-route segment); ${list(o.missed)} never heard it: ${causes}; ` +
      `a product configured for that one interface looks the same${tail}`
    );
  }
  return `reached ${list(o.reached)}; ${list(o.missed)} got nothing within ${o.timeoutMs} ms${tail}`;
}

export interface RespondsOutcome {
  /** Query segments whose answer came back on the query's own segment. */
  answered: string[];
  /** Query segments expected to be answered that were not, each with the segments its answers arrived on instead. */
  missed: Array<{ segment: string; elsewhere: string[] }>;
  defaultRoute: string | undefined;
  /** "224.0.0.251:5353" or "the directed broadcast, port 7000". */
  to: string;
  queries: number;
  timeoutMs: number;
  /** Datagrams from the SUT that were not answers (e.g. NOTIFYs), for the no-answer case. */
  nonAnswers: number;
  sutHint?: string;
  sutExit?: string;
}

/**
 * What the pattern of answered segments suggests. Says what was observed and the usual causes,
 * never one cause as fact: the harness sees packets, not the product's code.
 */
export function explainResponds(o: RespondsOutcome): string {
  const tail = `${o.sutExit ? `; the SUT ${o.sutExit}` : ''}${o.sutHint ? `; it said: "${o.sutHint}"` : ''}`;
  const sent = `${o.queries} quer${o.queries === 1 ? 'y' : 'ies'} to ${o.to} from each segment`;
  const others = o.nonAnswers ? ` (${o.nonAnswers} datagram(s) from the SUT did not answer the query)` : '';
  if (o.answered.length === 0 && o.missed.every((m) => m.elsewhere.length === 0)) {
    return (
      `no answer came back on any segment within ${o.timeoutMs} ms of ${sent}${others}: typically the responder ` +
      `is not listening on that port, did not join the group, or answers something else${tail}`
    );
  }
  const parts: string[] = [];
  const redirected = o.missed.filter((m) => m.elsewhere.length > 0);
  const silent = o.missed.filter((m) => m.elsewhere.length === 0).map((m) => m.segment);
  if (redirected.length) {
    const via = [...new Set(redirected.flatMap((m) => m.elsewhere))];
    const viaDefault = o.defaultRoute !== undefined && via.length === 1 && via[0] === o.defaultRoute;
    parts.push(
      `the queries on ${list(redirected.map((m) => m.segment))} were answered on ${list(via)}` +
        `${viaDefault ? ' (the default route)' : ''} instead: typically the responder sends its answers without choosing ` +
        'the interface the query arrived on (IP_MULTICAST_IF from IP_PKTINFO), so the routing table picks one',
    );
  }
  if (silent.length) {
    const onlyDefault =
      o.answered.length === 1 && o.answered[0] === o.defaultRoute
        ? ` (it answered only on ${o.defaultRoute}, the default route)`
        : '';
    parts.push(
      `no answer came back on ${list(silent)} within ${o.timeoutMs} ms${onlyDefault}: typically the responder ` +
        'joined the group on one interface only or bound its socket to one address',
    );
  }
  return `${parts.join('; ')}${tail}`;
}
