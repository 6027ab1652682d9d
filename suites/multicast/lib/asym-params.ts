/** multicast.asymmetry parameters, written once (TypeBox: the schema and the type). */
import { Type, type Static } from '@sinclair/typebox';
import { cellOverrides, RowReach } from '../../lib/net/matrix.ts';
import { Group4, Group6, Segments } from '../../lib/net/params.ts';
import { PeerPort, Peers } from '../../lib/net/peers.ts';
import { Described, Enum } from '../../lib/params.ts';

const FAMILIES = [4, 6] as const;
const PHASES = ['receive', 'send'] as const;

export const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({ description: 'the multi-homed lab host (default: the one with most links)', examples: ['multi'] }),
    ),
    segments: Type.Optional(
      Segments('segments (host mode: interface names) to test; default every segment of the host'),
    ),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47820,
      description: 'UDP port the group traffic uses (default 47820)',
    }),
    families: Type.Array(Enum(FAMILIES, { description: 'an IP version: 4 (group4) or 6 (groups6)' }), {
      uniqueItems: true,
      minItems: 1,
      default: [...FAMILIES],
      description: 'IP versions to test (default both)',
    }),
    group4: Described(Group4, {
      default: '239.255.0.1',
      description: 'the IPv4 group (default 239.255.0.1, administratively scoped, RFC 2365)',
      examples: ['239.255.0.1', '224.0.0.251'],
    }),
    groups6: Type.Array(Group6, {
      uniqueItems: true,
      default: ['ff02::114', 'ff05::114'],
      description: 'IPv6 groups, each tested in turn (default ff02::114 link-local and ff05::114 site-local)',
      examples: [['ff02::114'], ['ff05::114']],
    }),
    phases: Type.Array(
      Enum(PHASES, {
        description:
          'a phase: receive (a sender on every segment, the host joined per interface) or send (the host sends, with and without IP_MULTICAST_IF)',
      }),
      { uniqueItems: true, minItems: 1, default: [...PHASES], description: 'phases to run per group (default both)' },
    ),
    loopback: Type.Boolean({
      default: false,
      description: 'IP_MULTICAST_LOOP / IPV6_MULTICAST_LOOP on the sender (default off; host mode forces it on)',
    }),
    ttl: Type.Integer({
      minimum: 0,
      maximum: 255,
      default: 1,
      description: 'IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS (default 1: the segment only)',
    }),
    join: Described(
      Type.Union([Type.Literal('all'), Segments('segments the host joins on')], {
        description: 'all, or a list of segments',
      }),
      {
        default: 'all',
        description: 'segments the host joins the group on (default all)',
        examples: ['all', ['lan-a']],
      },
    ),
    count: Type.Integer({
      minimum: 1,
      maximum: 100,
      default: 3,
      description: 'counted datagrams per row, after the warm-up (default 3)',
    }),
    warmup: Type.Integer({
      minimum: 0,
      maximum: 20,
      default: 1,
      description: 'first datagrams per row not counted, while memberships settle (default 1)',
    }),
    intervalMs: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 10,
      description: 'pause between two datagrams of a row, in ms (default 10)',
    }),
    settleMs: Type.Integer({
      minimum: 50,
      maximum: 5000,
      default: 250,
      description: 'wait after joining (IGMP/MLD reports) and after the last send, in ms (default 250)',
    }),
    peers: Type.Optional(Peers),
    peerPort: PeerPort,
  },
  { additionalProperties: false },
);
export type With = Static<typeof With>;

export const Expect = Type.Object(
  {
    receive: Described(
      Type.Union([Type.Literal('joined'), ...RowReach.anyOf], {
        description: 'joined, all, none, own, default-route-only, or the list of segments reached',
      }),
      {
        default: 'joined',
        description:
          'per sender segment, where the host receives: joined = on its own interface when joined there (default)',
      },
    ),
    unset: Described(RowReach, {
      default: 'default-route-only',
      description: 'segments a send with no interface chosen reaches (default default-route-only)',
    }),
    chosen: Enum(['own', 'all', 'none'], {
      default: 'own',
      description:
        "segments a send with IP_MULTICAST_IF chosen reaches: own = that interface's segment only (default), all, or none",
    }),
    self: Enum(['auto', 'yes', 'no'], {
      default: 'auto',
      description:
        'the sender hears itself: auto = when loopback is on and it joined on the egress interface (default), yes, or no',
    }),
    cells: cellOverrides('from:<segment> (receive), none and if:<segment> (send)', { none: { 'lan-b': false } }),
  },
  { additionalProperties: false },
);
export type Expect = Static<typeof Expect>;
