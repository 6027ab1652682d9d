/**
 * darkwake.churn's gateway when the profile brings its own (`gateway.command`): tcpdump on the
 * gateway's link first (every segment of the client's connections to its port), then the
 * command (suites/lib/tunnel/gateway-command.ts). What the night needs of a gateway — its
 * address and port, and which sessions are open after the full wake — comes from the wire
 * (./wire.ts).
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { CaptureError, startCapture } from '../../lib/net/tcp-capture.ts';
import { sleep } from '../../lib/net/timing.ts';
import { epochNowMs } from '../../lib/tunnel/events.ts';
import { startGatewayCommand, type GatewayCommandParams } from '../../lib/tunnel/gateway-command.ts';
import type { EventLog } from '../../lib/tunnel/launch.ts';
import type { HostsParam } from '../../lib/tunnel/params.ts';
import { WireSessions } from './wire.ts';

/** How long tcpdump may take to print a segment after it crossed the link (line-buffered, immediate mode). */
const CAPTURE_CATCH_UP_MS = 200;

export interface OwnGateway {
  address: string;
  port: number;
  wire: WireSessions;
  /** Sessions open on the wire now (after the capture has caught up). */
  openSessions(signal: AbortSignal): Promise<number[]>;
}

export async function startOwnGateway(
  ctx: ScenarioContext,
  log: EventLog,
  o: {
    hosts: HostsParam;
    address: string;
    port: number;
    params: GatewayCommandParams & { command: string[] };
    tls?: { cert: string; key: string };
    signal: AbortSignal;
  },
): Promise<OwnGateway | string> {
  const lab = ctx.lab!;
  const { client, gateway, segment } = o.hosts;
  const clientAddress = lab.host(client).iface(segment).ipv4?.address;
  if (!clientAddress) return `client host ${client} has no IPv4 address on ${segment}`;
  const wire = new WireSessions(log, epochNowMs() - ctx.elapsedMs(), { address: o.address, port: o.port });
  try {
    await startCapture(ctx, gateway, lab.host(gateway).iface(segment).name, clientAddress, o.address, o.signal, {
      port: o.port,
      onSegment: wire.onSegment,
    });
  } catch (err) {
    if (err instanceof CaptureError) return `the gateway link cannot be read: ${err.message}`;
    throw err;
  }
  const vars: Record<string, string> = {
    'gateway.address': o.address,
    'gateway.port': String(o.port),
    ...(o.tls ? { 'gateway.cert': o.tls.cert, 'gateway.key': o.tls.key } : {}),
  };
  try {
    await startGatewayCommand(ctx, { host: gateway, params: o.params, port: o.port, vars, signal: o.signal });
  } catch (err) {
    return (err as Error).message;
  }
  return {
    address: o.address,
    port: o.port,
    wire,
    async openSessions(signal: AbortSignal): Promise<number[]> {
      const at = ctx.elapsedMs();
      await sleep(CAPTURE_CATCH_UP_MS, signal);
      return wire.openAt(at);
    },
  };
}
