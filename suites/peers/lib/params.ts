/** peers.symmetric-connect parameters, written once (TypeBox: the schema and the type). */
import { Type, type Static } from '@sinclair/typebox';

export const With = Type.Object(
  {
    hosts: Type.Optional(
      Type.Array(Type.String({ description: 'a lab host' }), {
        minItems: 2,
        maxItems: 2,
        uniqueItems: true,
        description: 'the two lab hosts the SUT instances run in (default: the first two hosts that share a segment)',
      }),
    ),
    ids: Type.Optional(
      Type.Array(
        Type.String({
          minLength: 1,
          pattern: '^[A-Za-z0-9._-]+$',
          description: 'an id of letters, digits, ".", "_" and "-"',
        }),
        {
          minItems: 2,
          maxItems: 2,
          uniqueItems: true,
          description: '${self.id} of each instance, in the order of hosts (default: the host names)',
        },
      ),
    ),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65000,
      default: 27900,
      description:
        "listen port of attempt 1 (${listen.port}); attempt k uses port + k - 1, so no attempt sees an earlier one's connections. Keep them below 32768, outside the ephemeral ports (Linux 32768-60999, ip(7); macOS 49152-65535): an instance's own outgoing connection may hold port + k in its host and make the later listen fail with EADDRINUSE",
    }),
    skewsMs: Type.Array(Type.Integer({ minimum: 0, maximum: 10000, description: 'a start skew, in ms' }), {
      minItems: 1,
      uniqueItems: true,
      default: [0, 1, 10, 100],
      description:
        'delays between the two starts, in ms; every skew runs `repeat` times, the first starter alternating between the hosts',
    }),
    repeat: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'attempts per skew' }),
    observeMs: Type.Integer({
      minimum: 50,
      maximum: 60000,
      default: 1000,
      description: 'how long the connections are observed after both instances are ready',
    }),
    holdMs: Type.Integer({
      minimum: 0,
      maximum: 60000,
      default: 500,
      description:
        'how long a connection must have been established at the end of the observation to count (must be below observeMs)',
    }),
    skewToleranceMs: Type.Number({
      minimum: 0,
      maximum: 1000,
      default: 5,
      description:
        "how far the measured start skew may be off the intended one before the attempt is the harness's error, not the SUT's",
    }),
  },
  { additionalProperties: false },
);
export type With = Static<typeof With>;

export const Expect = Type.Object(
  {
    connections: Type.Integer({
      minimum: 0,
      maximum: 16,
      default: 1,
      description: 'established connections between the pair at the end of each attempt',
    }),
    bidirectional: Type.Boolean({
      default: true,
      description: 'each kept connection must have carried data both ways (payload bytes seen on the wire)',
    }),
  },
  { additionalProperties: false },
);
export type Expect = Static<typeof Expect>;
