/** Parameter fragments both discovery scenarios share (TypeBox: the schema and the type). */
import { Type } from '@sinclair/typebox';
import { Described } from '../../lib/params.ts';

/**
 * The group the responders join: any IPv4 or IPv6 multicast address. Looser than the safety
 * rule's Group (suites/lib/net/params.ts) because the harness never sends to it: only the SUT
 * does, inside the lab's namespaces.
 */
const DiscoveryGroup = Type.String({
  pattern: '^2(2[4-9]|3[0-9])(\\.[0-9]{1,3}){3}$|^[fF][fF][0-9a-fA-F]{2}:[0-9a-fA-F:]*$',
  description: 'an IPv4 multicast address (224.0.0.0–239.255.255.255) or an IPv6 one (ff00::/8)',
});

/** `with.group`: optional; without it the responders join nothing (a broadcast-only SUT). */
export const ResponderGroup = Described(DiscoveryGroup, {
  description:
    'multicast group the responders join, ${group} in the SUT command (default: none, for a broadcast-only SUT)',
  examples: ['239.255.0.3', 'ff02::fb'],
});

export const Reply = Type.Boolean({
  default: true,
  description: 'responders answer each datagram with a payload naming themselves, responder-<segment> (default on)',
});
