/**
 * The host side of the peer agents (peer-agent.ts): in host mode a scenario names the agents'
 * addresses in `with.peers`; each becomes the listener (and, for multicast receive, the sender)
 * of the segment it stands on. Which segment that is is measured, not configured: it is the
 * host interface the agent's hello answer arrived on (IP_PKTINFO).
 */
import { randomBytes } from 'node:crypto';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { Datagram } from '../../../native/types.ts';
import { Type } from '@sinclair/typebox';
import { errText } from './evidence.ts';
import { DEFAULT_PEER_PORT, parseReply, type HeardEntry, type Reply, type Request } from './peer-protocol.ts';
import { assertSafeDestination, isSafeDestination } from '../../../harness/net/safety.ts';
import { openSocket, sendFrom, type Endpoint, type SegIface } from './topology.ts';

/** The `with.peers` / `with.peerPort` properties every host-mode scenario shares (JSON Schema via TypeBox). */
export const Peers = Type.Array(
  Type.String({
    format: 'ipv4',
    description: 'the IPv4 address of one peer agent (198.18.0.0/15, or link-local with --allow-host-network)',
    examples: ['198.18.1.2'],
  }),
  {
    uniqueItems: true,
    description:
      'host mode: IPv4 addresses of peer agents (netconform agent), one per segment to measure; lab mode ignores it',
  },
);
export const PeerPort = Type.Integer({
  minimum: 1024,
  maximum: 65535,
  default: DEFAULT_PEER_PORT,
  description: `host mode: the peer agents' UDP control port (default ${DEFAULT_PEER_PORT})`,
});

export type SendArgs = Omit<Extract<Request, { op: 'send' }>, 'op' | 'id'>;

export interface RemotePeer {
  name: string;
  address: string;
  platform: string;
  /** The host interface the agent is reached through: its column. */
  iface: SegIface;
  /** The agent's own interface facing the host (for evidence). */
  agentIface: string;
  listen(run: string, family: 4 | 6, port: number, group?: string): Promise<void>;
  send(a: SendArgs): Promise<void>;
  collect(run: string): Promise<HeardEntry[]>;
}

export interface PeerSet {
  peers: RemotePeer[];
  /** One line per named agent that did not answer or stands on no tested interface. */
  problems: string[];
}

export class PeerError extends Error {
  constructor(
    readonly code: 'ERR_PEER_TIMEOUT' | 'ERR_PEER_REFUSED',
    message: string,
  ) {
    super(message);
  }
}

const TRIES = 3;
const TRY_MS = 700;

/** Says hello to every named agent through `host`; the ones that answer become peers. */
export async function connectPeers(
  ctx: ScenarioContext,
  host: Endpoint,
  addresses: string[],
  port: number,
  signal: AbortSignal,
): Promise<PeerSet> {
  const problems: string[] = [];
  const from = sendFrom(ctx, host);
  const ctl = openSocket(ctx, host, { family: 4 });
  ctl.bind('0.0.0.0', 0);
  const waiting = new Map<string, (r: Reply, d: Datagram) => void>();
  ctl.on('message', (d: Datagram) => {
    const r = parseReply(d.data);
    if (r) waiting.get(r.id)?.(r, d);
  });
  ctl.startReceiving();

  const request = async (address: string, req: Request, extraMs = 0): Promise<{ reply: Reply; arrival: Datagram }> => {
    assertSafeDestination(address, from);
    const data = Buffer.from(JSON.stringify(req));
    try {
      for (let t = 0; t < TRIES && !signal.aborted; t++) {
        const got = await new Promise<{ reply: Reply; arrival: Datagram } | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), TRY_MS + extraMs);
          waiting.set(req.id, (reply, arrival) => {
            clearTimeout(timer);
            resolve({ reply, arrival });
          });
          ctl.send(data, address, port);
        });
        if (got?.reply.op === 'error')
          throw new PeerError(
            'ERR_PEER_REFUSED',
            `peer agent ${address} refused ${req.op}: ${got.reply.code} ${got.reply.message}`,
          );
        if (got) return got;
      }
    } finally {
      waiting.delete(req.id);
    }
    throw new PeerError(
      'ERR_PEER_TIMEOUT',
      `peer agent ${address}:${port} did not answer ${req.op} (${TRIES} tries, ${TRY_MS + extraMs} ms each)`,
    );
  };
  const newId = (): string => randomBytes(6).toString('hex');

  const peers: RemotePeer[] = [];
  const byIndex = new Map(host.ifaces().map((i) => [i.index, i]));
  for (const address of addresses) {
    if (!isSafeDestination(address, from)) {
      problems.push(
        `peer ${address} is outside the addresses netconform sends to (loopback, 198.18.0.0/15, link-local with --allow-host-network): not contacted`,
      );
      continue;
    }
    let hello: { reply: Reply; arrival: Datagram };
    try {
      hello = await request(address, { op: 'hello', id: newId() });
    } catch (err) {
      problems.push(err instanceof PeerError ? `${err.message}: is netconform agent running there?` : errText(err));
      continue;
    }
    if (hello.reply.op !== 'hello') continue;
    const iface = byIndex.get(hello.arrival.ifindex);
    if (!iface) {
      problems.push(
        `peer ${hello.reply.name} (${address}) answered through if#${hello.arrival.ifindex}, not a tested interface of ${host.label}`,
      );
      continue;
    }
    const runs = new Set<string>();
    ctx.defer(async () => {
      for (const run of runs) await request(address, { op: 'close', id: newId(), run }).catch(() => undefined); // its TTL closes it otherwise
    });
    peers.push({
      name: hello.reply.name,
      address,
      platform: hello.reply.platform,
      iface,
      agentIface: hello.reply.facing?.name ?? '?',
      async listen(run, family, probePort, group) {
        runs.add(run);
        await request(address, {
          op: 'listen',
          id: newId(),
          run,
          family,
          port: probePort,
          ...(group ? { group } : {}),
        });
      },
      async send(a) {
        runs.add(a.run);
        await request(address, { op: 'send', id: newId(), ...a }, a.count * (a.intervalMs + 2));
      },
      async collect(run) {
        const out: HeardEntry[] = [];
        for (let part = 0, parts = 1; part < parts; part++) {
          const { reply } = await request(address, { op: 'collect', id: newId(), run, part });
          if (reply.op !== 'collect') break;
          parts = reply.parts;
          out.push(...reply.entries);
        }
        return out;
      },
    });
  }
  return { peers, problems };
}

/** The peer standing on each segment (the first named, when several share one). */
export function peerBySegment(set: PeerSet): Map<string, RemotePeer> {
  const m = new Map<string, RemotePeer>();
  for (const p of set.peers) if (!m.has(p.iface.segment)) m.set(p.iface.segment, p);
  return m;
}
