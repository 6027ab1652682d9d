/**
 * keepalive.honoured with your own client (`strategy: sut`): the profile's SUT connects to the
 * gateway emulator (protocol-agnostic: any bytes, and a new connection is a session), the harness
 * blackholes the gateway's link as for the reference clients, and tcpdump on the client's own link
 * shows its keepalive probes and the reset that ends them (./wire-detection.ts). The SUT gets
 * `${gateway.address}`, `${gateway.port}` and the timers it should set: `${keepalive.idleSec}`,
 * `${keepalive.intervalSec}`, `${keepalive.count}`.
 */
import { check, type Check, type Evidence } from '../../../harness/model/check.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import { CaptureError, startCapture } from '../../lib/net/tcp-capture.ts';
import { sleep } from '../../lib/net/timing.ts';
import { startGateway } from '../../lib/tunnel/gateway-handle.ts';
import { EventLog } from '../../lib/tunnel/launch.ts';
import type { HostsParam, KeepaliveParam } from '../../lib/tunnel/params.ts';
import { tunnelLab } from '../../lib/tunnel/lab-hosts.ts';
import { CpuWaitMeter } from '../../lib/lateness/cpu-wait.ts';
import { latenessBound, LatenessMonitor } from '../../lib/lateness/monitor.ts';
import { expectedDeadPeerMs, judgeDetection } from './detection.ts';
import { probeHint, readDetection } from './wire-detection.ts';

const NAME = 'dead peer detected';
const START_TIMEOUT_MS = 15_000;
/** How long tcpdump may take to print a segment after it crossed the link. */
const CAPTURE_CATCH_UP_MS = 200;

