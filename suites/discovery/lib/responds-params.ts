/** discovery.responds's parameters (TypeBox: the schema the loader checks and the type `run` sees). */
import { Type, type Static } from '@sinclair/typebox';
import { RowReach } from '../../lib/net/matrix.ts';
import { Group, Segments } from '../../lib/net/params.ts';
import { Described, Enum } from '../../lib/params.ts';
import { MDNS_TYPES, PRESETS } from './queries.ts';

export const RespondsWith = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        description: 'lab host for the SUT when sut.host is not set (default: the one with most links)',
        examples: ['multi'],
      }),
    ),
    segments: Type.Optional(Segments("segments whose peer queries the SUT (default: every segment of the SUT's host)")),
    preset: Type.Optional(
      Enum(PRESETS, {
        description:
          'mdns: a standard mDNS query to 224.0.0.251:5353 (ff02::fb with family 6); ' +
          'ssdp: an M-SEARCH to 239.255.255.250:1900; without it, with.payload and with.port',
      }),
    ),
    family: Enum([4, 6], {
      default: 4,
      description: "IP version of the queries and of the preset's group (default 4)",
    }),
    group: Type.Optional(
      Described(Group, {
        description:
          "group the SUT serves, ${group} in the SUT command (default: the preset's; " +
          "without a preset and group, each segment's IPv4 directed broadcast)",
        examples: ['224.0.0.251'],
      }),
    ),
    port: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: "UDP port the SUT serves, ${port} in the SUT command (default: the preset's, 5353 or 1900)",
      }),
    ),
    target: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 253,
        description:
          'what the query asks for, ${target} in the SUT command: the mDNS question name ' +
          '(default _services._dns-sd._udp.local) or the SSDP ST (default ssdp:all)',
      }),
    ),
    mdnsType: Enum(MDNS_TYPES, { default: 'PTR', description: 'record type of the mDNS question (default PTR)' }),
    payload: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1400,
        description:
          'the query itself, instead of a preset: text sent as is after ' +
          '${segment}, ${group}, ${port} and ${target} are filled in',
      }),
    ),
    answerPattern: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          "regular expression an answer's text must match " +
          "(default: a preset's own check, or any datagram from the SUT for a payload)",
      }),
    ),
    tries: Type.Integer({
      minimum: 1,
      maximum: 20,
      default: 3,
      description: 'queries sent per segment, until one is answered (default 3)',
    }),
    intervalMs: Type.Integer({
      minimum: 10,
      maximum: 10000,
      default: 300,
      description: 'time between the queries of one segment, in ms (default 300)',
    }),
    timeoutMs: Type.Integer({
      minimum: 100,
      maximum: 60000,
      default: 2000,
      description: "time for an answer to each segment's query, in ms from its first query (default 2000)",
    }),
  },
  { additionalProperties: false },
);
export type RespondsWith = Static<typeof RespondsWith>;

export const RespondsExpect = Type.Object(
  {
    answers: Described(RowReach, {
      default: 'all',
      description: 'segments whose query must be answered on that same segment (default all)',
    }),
    elsewhere: Type.Boolean({
      default: true,
      description:
        "an answer may also arrive on segments other than the query's " + '(default true; false: such an answer fails)',
    }),
  },
  { additionalProperties: false },
);
export type RespondsExpect = Static<typeof RespondsExpect>;
