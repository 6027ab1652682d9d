/** Starting the gateway emulator (./gateway.ts) in a lab host and asking it for its open sessions. */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ManagedProcess } from '../../../harness/process/types.ts';
import { startTool, type EventLog } from './launch.ts';

export type DpdMode = 'app-heartbeat' | 'tcp-keepalive' | 'none';

export interface GatewayOptions {
  /** Timeline name, e.g. "gateway" or "gateway-hb" when there are two. */
  who: string;
  host: string;
  /** The host's lab address to listen on. */
  address: string;
  port: number;
  dpd: DpdMode;
  /** app-heartbeat: real ms of silence before a drop. */
  dpdTimeoutMs: number;
  keepalive?: { idleSec: number; intervalSec: number; count: number };
  /** A SUT speaks its own protocol: any bytes are liveness, a new connection is a handshake. */
  agnostic: boolean;
  echo?: boolean;
  /** A TLS server with this PEM pair (./cert.ts); plain TCP without it. */
  tls?: { cert: string; key: string };
}

export interface GatewayHandle {
  proc: ManagedProcess;
  address: string;
  port: number;
  /** Open session ids now (SIGUSR2 → `status` event); null if the gateway does not answer. */
  openSessions(signal: AbortSignal): Promise<number[] | null>;
}

export async function startGateway(
  ctx: ScenarioContext,
  log: EventLog,
  o: GatewayOptions,
  signal: AbortSignal,
): Promise<GatewayHandle> {
  const args = [
    '--address',
    o.address,
    '--port',
    String(o.port),
    '--dpd',
    o.dpd,
    '--dpd-timeout-ms',
    String(Math.round(o.dpdTimeoutMs)),
  ];
  if (o.keepalive) args.push('--keepalive', `${o.keepalive.idleSec},${o.keepalive.intervalSec},${o.keepalive.count}`);
  if (o.agnostic) args.push('--mode', 'agnostic');
  if (o.echo) args.push('--echo');
  if (o.tls) args.push('--tls-cert', o.tls.cert, '--tls-key', o.tls.key);
  const { proc, port } = await startTool(ctx, log, {
    who: o.who,
    tool: 'gateway',
    host: o.host,
    args,
    readyEvent: 'listening',
    signal,
    timely: true,
  });
  return {
    proc,
    address: o.address,
    port: port ?? o.port,
    async openSessions(sig: AbortSignal): Promise<number[] | null> {
      if (!proc.running()) return null;
      const asked = ctx.elapsedMs();
      try {
        process.kill(proc.pid, 'SIGUSR2');
      } catch {
        return null;
      }
      const ev = await log.waitFor((e) => e.who === o.who && e.event === 'status' && e.t >= asked - 5, 2000, sig);
      if (!ev) return null;
      return (ev.detail ?? '').split(',').filter(Boolean).map(Number);
    },
  };
}
