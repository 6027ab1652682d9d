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
import { cellsSchema, rowReachSchema } from '../lib/net/matrix.ts';
import { connectPeers, peerPortSchema, peersSchema, type PeerSet } from '../lib/net/peers.ts';
import { newRunTag } from '../lib/net/probe.ts';
import { chooseSegments, labEndpoint, localEndpoint, pickMultiHomed } from '../lib/net/topology.ts';
import { receivePhase, sendPhase, type PhaseExpect } from './lib/asym-phases.ts';
import { GROUP4_PATTERN, GROUP6_PATTERN } from '../../harness/net/safety.ts';

interface With {
  host?: string;
  segments?: string[];
  port: number;
  families: Array<4 | 6>;
  group4: string;
  groups6: string[];
  phases: Array<'receive' | 'send'>;
  loopback: boolean;
  ttl: number;
  join: 'all' | string[];
  count: number;
  warmup: number;
  intervalMs: number;
  settleMs: number;
  peers?: string[];
  peerPort: number;
}

export default defineScenario<With, PhaseExpect>({
  id: 'multicast.asymmetry',
  summary: 'multicast receive works on every joined interface; a send without IP_MULTICAST_IF reaches one segment',
  platforms: ['linux', 'darwin'],
  requires: ['addon'],
  sendsOnHostNetwork: true,
  withSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      host: { type: 'string', description: 'the multi-homed lab host (default: the one with most links)' },
      segments: { type: 'array', items: { type: 'string' }, uniqueItems: true },
      port: { type: 'integer', minimum: 1024, maximum: 65535, default: 47820 },
      families: { type: 'array', items: { enum: [4, 6] }, uniqueItems: true, minItems: 1, default: [4, 6] },
      group4: { type: 'string', pattern: GROUP4_PATTERN, default: '239.255.0.1', description: 'an IPv4 group in 224.0.0.0/24 or 239.0.0.0/8 (the safety rule, harness/README.md)' },
      groups6: { type: 'array', items: { type: 'string', pattern: GROUP6_PATTERN, description: 'an IPv6 group of scope 1–5, interface- to site-local (the safety rule, harness/README.md)' }, uniqueItems: true, default: ['ff02::114', 'ff05::114'], description: 'IPv6 groups' },
      phases: { type: 'array', items: { enum: ['receive', 'send'] }, uniqueItems: true, minItems: 1, default: ['receive', 'send'] },
      loopback: { type: 'boolean', default: false, description: 'IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP on the sender (host mode forces it on)' },
      ttl: { type: 'integer', minimum: 0, maximum: 255, default: 1, description: 'IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS' },
      join: { anyOf: [{ const: 'all' }, { type: 'array', items: { type: 'string' }, uniqueItems: true }], default: 'all', description: 'segments the host joins on' },
      count: { type: 'integer', minimum: 1, maximum: 100, default: 3 },
      warmup: { type: 'integer', minimum: 0, maximum: 20, default: 1, description: 'first datagrams per row not counted (membership settling)' },
      intervalMs: { type: 'integer', minimum: 0, maximum: 1000, default: 10 },
      settleMs: { type: 'integer', minimum: 50, maximum: 5000, default: 250 },
      peers: peersSchema,
      peerPort: peerPortSchema,
    },
  },
  expectSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      receive: { anyOf: [{ const: 'joined' }, ...rowReachSchema.anyOf], default: 'joined', description: 'per sender segment: joined = its own interface when joined there' },
      unset: { ...rowReachSchema, default: 'default-route-only', description: 'segments a send with no interface chosen reaches' },
      chosen: { enum: ['own', 'all', 'none'], default: 'own' },
      self: { enum: ['auto', 'yes', 'no'], default: 'auto', description: 'the sender hears itself: auto = when loopback is on and it joined on the egress interface' },
      cells: cellsSchema,
    },
  },
  defaultTimeoutMs: 30_000,
  async run(ctx, { with: p, expect: e }, signal) {
    const host = ctx.lab ? labEndpoint(pickMultiHomed(ctx.lab, p.host)) : localEndpoint();
    const { segments, unknown } = chooseSegments(host, p.segments);
    if (unknown.length) return [check.error('multicast.asymmetry', `with.segments names ${unknown.join(', ')}, not a segment of ${host.label}`)];
    const joinOn = p.join === 'all' ? segments.map((s) => s.segment) : p.join;
    const badJoin = joinOn.filter((j) => !segments.some((s) => s.segment === j));
    if (badJoin.length) return [check.error('multicast.asymmetry', `with.join names ${badJoin.join(', ')}, not a tested segment`)];
    let remote: PeerSet | undefined;
    if (!ctx.lab && p.peers?.length) {
      remote = await connectPeers(ctx, host, p.peers, p.peerPort, signal);
      if (remote.problems.length) return [check.error('multicast.asymmetry', `with.peers: ${remote.problems.join('; ')}`)];
    }
    const checks: Check[] = [];
    for (const family of p.families) {
      if (family === 6 && !ctx.capabilities.ipv6.ok) {
        checks.push(check.skip('IPv6 multicast', ctx.capabilities.ipv6.reason));
        continue;
      }
      const segs = segments.filter((s) => (family === 4 ? s.ipv4 : s.linkLocal6 ?? s.ipv6));
      for (const group of family === 4 ? [p.group4] : p.groups6) {
        if (signal.aborted) break;
        const pp = { ...p, family, group, joinOn, runTag: newRunTag() };
        if (p.phases.includes('receive')) checks.push(await receivePhase(ctx, host, segs, pp, e, signal, remote));
        if (p.phases.includes('send')) checks.push(await sendPhase(ctx, host, segs, { ...pp, runTag: newRunTag() }, e, signal, remote));
      }
    }
    return checks;
  },
});
