/**
 * multicast.asymmetry: receive works on every interface, but a send leaves on one.
 *
 * A host on several segments joins the group on every interface (IP_ADD_MEMBERSHIP /
 * IPV6_JOIN_GROUP take an interface: membership is per interface, ip(7), ipv6(7)) and receives
 * from a sender on each segment. Then it sends: with no IP_MULTICAST_IF the routing table picks
 * one interface (the default route's), so one segment hears it; with the interface chosen,
 * each segment hears its own send. IPv4 (239.255.0.1, administratively scoped, RFC 2365) and
 * IPv6 link-local scope ff02::/16 and site-local scope ff05::/16 (RFC 4291 §2.7).
 * Variants by params: loopback on/off, TTL/hop limit, join on some interfaces only.
 */
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { connectPeers, type PeerSet } from '../lib/net/peers.ts';
import { newRunTag } from '../lib/net/probe.ts';
import { chooseSegments, labEndpoint, localEndpoint, pickMultiHomed } from '../lib/net/topology.ts';
import { receivePhase, sendPhase } from './lib/asym-phases.ts';
import { Expect, With } from './lib/asym-params.ts';

export default defineScenario<With, Expect>({
  id: 'multicast.asymmetry',
  summary: 'multicast receive works on every joined interface; a send without IP_MULTICAST_IF reaches one segment',
  platforms: ['linux', 'darwin'],
  requires: ['addon'],
  sendsOnHostNetwork: true,
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 30_000,
  async run(ctx, { with: p, expect: e }, signal) {
    const host = ctx.lab ? labEndpoint(pickMultiHomed(ctx.lab, p.host)) : localEndpoint();
    const { segments, unknown } = chooseSegments(host, p.segments);
    if (unknown.length)
      return [
        check.error('multicast.asymmetry', `with.segments names ${unknown.join(', ')}, not a segment of ${host.label}`),
      ];
    const joinOn = p.join === 'all' ? segments.map((s) => s.segment) : p.join;
    const badJoin = joinOn.filter((j) => !segments.some((s) => s.segment === j));
    if (badJoin.length)
      return [check.error('multicast.asymmetry', `with.join names ${badJoin.join(', ')}, not a tested segment`)];
    let remote: PeerSet | undefined;
    if (!ctx.lab && p.peers?.length) {
      remote = await connectPeers(ctx, host, p.peers, p.peerPort, signal);
      if (remote.problems.length)
        return [check.error('multicast.asymmetry', `with.peers: ${remote.problems.join('; ')}`)];
    }
    const checks: Check[] = [];
    for (const family of p.families) {
      if (family === 6 && !ctx.capabilities.ipv6.ok) {
        checks.push(check.skip('IPv6 multicast', ctx.capabilities.ipv6.reason));
        continue;
      }
      const segs = segments.filter((s) => (family === 4 ? s.ipv4 : (s.linkLocal6 ?? s.ipv6)));
      for (const group of family === 4 ? [p.group4] : p.groups6) {
        if (signal.aborted) break;
        const pp = { ...p, family, group, joinOn, runTag: newRunTag() };
        if (p.phases.includes('receive')) checks.push(await receivePhase(ctx, host, segs, pp, e, signal, remote));
        if (p.phases.includes('send'))
          checks.push(await sendPhase(ctx, host, segs, { ...pp, runTag: newRunTag() }, e, signal, remote));
      }
    }
    return checks;
  },
});
