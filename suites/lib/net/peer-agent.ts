/**
 * The peer agent: a real responder for host mode. Run it on a machine on each segment you want
 * measured (`netconform agent --name peer-b --allow-host-network [--port 47800]`, the command in
 * harness/cli/agent-command.ts; in a checkout, this file run directly does the same); name its
 * address in `with.peers`.
 * Without --allow-host-network it still listens and answers, but refuses to send multicast.
 *
 * It answers the control requests of peer-protocol.ts on one IPv4 UDP port. Everything it
 * does happens on the interface the request arrived on (IP_PKTINFO, ip(7)) — the one facing
 * the host, i.e. the segment it stands for: `listen` opens a socket bound to that interface
 * (SO_BINDTODEVICE / IP_BOUND_IF) on the probe port, joined to the group there; `send` sends
 * probes to a group with IP_MULTICAST_IF on it; `collect` returns what this run heard.
 * Bounded: a run's sockets close after RUN_TTL_MS, at most MAX_RUNS runs and MAX_ENTRIES
 * arrivals per run are kept, and every reply goes through the project's send-safety rule.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { createUdpSocket, listInterfaces } from '../../../native/index.ts';
import type { Datagram, NetInterface, UdpSocket } from '../../../native/types.ts';
import { errCode } from './evidence.ts';
import {
  DEFAULT_PEER_PORT,
  ENTRIES_PER_PART,
  parseRequest,
  type AgentInterface,
  type HeardEntry,
  type Reply,
  type Request,
} from './peer-protocol.ts';
import { decodeProbe, encodeProbe } from './probe.ts';
import { assertSafeDestination, type SendFrom } from '../../../harness/net/safety.ts';
import { sleep } from './timing.ts';

const RUN_TTL_MS = 120_000;
const MAX_RUNS = 32;
const MAX_ENTRIES = 20_000;
const REPLY_CACHE = 256;

interface RunState {
  sockets: UdpSocket[];
  heard: HeardEntry[];
  timer: NodeJS.Timeout;
}

export interface PeerAgent {
  name: string;
  port: number;
  close(): void;
}

export interface PeerAgentOptions {
  name: string;
  port?: number;
  /** Like the harness's flag: multicast sends and link-local replies reach this machine's real network. */
  allowHostNetwork?: boolean;
  log?: (line: string) => void;
}

