/**
 * The peer agent's control protocol: JSON in UDP datagrams on one IPv4 port (default 47800).
 *
 * Host mode has no lab namespaces to put listeners in, so a segment is measured through a
 * peer agent (suites/lib/net/peer-agent.ts) running on another machine on that segment: the
 * host asks it to listen for this run's probes (joined to a group if any), or to send probes
 * to a group, and then collects what it heard. Every request carries an id; the agent answers
 * each id once and repeats the same answer for a retried id, so a lost datagram costs a retry,
 * never a duplicated action.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const DEFAULT_PEER_PORT = 47800;
/** Arrivals per collect answer: keeps an answer near 4 KiB (fragments at most on a 1500-byte link). */
export const ENTRIES_PER_PART = 40;

const Family = Type.Union([Type.Literal(4), Type.Literal(6)], { description: 'address family of the probes' });

export const Hello = Type.Object(
  { op: Type.Literal('hello'), id: Type.String({ description: 'request id' }) },
  { additionalProperties: false },
);

export const Listen = Type.Object(
  {
    op: Type.Literal('listen'),
    id: Type.String({ description: 'request id' }),
    run: Type.String({ description: "the probes' run tag: other datagrams are ignored" }),
    family: Family,
    port: Type.Integer({ minimum: 1024, maximum: 65535, description: 'UDP port the probes are sent to' }),
    group: Type.Optional(Type.String({ description: 'multicast group to join on the interface facing the host' })),
  },
  { additionalProperties: false },
);

export const Send = Type.Object(
  {
    op: Type.Literal('send'),
    id: Type.String({ description: 'request id' }),
    run: Type.String({ description: 'run tag written into each probe' }),
    row: Type.String({ description: 'matrix row written into each probe' }),
    family: Family,
    group: Type.String({
      description: 'multicast group to send to, on the interface facing the host (IP_MULTICAST_IF)',
    }),
    port: Type.Integer({ minimum: 1024, maximum: 65535, description: 'destination port' }),
    count: Type.Integer({ minimum: 1, maximum: 2000, description: 'datagrams to send (sequence numbers 0…count-1)' }),
    intervalMs: Type.Integer({ minimum: 0, maximum: 1000, description: 'pause between datagrams' }),
    ttl: Type.Integer({ minimum: 0, maximum: 255, description: 'IP_MULTICAST_TTL / IPV6_MULTICAST_HOPS' }),
    loopback: Type.Boolean({ description: 'IP_MULTICAST_LOOP: the agent hears its own sends' }),
  },
  { additionalProperties: false },
);

export const Collect = Type.Object(
  {
    op: Type.Literal('collect'),
    id: Type.String({ description: 'request id' }),
    run: Type.String({ description: 'run tag' }),
    part: Type.Integer({ minimum: 0, description: `which slice of ${ENTRIES_PER_PART} arrivals` }),
  },
  { additionalProperties: false },
);

export const Close = Type.Object(
  {
    op: Type.Literal('close'),
    id: Type.String({ description: 'request id' }),
    run: Type.String({ description: 'run tag' }),
  },
  { additionalProperties: false },
);

export const Request = Type.Union([Hello, Listen, Send, Collect, Close]);
export type Request = Static<typeof Request>;

export interface AgentInterface {
  name: string;
  ipv4?: string;
  prefixLength?: number;
}

/** One datagram the agent heard: [row, seq, interface name, source, destination, rxNs, sentNs]. */
export type HeardEntry = [string, number, string, string, string, string, string];

export type Reply =
  | { op: 'hello'; id: string; name: string; platform: string; facing: AgentInterface | undefined }
  | { op: 'ok'; id: string; sent?: number }
  | { op: 'collect'; id: string; part: number; parts: number; entries: HeardEntry[] }
  | { op: 'error'; id: string; code: string; message: string };

export function parseRequest(data: Buffer): Request | undefined {
  try {
    const v: unknown = JSON.parse(data.toString('utf8'));
    return Value.Check(Request, v) ? v : undefined;
  } catch {
    return undefined;
  }
}

export function parseReply(data: Buffer): Reply | undefined {
  try {
    const v = JSON.parse(data.toString('utf8')) as Partial<Reply>;
    return typeof v === 'object' && v !== null && typeof v.op === 'string' && typeof v.id === 'string'
      ? (v as Reply)
      : undefined;
  } catch {
    return undefined;
  }
}
