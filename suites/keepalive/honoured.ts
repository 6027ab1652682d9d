/**
 * keepalive.honoured: the client sets TCP keepalive idle/interval/count; the harness
 * blackholes the path (the gateway's link goes down, so probes get no answer and no RST) and
 * measures when the client's socket reports the dead peer (ETIMEDOUT). tcp(7): the first
 * probe goes after TCP_KEEPIDLE seconds without traffic, then one every TCP_KEEPINTVL
 * seconds; after TCP_KEEPCNT unanswered probes the connection is dropped — so the expected
 * time from the last received segment is idle + interval × count.
 *
 * With `strategy: sut` the client is your own, and its kernel's keepalive is read from the wire
 * on its link instead (./lib/sut-client.ts): the probes it sends and the reset that ends them.
 *
 * What the harness's lateness can spoil, measured (suites/lib/lateness): a blackhole that lands
 * after the first probe was already answered (more than half the idle time after the last
 * segment) restarts the kernel's count; a client that waited for a CPU while the dead peer
 * was due reports it late. Past a quarter of the tolerance either is an error, not a verdict.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { startGateway } from '../lib/tunnel/gateway-handle.ts';
import { EventLog, startTool } from '../lib/tunnel/launch.ts';
import { Hosts, keepaliveParam } from '../lib/tunnel/params.ts';
import { Enum } from '../lib/params.ts';
import { expectedDeadPeerMs, judgeDetection } from './lib/detection.ts';
import { tunnelLab } from '../lib/tunnel/lab-hosts.ts';
import { CpuWaitMeter } from '../lib/lateness/cpu-wait.ts';
import { honouredBySut } from './lib/sut-client.ts';
import { latenessBound, LatenessMonitor } from '../lib/lateness/monitor.ts';

/** Real time a client gets to start (node + tsx) and complete its handshake; a busy machine needs seconds. */
const START_TIMEOUT_MS = 15_000;

