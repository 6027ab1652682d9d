/**
 * The client that sleeps: a reference tunnel client (suites/lib/tunnel/client.ts) with a
 * strategy, or the profile's SUT given the gateway through `${gateway.address}` and
 * `${gateway.port}` (sut.ts substitutes any `${name}` up to the closing brace, dots included),
 * and `${gateway.tls}` ("1" or "0") and `${gateway.ca}` (the certificate to trust; "" without TLS).
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ManagedProcess, ProcessExit } from '../../../harness/process/types.ts';
import { startTool, type EventLog } from '../../lib/tunnel/launch.ts';
import type { KeepaliveParam } from './params.ts';

export const STRATEGIES = ['heartbeat-naive', 'kernel-keepalive', 'wake-aware', 'sut'] as const;
export type Strategy = (typeof STRATEGIES)[number];

export interface ClientUnderTest {
  proc: ManagedProcess;
  /** Timeline source name: 'client' or 'sut'. */
  who: 'client' | 'sut';
  /** Reference clients print `alert` events; a SUT may (same JSON-line format) or not. */
  reportsAlerts: () => boolean;
}

export interface ClientOptions {
  strategy: Strategy;
  host: string;
  gatewayAddress: string;
  gatewayPort: number;
  /** Scaled, real ms. */
  heartbeatMs: number;
  deferMs: number;
  gapMs: number;
  keepalive: KeepaliveParam;
  /** The gateway speaks TLS: the PEM certificate the client must trust (its own, self-signed). */
  tlsCa?: string;
}

export async function startClient(
  ctx: ScenarioContext,
  log: EventLog,
  o: ClientOptions,
  signal: AbortSignal,
): Promise<ClientUnderTest> {
  if (o.strategy === 'sut') {
    if (!ctx.sut)
      throw new Error('strategy "sut" needs a sut: section (profile or scenario) naming your client\'s command');
    const spec = { ...ctx.sut, host: ctx.sut.host ?? o.host };
    const handle = await ctx.startSut(spec, {
      'gateway.address': o.gatewayAddress,
      'gateway.port': String(o.gatewayPort),
      'gateway.tls': o.tlsCa ? '1' : '0',
      'gateway.ca': o.tlsCa ?? '',
    });
    // The SUT's stdout lines are already logged by startSut; JSON event lines among them count too.
    const proc = handle.process;
    const seen = { n: 0 };
    const poll = setInterval(() => {
      for (; seen.n < proc.output.length; seen.n++) {
        const l = proc.output[seen.n]!;
        if (l.startsWith('[stdout] ')) log.line('sut', 'sut', l.slice(9));
      }
    }, 20);
    ctx.defer(() => clearInterval(poll));
    void proc.exited.then(() => clearInterval(poll));
    return { proc, who: 'sut', reportsAlerts: () => log.of('sut', 'alert').length > 0 };
  }
  const ka = `${o.keepalive.idleSec},${o.keepalive.intervalSec},${o.keepalive.count}`;
  const args = [
    '--gateway',
    o.gatewayAddress,
    '--port',
    String(o.gatewayPort),
    '--strategy',
    o.strategy,
    '--heartbeat-ms',
    String(Math.round(o.heartbeatMs)),
    '--defer-ms',
    String(Math.round(o.deferMs)),
    '--gap-ms',
    String(Math.round(o.gapMs)),
    '--keepalive',
    ka,
    ...(o.tlsCa ? ['--tls-ca', o.tlsCa] : []),
  ];
  const { proc } = await startTool(ctx, log, { who: 'client', tool: 'client', host: o.host, args, signal, app: true });
  return { proc, who: 'client', reportsAlerts: () => true };
}

/**
 * Stops the client: SIGCONT + SIGTERM, SIGKILL after `graceMs`. `hung` is true when it had to
 * be killed (it ignored SIGTERM) — for a SUT that is an error, not a verdict on churn.
 */
export async function stopClient(
  c: ClientUnderTest,
  graceMs: number,
): Promise<{ exit: ProcessExit; hung: boolean; crashed: boolean }> {
  if (!c.proc.running()) {
    const exit = await c.proc.exited;
    return { exit, hung: false, crashed: true };
  }
  const exit = await c.proc.stop(graceMs);
  return { exit, hung: exit.signal === 'SIGKILL', crashed: false };
}
