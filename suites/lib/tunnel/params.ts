/**
 * `with:` pieces shared by the darkwake and keepalive scenarios, written once (TypeBox: the
 * schema an editor shows and the type the scenario reads).
 */
import { Type, type Static } from '@sinclair/typebox';

export const Hosts = Type.Object(
  {
    client: Type.String({
      default: 'client',
      description: 'lab host of the client (or SUT) that sleeps or is blackholed',
    }),
    gateway: Type.String({
      default: 'gateway',
      description: 'lab host of the gateway (or echo server) the client talks to',
    }),
    segment: Type.String({
      default: 'lan',
      description: "lab segment whose link goes down (the client's for a sleep, the gateway's for a blackhole)",
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description: 'lab hosts: the client (or SUT) that sleeps, the gateway, and the segment whose link goes down',
    examples: [{ client: 'client', gateway: 'gateway', segment: 'lan' }],
  },
);
export type HostsParam = Static<typeof Hosts>;

const keepaliveProperties = {
  idleSec: Type.Integer({
    minimum: 1,
    maximum: 7200,
    default: 1,
    description: 'TCP_KEEPIDLE: seconds without traffic before the first probe',
  }),
  intervalSec: Type.Integer({
    minimum: 1,
    maximum: 600,
    default: 1,
    description: 'TCP_KEEPINTVL: seconds between unanswered probes',
  }),
  count: Type.Integer({
    minimum: 1,
    maximum: 20,
    default: 2,
    description: 'TCP_KEEPCNT: unanswered probes before the connection is dropped',
  }),
};

/**
 * tcp(7): TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT, whole seconds; never scaled (the kernel's
 * clock). `description` says whose keepalive it is in the scenario at hand.
 */
export function keepaliveParam(description: string) {
  return Type.Object(keepaliveProperties, { additionalProperties: false, default: {}, description });
}
export type KeepaliveParam = Static<ReturnType<typeof keepaliveParam>>;
