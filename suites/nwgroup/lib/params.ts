/** nwgroup.* parameters, written once (TypeBox): the JSON Schema and the TypeScript type. */
import { Type, type Static } from '@sinclair/typebox';

const GROUP_PATTERN = '^2(2[4-9]|3[0-9])(\\.[0-9]{1,3}){3}$|^[fF][fF][0-9a-fA-F]{2}:[0-9a-fA-F:]*$';

export const PeersWith = Type.Object(
  {
    peers: Type.Array(Type.Union([Type.Literal('nw'), Type.Literal('bsd')], { description: 'a peer: nw or bsd' }), {
      minItems: 2,
      maxItems: 16,
      default: ['nw', 'nw', 'bsd', 'bsd'],
      description:
        'the peers on this host, in order: nw = NWConnectionGroup (Network framework), bsd = BSD socket through the addon',
    }),
    interface: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "interface every peer must use (e.g. en0); default: the first LAN interface for BSD peers and the witness, the system's choice for NW peers",
      }),
    ),
    group: Type.String({
      pattern: GROUP_PATTERN,
      default: '239.255.0.3',
      description: 'multicast group (IPv4 239/8 or an IPv6 ff0x:: scope the safety rule allows)',
    }),
    port: Type.Integer({ minimum: 1024, maximum: 65535, default: 47840, description: 'UDP port of the group' }),
    rounds: Type.Integer({ minimum: 1, maximum: 2000, default: 20, description: 'probes each peer sends' }),
    warmup: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 2,
      description: 'first rounds not judged (group joins settling)',
    }),
    intervalMs: Type.Integer({ minimum: 0, maximum: 1000, default: 20, description: 'pause between rounds' }),
    settleMs: Type.Integer({
      minimum: 0,
      maximum: 10_000,
      default: 500,
      description: 'wait after the last round for late datagrams',
    }),
    readyTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60_000,
      default: 5000,
      description: 'how long a group may take to become ready',
    }),
    ttl: Type.Integer({
      minimum: 1,
      maximum: 255,
      default: 1,
      description: 'hop limit of the probes (1: never past the first router)',
    }),
  },
  { additionalProperties: false },
);
export type PeersWith = Static<typeof PeersWith>;

export const PeersExpect = Type.Object(
  {
    maxLossPercent: Type.Number({
      minimum: 0,
      maximum: 100,
      default: 0,
      description: "loss allowed per direction and between an NW peer's completed sends and the witness",
    }),
  },
  { additionalProperties: false },
);
export type PeersExpect = Static<typeof PeersExpect>;

export const BroadcastWith = Type.Object(
  {
    address: Type.Literal('255.255.255.255', {
      default: '255.255.255.255',
      description: 'the IPv4 limited broadcast address offered to Network framework as a group',
    }),
    port: Type.Integer({ minimum: 1024, maximum: 65535, default: 47841, description: 'UDP port' }),
    readyTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60_000,
      default: 3000,
      description: 'how long to wait for the group to settle',
    }),
  },
  { additionalProperties: false },
);
export type BroadcastWith = Static<typeof BroadcastWith>;

export const NoExpect = Type.Object(
  {},
  { additionalProperties: false, description: 'no expectations: the documented behaviour must hold' },
);
export type NoExpect = Static<typeof NoExpect>;
