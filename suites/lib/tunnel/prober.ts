/**
 * Flow prober for darkwake.flows-after-wake: on every SIGUSR1 it opens one new TCP flow to
 * --target:--port, sends a line and waits for its echo; it reports `flow` with the latency,
 * or the failure, within --timeout-ms. It runs in its own process group, so the sleep model
 * never stops it: only the proxy sleeps. Loopback or lab addresses only.
 *
 * Its own lateness goes with every result, so the scenario can tell a slow proxy from a
 * starved prober: `t0` (epoch ms the probe began; the scenario knows when it sent the signal)
 * and `stallMs`, the longest its event loop ran late during the probe. The timeout is
 * concluded only after the loop's poll phase (setImmediate after the timer): a starved prober
 * runs overdue timers before it reads sockets (libuv's loop order), and must not call an echo
 * that has already arrived missing.
 */
import net from 'node:net';
import { assertSafeDestination, UNICAST_ONLY } from '../../../harness/net/safety.ts';
import { LoopLagSampler } from '../lateness/loop-lag.ts';
import { emitEvent, epochNowMs, numArg, parseArgs } from './events.ts';

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const target = args.get('target') ?? '127.0.0.1';
  assertSafeDestination(target, UNICAST_ONLY);
  const port = numArg(args, 'port', 0);
  const timeoutMs = numArg(args, 'timeout-ms', 1000);
  let seq = 0;
  const lag = new LoopLagSampler(() => performance.now(), { intervalMs: 5, thresholdMs: 2 });
  lag.start();

  const probe = (n: number): void => {
    const t0 = performance.now();
    const t0Epoch = epochNowMs();
    const payload = `probe ${n}\n`;
    let got = '';
    let done = false;
    const finish = (ok: boolean, detail: string, timedOut = false): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      const end = performance.now();
      const stalls = lag.stallsIn(t0, end);
      const stallMs = stalls.length ? Math.max(...stalls.map((x) => x.lagMs)) : 0;
      emitEvent('prober', 'flow', {
        detail: ok ? 'ok' : detail,
        n: { seq: n, ms: end - t0, ok: ok ? 1 : 0, t0: t0Epoch, stallMs, timedOut: timedOut ? 1 : 0 },
      });
    };
    const sock = net.connect({ host: target, port, noDelay: true }, () => sock.write(payload));
    const timer = setTimeout(
      () => setImmediate(() => finish(false, `no echo within ${timeoutMs} ms${got ? ' (partial)' : ''}`, true)),
      timeoutMs,
    );
    sock.on('data', (b: Buffer) => {
      got += b.toString('latin1');
      if (got.includes(payload)) finish(true, 'ok');
    });
    sock.on('error', (e: NodeJS.ErrnoException) => finish(false, e.code ?? e.message));
    sock.on('close', () => finish(false, 'closed before the echo'));
  };

  process.on('SIGUSR1', () => probe(++seq));
  process.on('SIGTERM', () => process.exit(0));
  setInterval(() => undefined, 60_000); // stay alive between probes (the lag sampler is unref'd)
  emitEvent('prober', 'ready', { detail: `${target}:${port}` });
}

try {
  main();
} catch (err) {
  emitEvent('prober', 'fatal', { detail: (err as Error).message });
  process.exit(2);
}
