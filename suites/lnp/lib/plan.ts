/**
 * What the lnp probe agent (agent.ts) is asked to do and what it reports, one JSON object per
 * stdout line. Shared by the harness side (probe-run.ts) and the agent, which may run in another
 * launch context (a LaunchAgent, root) where only this file and node's own modules are loaded.
 */

/** The four kinds of local-network traffic the matrix covers. */
export type TrafficKind = 'unicast' | 'broadcast' | 'multicast4' | 'multicast6';
export const TRAFFIC_KINDS: readonly TrafficKind[] = ['unicast', 'broadcast', 'multicast4', 'multicast6'];
export const KIND_LABEL: Record<TrafficKind, string> = {
  unicast: 'unicast',
  broadcast: 'broadcast',
  multicast4: 'multicast v4',
  multicast6: 'multicast v6',
};

export interface SendStep {
  kind: TrafficKind;
  /** Destination (a lab address, a broadcast or a group; link-local v6 with %ifname). */
  address: string;
  port: number;
  /** IPv4 address of the interface to send from (broadcast bind / IP_MULTICAST_IF). */
  ifaceV4?: string;
  /** Interface name (IPv6 multicast interface). */
  ifname?: string;
}

export interface ReceiveStep {
  kind: TrafficKind;
  port: number;
  /** Group to join (multicast kinds). */
  group?: string;
  ifaceV4?: string;
  ifname?: string;
}

export interface AgentPlan {
  /** Marks this probe's datagrams (payload `NCLNP <token> <kind> <n> from-<agent|peer>`), so witnesses can tell them apart. */
  token: string;
  sends: SendStep[];
  receives: ReceiveStep[];
  /** Datagrams per send step. */
  count: number;
  /** How long to listen after the sends (ms). */
  receiveMs: number;
}

export type AgentEvent =
  | { event: 'listening'; kinds: TrafficKind[] }
  | { event: 'bind-error'; kind: TrafficKind; code: string }
  | { event: 'send'; kind: TrafficKind; sent: number; code?: string }
  | { event: 'recv'; kind: TrafficKind; from: string }
  | { event: 'done'; uid: number };

/** `from` tells a witness which way a datagram went (the agent's send, or the peer's to the agent). */
export const payloadFor = (token: string, kind: TrafficKind, n: number, from: 'agent' | 'peer'): string =>
  `NCLNP ${token} ${kind} ${n} from-${from}`;

/** Parses one agent stdout line; undefined for anything else. */
export function parseAgentLine(line: string): AgentEvent | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as { event?: unknown };
    return typeof v.event === 'string' ? (v as AgentEvent) : undefined;
  } catch {
    return undefined;
  }
}
