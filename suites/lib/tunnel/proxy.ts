/**
 * Reference local proxy for darkwake.flows-after-wake, run as its own process in a lab host:
 * accepts flows on --listen (loopback) and relays each one to --upstream over the lab link.
 *
 *   --listen-port P       port on 127.0.0.1 (0 = any; the `listening` event says which)
 *   --upstream A --upstream-port P
 *   --strategy S          good: every flow is relayed;
 *                         stale-after-wake: after the first resume from a stop it still
 *                         accepts flows but never relays them (the "proxy stops handling new
 *                         flows after a wake" bug), so they hang until the prober gives up
 *   --gap-ms N            a timer firing N ms late means the process was stopped
 */
import net from 'node:net';
import { assertSafeDestination, UNICAST_ONLY } from '../../../harness/net/safety.ts';
import { emitEvent, numArg, parseArgs } from './events.ts';

const MAX_FLOWS = 1000;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const upstream = args.get('upstream') ?? '';
  assertSafeDestination(upstream, UNICAST_ONLY);
  const upstreamPort = numArg(args, 'upstream-port', 0);
  const strategy = args.get('strategy') ?? 'good';
  if (strategy !== 'good' && strategy !== 'stale-after-wake')
    throw new Error(`--strategy must be good or stale-after-wake, got ${strategy}`);
  const gapMs = numArg(args, 'gap-ms', 150);
  let stale = false;
  let flows = 0;

  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (now - last > gapMs) {
      emitEvent('proxy', 'resumed', { n: { gapMs: Math.round(now - last) } });
      if (strategy === 'stale-after-wake') stale = true;
    }
    last = now;
  }, 20);

  const server = net.createServer((down) => {
    if (++flows > MAX_FLOWS) return down.destroy();
    down.on('error', () => undefined);
    if (stale) return; // accepted, never relayed: the bug under test
    const up = net.connect({ host: upstream, port: upstreamPort, noDelay: true });
    up.on('error', () => down.destroy());
    down.on('close', () => up.destroy());
    up.on('close', () => down.destroy());
    down.pipe(up);
    up.pipe(down);
  });
  server.listen(numArg(args, 'listen-port', 0), '127.0.0.1', () => {
    emitEvent('proxy', 'listening', {
      detail: `127.0.0.1 → ${upstream}:${upstreamPort} (${strategy})`,
      n: { port: (server.address() as net.AddressInfo).port },
    });
  });
  process.on('SIGTERM', () => process.exit(0));
}

try {
  main();
} catch (err) {
  emitEvent('proxy', 'fatal', { detail: (err as Error).message });
  process.exit(2);
}