export async function honouredBySut(
  ctx: ScenarioContext,
  w: { keepalive: KeepaliveParam; hosts: HostsParam; port: number },
  e: { toleranceMs: number },
  signal: AbortSignal,
): Promise<Check[]> {
  if (!ctx.sut)
    return [
      check.error(NAME, 'strategy "sut" needs a sut: section (profile or scenario) naming your client\'s command'),
    ];
  const tl = tunnelLab(ctx, w.hosts);
  if (typeof tl === 'string') return [check.error(NAME, tl)];
  const { lab, gatewayAddress: gwAddr } = tl;
  const { client: clientHost, gateway: gwHost, segment } = w.hosts;
  const clientIface = lab.host(clientHost).iface(segment);
  if (!clientIface.ipv4) return [check.error(NAME, `client host ${clientHost} has no IPv4 address on ${segment}`)];
  const clientAddr = clientIface.ipv4.address;
  const log = new EventLog(ctx);
  const ka = w.keepalive;
  const expected = expectedDeadPeerMs(ka);
  const gw = await startGateway(
    ctx,
    log,
    { who: 'gateway', host: gwHost, address: gwAddr, port: w.port, dpd: 'none', dpdTimeoutMs: 0, agnostic: true },
    signal,
  );
  let cap: Awaited<ReturnType<typeof startCapture>>;
  try {
    cap = await startCapture(ctx, clientHost, clientIface.name, clientAddr, gwAddr, signal, { port: gw.port });
  } catch (err) {
    if (err instanceof CaptureError) return [check.error(NAME, `the client's link cannot be read: ${err.message}`)];
    throw err;
  }
  const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
  ctx.defer(() => lateness.stop());
  // A SUT that does not start throws its SutError: the runner makes it the scenario's error.
  const sut = await ctx.startSut(
    { ...ctx.sut, host: ctx.sut.host ?? clientHost },
    {
      'gateway.address': gwAddr,
      'gateway.port': String(gw.port),
      'keepalive.idleSec': String(ka.idleSec),
      'keepalive.intervalSec': String(ka.intervalSec),
      'keepalive.count': String(ka.count),
    },
  );
  if (!(await log.waitFor((x) => x.who === 'gateway' && x.event === 'handshake', START_TIMEOUT_MS, signal))) {
    return [
      check.error(NAME, `the client never connected to the gateway within ${START_TIMEOUT_MS / 1000} s`, [
        log.timelineEvidence('client'),
      ]),
    ];
  }

  // Blackhole: the gateway's link down, so probes vanish (no answer, no RST). Undone on every path.
  ctx.defer(() => lab.linkUp(gwHost, segment).catch(() => undefined));
  await lab.linkDown(gwHost, segment);
  const blackholedAt = ctx.elapsedMs();
  log.mark('harness', 'blackhole', `${gwHost}/${segment} link down`);
  const waitMs = expected + e.toleranceMs + Math.max(2000, expected);
  ctx.progress(
    `watching the client's keepalive on the wire (dead peer expected after ${(expected / 1000).toFixed(1)}s)`,
    waitMs,
  );
  const cpu = CpuWaitMeter.of(sut.process);
  const deadline = blackholedAt + waitMs;
  // The last segment in: its time is only known once tcpdump printed it.
  await sleep(CAPTURE_CATCH_UP_MS, signal);
  const ended = (): boolean => readDetection(cap.segments, clientAddr, gwAddr, blackholedAt).endMs !== undefined;
  while (!ended() && ctx.elapsedMs() < deadline && !signal.aborted) await sleep(50, signal);
  const clientWait = cpu.since();
  await lab.linkUp(gwHost, segment);
  log.mark('harness', 'link restored', `${gwHost}/${segment} link up`);

  const d = readDetection(cap.segments, clientAddr, gwAddr, blackholedAt);
  const waited = d.lastRxMs === undefined ? waitMs : deadline - d.lastRxMs;
  if (d.lastRxMs !== undefined) {
    lateness.record({
      what: 'the blackhole came {ms} after the last segment',
      atMs: blackholedAt,
      lateMs: blackholedAt - d.lastRxMs,
      boundMs: (ka.idleSec * 1000) / 2,
      detail: `past half the idle time (${ka.idleSec} s) the first keepalive probe may already have been answered`,
    });
  }
  if (clientWait !== null)
    lateness.record({
      sutWait: true,
      what: 'the client waited {ms} for a CPU while the dead peer was due',
      atMs: ctx.elapsedMs(),
      lateMs: clientWait.ms,
      boundMs: latenessBound(e.toleranceMs),
      detail: `its kernel's timers do not wait for it, but its start did (its ${clientWait.source})`,
    });
  const unanswered = d.endMs === undefined ? d.probesMs.length : d.probesMs.filter((p) => p < d.endMs!).length;
  const plural = unanswered === 1 ? 'probe' : 'probes';
  const verdict = judgeDetection({
    keepalive: ka,
    applied: {},
    strategy: 'sut',
    measuredMs: d.endMs,
    toleranceMs: e.toleranceMs,
    waitedMs: waitMs,
    code: d.endHow === 'RST' && unanswered > 0 ? 'ETIMEDOUT' : d.endHow,
    reported: `the client reset the connection (RST after ${unanswered} unanswered keepalive ${plural}, on the wire)`,
    hint: probeHint(d, ka, e.toleranceMs, waited),
  });
  const evidence: Evidence[] = [
    {
      kind: 'numbers',
      title: 'expected vs measured (on the wire)',
      values: {
        strategy: 'sut',
        idleSec: ka.idleSec,
        intervalSec: ka.intervalSec,
        count: ka.count,
        expectedMs: expected,
        measuredMs: d.endMs === undefined ? null : Math.round(d.endMs),
        errorMs: d.endMs === undefined ? null : Math.round(d.endMs - expected),
        toleranceMs: e.toleranceMs,
        probesAfterLastSegmentMs: d.probesMs.map((p) => Math.round(p)).join(' ') || null,
        ended: d.endHow ?? null,
        blackholeAfterLastSegmentMs: d.lastRxMs === undefined ? null : Math.round(blackholedAt - d.lastRxMs),
      },
      units: {
        expectedMs: 'ms',
        measuredMs: 'ms',
        errorMs: 'ms',
        toleranceMs: 'ms',
        blackholeAfterLastSegmentMs: 'ms',
      },
    },
    {
      kind: 'expected-measured',
      title: 'dead-peer detection time: expected (idle + interval × count) vs measured on the wire',
      unit: 'ms',
      items: [
        {
          name: 'sut',
          expected,
          measured: d.endMs === undefined ? null : Math.round(d.endMs),
          tolerance: e.toleranceMs,
          ok: verdict.ok,
        },
      ],
    },
    {
      kind: 'timeline',
      title: "the client's link (tcpdump)",
      events: cap.segments
        .filter((x) => x.src === clientAddr || x.dst === clientAddr)
        .slice(-40)
        .map((x) => ({
          t: Math.round(x.t),
          source: x.src === clientAddr ? 'client' : 'gateway',
          event: `[${x.flags}] ${x.length ? `${x.length} bytes` : ''}`.trim(),
        })),
    },
    log.timelineEvidence('keepalive'),
  ];
  return [
    lateness.guard(
      verdict.ok ? check.pass(NAME, verdict.reason, evidence) : check.fail(NAME, verdict.reason, evidence),
    ),
  ];
}