export function startPeerAgent(opts: PeerAgentOptions): PeerAgent {
  const log = opts.log ?? (() => undefined);
  // The agent runs on a real machine (or, in the tests, a lab namespace it cannot tell from one).
  const from: SendFrom = { where: 'host', allowHostNetwork: opts.allowHostNetwork === true };
  const runs = new Map<string, RunState>();
  /** Answers by request id (undefined while the request is still being carried out). */
  const answered = new Map<string, Reply | undefined>();
  const control = createUdpSocket({ family: 4, reuseAddr: true });
  control.bind('0.0.0.0', opts.port ?? DEFAULT_PEER_PORT);

  const closeRun = (run: string): void => {
    const st = runs.get(run);
    if (!st) return;
    clearTimeout(st.timer);
    for (const s of st.sockets) s.close();
    runs.delete(run);
  };
  const runState = (run: string): RunState => {
    let st = runs.get(run);
    if (!st) {
      if (runs.size >= MAX_RUNS) closeRun(runs.keys().next().value!);
      st = { sockets: [], heard: [], timer: setTimeout(() => closeRun(run), RUN_TTL_MS) };
      st.timer.unref();
      runs.set(run, st);
    }
    return st;
  };
  const reply = (to: Datagram, r: Reply): void => {
    answered.set(r.id, r);
    if (answered.size > REPLY_CACHE) answered.delete(answered.keys().next().value!);
    assertSafeDestination(to.address, from);
    control.send(Buffer.from(JSON.stringify(r)), to.address, to.port);
  };

  async function handle(req: Request, facing: NetInterface | undefined): Promise<Reply> {
    const id = req.id;
    switch (req.op) {
      case 'hello': {
        const a4 = facing?.addresses.find((a) => a.family === 4);
        const f: AgentInterface | undefined = facing && {
          name: facing.name,
          ipv4: a4?.address,
          prefixLength: a4?.prefixLength,
        };
        return { op: 'hello', id, name: opts.name, platform: process.platform, facing: f };
      }
      case 'listen': {
        if (!facing) return { op: 'error', id, code: 'ENOIFACE', message: 'the request arrived on no known interface' };
        const st = runState(req.run);
        const sock = createUdpSocket({ family: req.family, reuseAddr: true, broadcast: true });
        st.sockets.push(sock);
        sock.bindToDevice(facing.name);
        sock.bind(req.family === 4 ? '0.0.0.0' : '::', req.port);
        if (req.group) sock.addMembership(req.group, facing.index);
        sock.on('message', (d: Datagram) => {
          const p = decodeProbe(d.data);
          if (!p || p.run !== req.run || st.heard.length >= MAX_ENTRIES) return;
          st.heard.push([p.row, p.seq, facing.name, d.address, d.destination, d.timestampNs.toString(), p.sentNs]);
        });
        sock.startReceiving();
        return { op: 'ok', id };
      }
      case 'send': {
        if (!facing) return { op: 'error', id, code: 'ENOIFACE', message: 'the request arrived on no known interface' };
        assertSafeDestination(req.group, from);
        const sock = createUdpSocket({ family: req.family });
        try {
          sock.setMulticastInterface(facing.index);
          sock.setMulticastTTL(req.ttl);
          sock.setMulticastLoopback(req.loopback);
          for (let i = 0; i < req.count; i++) {
            sock.send(encodeProbe(req.run, req.row, i), req.group, req.port);
            if (req.intervalMs) await sleep(req.intervalMs);
          }
        } finally {
          sock.close();
        }
        return { op: 'ok', id, sent: req.count };
      }
      case 'collect': {
        const heard = runs.get(req.run)?.heard ?? [];
        const parts = Math.max(1, Math.ceil(heard.length / ENTRIES_PER_PART));
        return {
          op: 'collect',
          id,
          part: req.part,
          parts,
          entries: heard.slice(req.part * ENTRIES_PER_PART, (req.part + 1) * ENTRIES_PER_PART),
        };
      }
      case 'close':
        closeRun(req.run);
        return { op: 'ok', id };
    }
  }

  control.on('message', (d: Datagram) => {
    const req = parseRequest(d.data);
    if (!req) return;
    if (answered.has(req.id)) {
      const prev = answered.get(req.id);
      if (prev) reply(d, prev); // a retry: the same answer again; in progress: the answer follows
      return;
    }
    answered.set(req.id, undefined);
    const facing = listInterfaces().find((i) => i.index === d.ifindex);
    handle(req, facing)
      .then(
        (r) => reply(d, r),
        (err: unknown) => reply(d, { op: 'error', id: req.id, code: errCode(err), message: (err as Error).message }),
      )
      .catch((err: unknown) => log(`reply to ${d.address} failed: ${(err as Error).message}`));
    log(`${req.op} from ${d.address} on ${facing?.name ?? `if#${d.ifindex}`}`);
  });
  control.on('error', (e: Error) => log(`control socket: ${e.message}`));
  control.startReceiving();
  return {
    name: opts.name,
    port: control.address().port,
    close() {
      for (const run of [...runs.keys()]) closeRun(run);
      control.close();
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      name: { type: 'string' },
      port: { type: 'string' },
      'allow-host-network': { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  });
  const agent = startPeerAgent({
    name: values.name ?? (await import('node:os')).hostname(),
    port: values.port ? Number(values.port) : DEFAULT_PEER_PORT,
    allowHostNetwork: values['allow-host-network'] === true,
    log: values.verbose ? (l) => console.log(l) : undefined,
  });
  console.log(`peer agent ${agent.name} listening on 0.0.0.0:${agent.port}`);
  const stop = (): void => {
    agent.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