const With = Type.Object(
  {
    strategy: Enum(['kernel-keepalive', 'node-keepalive', 'sut'], {
      default: 'kernel-keepalive',
      description:
        "kernel-keepalive sets TCP_KEEPIDLE/INTVL/CNT through the addon; node-keepalive uses only socket.setKeepAlive (idle only: the known-bad case); sut: the profile's own client (argv gets ${gateway.address}, ${gateway.port}, ${keepalive.idleSec}, ${keepalive.intervalSec}, ${keepalive.count}), judged from the wire on its link (its probes and the reset that ends them)",
    }),
    keepalive: keepaliveParam('what the client sets (tcp(7), whole seconds); keep it small: 1/1/2 takes 3 s'),
    hosts: Hosts,
    port: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 4501,
      description: 'TCP port the gateway listens on in its lab host',
    }),
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    toleranceMs: Type.Number({
      minimum: 0,
      default: 500,
      description: 'allowed |measured − (idle + interval × count)|, in ms',
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'keepalive.honoured',
  summary: 'TCP keepalive idle/interval/count honoured: the dead peer is reported after idle + interval × count',
  platforms: ['linux'],
  requires: ['linux', 'root', 'lab', 'addon'],
  defaultTimeoutMs: 60_000,
  sutVariables: {
    'gateway.address': { description: 'the peer your client connects to (with strategy: sut)' },
    'gateway.port': { description: "the peer's TCP port" },
    'keepalive.idleSec': { description: 'the keepalive idle time the client must set (TCP_KEEPIDLE), in s' },
    'keepalive.intervalSec': { description: 'the probe interval it must set (TCP_KEEPINTVL), in s' },
    'keepalive.count': { description: 'the probe count it must set (TCP_KEEPCNT)' },
  },
  timingJudged: true,
  withSchema: With,
  expectSchema: Expect,

  async run(ctx, { with: w, expect: e }, signal): Promise<Check[]> {
    const name = 'dead peer detected';
    if (w.strategy === 'sut') return honouredBySut(ctx, w, e, signal);
    const tl = tunnelLab(ctx, w.hosts);
    if (typeof tl === 'string') return [check.error(name, tl)];
    const { lab, gatewayAddress: gwAddr } = tl;
    const log = new EventLog(ctx);
    const { client: clientHost, gateway: gwHost, segment } = w.hosts;
    const gw = await startGateway(
      ctx,
      log,
      { who: 'gateway', host: gwHost, address: gwAddr, port: w.port, dpd: 'none', dpdTimeoutMs: 0, agnostic: false },
      signal,
    );
    const ka = w.keepalive;
    const expected = expectedDeadPeerMs(ka);
    const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
    ctx.defer(() => lateness.stop());
    const { proc: client } = await startTool(ctx, log, {
      who: 'client',
      tool: 'client',
      host: clientHost,
      signal,
      app: true,
      args: [
        '--gateway',
        gw.address,
        '--port',
        String(gw.port),
        '--strategy',
        w.strategy,
        '--keepalive',
        `${ka.idleSec},${ka.intervalSec},${ka.count}`,
        '--no-reconnect',
      ],
    });
    const set = await log.waitFor(
      (x) =>
        x.who === 'client' && (x.event === 'keepalive-set' || x.event === 'keepalive-error' || x.event === 'fatal'),
      START_TIMEOUT_MS,
      signal,
    );
    if (set?.event !== 'keepalive-set')
      return [
        check.error(
          name,
          `the client did not set keepalive: ${set?.detail ?? `no report within ${START_TIMEOUT_MS / 1000} s`}`,
          [log.timelineEvidence('client')],
        ),
      ];
    if (!(await log.waitFor((x) => x.who === 'client' && x.event === 'handshake', START_TIMEOUT_MS, signal))) {
      return [
        check.error(name, 'the client never completed its handshake with the gateway', [
          log.timelineEvidence('client'),
        ]),
      ];
    }

    // Blackhole: the gateway's link down, so probes vanish (no answer, no RST). Undone on every path.
    ctx.defer(() => lab.linkUp(gwHost, segment).catch(() => undefined));
    await lab.linkDown(gwHost, segment);
    const blackholedAt = ctx.elapsedMs();
    const hole = log.mark('harness', 'blackhole', `${gwHost}/${segment} link down`);
    const waitMs = expected + e.toleranceMs + Math.max(2000, expected);
    ctx.progress(
      `waiting for the client to declare its peer dead (expected after ${(expected / 1000).toFixed(1)}s)`,
      waitMs,
    );
    const cpu = CpuWaitMeter.of(client);
    const dead = await log.waitFor((x) => x.who === 'client' && x.event === 'dead-peer', waitMs, signal);
    const clientWait = cpu.since();
    await lab.linkUp(gwHost, segment);
    log.mark('harness', 'link restored', `${gwHost}/${segment} link up`);

    const measured = dead?.n?.lastRxTs !== undefined ? dead.ts - dead.n.lastRxTs : undefined;
    if (dead?.n?.lastRxTs !== undefined) {
      lateness.record({
        what: 'the blackhole came {ms} after the last segment',
        atMs: blackholedAt,
        lateMs: hole.ts - dead.n.lastRxTs,
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
        detail: `the machine did not run it, so it reported late (its ${clientWait.source})`,
      });
    const verdict = judgeDetection({
      keepalive: ka,
      applied: set.n ?? {},
      strategy: w.strategy,
      measuredMs: measured,
      code: dead?.detail,
      toleranceMs: e.toleranceMs,
      waitedMs: waitMs,
    });
    const evidence: Evidence[] = [
      {
        kind: 'numbers',
        title: 'expected vs measured',
        values: {
          strategy: w.strategy,
          idleSec: ka.idleSec,
          intervalSec: ka.intervalSec,
          count: ka.count,
          appliedIdleSec: set.n?.idleSec ?? null,
          appliedIntervalSec: set.n?.intervalSec ?? null,
          appliedCount: set.n?.count ?? null,
          expectedMs: expected,
          measuredMs: measured === undefined ? null : Math.round(measured),
          errorMs: measured === undefined ? null : Math.round(measured - expected),
          toleranceMs: e.toleranceMs,
          sinceBlackholeMs: dead ? Math.round(dead.t - blackholedAt) : null,
          error: dead?.detail ?? null,
        },
        units: { expectedMs: 'ms', measuredMs: 'ms', errorMs: 'ms', toleranceMs: 'ms', sinceBlackholeMs: 'ms' },
      },
      {
        kind: 'expected-measured',
        title: 'dead-peer detection time: expected (idle + interval × count) vs measured',
        unit: 'ms',
        items: [
          {
            name: w.strategy,
            expected,
            measured: measured === undefined ? null : Math.round(measured),
            tolerance: e.toleranceMs,
            ok: verdict.ok,
            ...(measured === undefined ? { waited: waitMs } : {}),
          },
        ],
      },
      log.timelineEvidence('keepalive'),
    ];
    // Lateness can move the measurement either way (a restarted count, a late report): both verdicts yield.
    return [
      lateness.guard(
        verdict.ok ? check.pass(name, verdict.reason, evidence) : check.fail(name, verdict.reason, evidence),
      ),
    ];
  },
});
