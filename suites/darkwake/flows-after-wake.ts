/**
 * darkwake.flows-after-wake: some proxies stop handling new flows after a wake. The proxy (a
 * reference one, or the profile's SUT) sleeps through the schedule; at the start of every
 * wake (each dark wake and the full wake, plus a baseline before the first sleep) the harness
 * opens one new TCP flow through it — connect to its port on the proxy host, send a line,
 * wait for the echo from the gateway host — and each must succeed within `maxFlowMs`, timed
 * by the prober from its connect (after the proxy was resumed). The harness's own lateness —
 * the prober starting a probe late after the signal, its event loop stalling during one, the
 * schedule's phases off their length — is measured; past a quarter of `maxFlowMs` a failed
 * flow is an error naming it, not a verdict on the proxy (suites/lib/lateness).
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario, describeExit, sutExitIsFailure } from '../../harness/model/scenario.ts';
import { startGateway } from '../lib/tunnel/gateway-handle.ts';
import { EventLog, startTool } from '../lib/tunnel/launch.ts';
import { flowVerdict, goodFlow, lateFlowExplained, type FlowResult } from './lib/flows.ts';
import { sleepModelProperties } from './lib/params.ts';
import { DurationParam, Enum } from '../lib/params.ts';
import { DEFAULT_SCHEDULE_ERROR_MS, runNight, scheduleEvidence } from './lib/night.ts';
import { describeLateness, latenessBound, LatenessMonitor } from '../lib/lateness/monitor.ts';
import { epochNowMs } from '../lib/tunnel/events.ts';
import { CpuWaitMeter } from '../lib/lateness/cpu-wait.ts';
import { nightSwimlane } from './lib/swimlane.ts';
import { compileSchedule } from './lib/schedule.ts';
import { parseDuration } from '../../harness/util/duration.ts';
import { tunnelLab } from '../lib/tunnel/lab-hosts.ts';

const With = Type.Object(
  {
    proxy: Enum(['good', 'stale-after-wake', 'sut'], {
      default: 'good',
      description:
        'reference proxy (good, or the known-bad stale-after-wake), or "sut": the profile\'s proxy, given ${gateway.address}, ${gateway.port} and ${flow.port}',
    }),
    flow: Type.Object(
      {
        address: Type.String({
          default: '127.0.0.1',
          description: 'address the proxy listens on in the client host: loopback or a lab address',
        }),
        port: Type.Integer({
          minimum: 1,
          maximum: 65535,
          default: 18080,
          description: 'port the proxy listens on (${flow.port})',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: "where new flows go: the proxy's listening address and port in the client host",
      },
    ),
    upstreamPort: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 4510,
      description: 'echo server port in the gateway host (${gateway.port})',
    }),
    startTimeout: DurationParam('10s', 'real time the proxy gets to come up'),
    ...sleepModelProperties,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    maxFlowMs: Type.Number({
      exclusiveMinimum: 0,
      default: 200,
      description: 'each new flow must echo within this (real ms); must fit in a scaled dark wake',
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'darkwake.flows-after-wake',
  summary: 'after every wake, a new TCP flow through the proxy (SUT) must connect and echo within a bound',
  platforms: ['linux'],
  requires: ['linux', 'root', 'lab'],
  defaultTimeoutMs: 120_000,
  timingJudged: true,
  sutExit: 'failure',
  sutVariables: {
    'gateway.address': { description: "the echo server's address (the far side of every flow)" },
    'gateway.port': { description: "the echo server's port" },
    'flow.port': { description: 'the port the proxy under test must listen on for new flows' },
  },
  withSchema: With,
  expectSchema: Expect,

  async run(ctx, { with: w, expect: e }, signal): Promise<Check[]> {
    const name = 'flows after wake';
    const tl = tunnelLab(ctx, w.hosts);
    if (typeof tl === 'string') return [check.error(name, tl)];
    const { gatewayAddress: gwAddr } = tl;
    // How long the prober waits for an echo: the shortest dark wake (after it the proxy is stopped), at least the bound.
    let windowMs = e.maxFlowMs;
    try {
      const shortest = Math.min(
        ...compileSchedule(w.schedule, w.timeScale, { minDarkWakeMs: parseDuration(w.minDarkWake) })
          .filter((p) => p.kind === 'darkwake')
          .map((p) => p.scaledMs),
      );
      windowMs = Math.max(e.maxFlowMs, shortest);
      if (shortest < e.maxFlowMs) {
        return [
          check.error(
            name,
            `maxFlowMs ${e.maxFlowMs} ms does not fit in a dark wake of ${shortest} ms at timeScale ${w.timeScale}: lengthen the dark wake or raise timeScale`,
          ),
        ];
      }
    } catch (err) {
      return [check.error(name, (err as Error).message)];
    }
    const log = new EventLog(ctx);
    const { client: clientHost, gateway: gwHost } = w.hosts;
    const echo = await startGateway(
      ctx,
      log,
      {
        who: 'gateway',
        host: gwHost,
        address: gwAddr,
        port: w.upstreamPort,
        dpd: 'none',
        dpdTimeoutMs: 0,
        agnostic: true,
        echo: true,
      },
      signal,
    );
    const prober = await startTool(ctx, log, {
      who: 'prober',
      tool: 'prober',
      host: clientHost,
      readyEvent: 'ready',
      signal,
      timely: true,
      args: ['--target', w.flow.address, '--port', String(w.flow.port), '--timeout-ms', String(windowMs)],
    });

    const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
    ctx.defer(() => lateness.stop());
    const sent: Array<{
      label: string;
      seq: number;
      at: number;
      epoch: number;
      proxyWaitMs?: number | null;
      proxyWaitSource?: string;
    }> = [];
    let proxy: { pid: number; cgroup?: string | undefined } = { pid: 0 };
    const night = await runNight(ctx, log, {
      params: w,
      signal,
      lateness,
      scheduleErrorMs: DEFAULT_SCHEDULE_ERROR_MS,
      startTimeoutMs: parseDuration(w.startTimeout),
      firstHandshake: (x) => x.who === 'harness' && x.event === 'proxy up',
      startClient: async (gapMs) => {
        if (w.proxy === 'sut') {
          if (!ctx.sut) throw new Error('proxy "sut" needs a sut: section naming your proxy\'s command');
          const h = await ctx.startSut(
            { ...ctx.sut, host: ctx.sut.host ?? clientHost },
            { 'gateway.address': echo.address, 'gateway.port': String(echo.port), 'flow.port': String(w.flow.port) },
          );
          log.mark('harness', 'proxy up', 'SUT ready');
          proxy = h.process;
          return { proc: h.process, who: 'sut' as const, reportsAlerts: () => false };
        }
        const { proc } = await startTool(ctx, log, {
          who: 'proxy',
          tool: 'proxy',
          host: clientHost,
          readyEvent: 'listening',
          signal,
          app: true,
          args: [
            '--listen-port',
            String(w.flow.port),
            '--upstream',
            echo.address,
            '--upstream-port',
            String(echo.port),
            '--strategy',
            w.proxy,
            '--gap-ms',
            String(gapMs),
          ],
        });
        log.mark('harness', 'proxy up', `reference proxy (${w.proxy})`);
        proxy = proc;
        return { proc, who: 'client' as const, reportsAlerts: () => false };
      },
      onPhase: (rec) => {
        if (rec.phase.kind === 'sleep') return;
        // One new flow at the start of each wake; the prober numbers them in SIGUSR1 order.
        const flow = {
          label: rec.phase.label,
          seq: sent.length + 1,
          at: ctx.elapsedMs(),
          epoch: epochNowMs(),
          proxyWaitMs: undefined as number | null | undefined,
          proxyWaitSource: undefined as string | undefined,
        };
        sent.push(flow);
        // How long the proxy waited for a CPU while this flow was timed (read again when the result comes).
        const cpu = CpuWaitMeter.of(proxy);
        void log
          .waitFor((x) => x.who === 'prober' && x.event === 'flow' && x.n?.seq === flow.seq, e.maxFlowMs + 2000, signal)
          .then((ev) => {
            if (!ev) return;
            const w = cpu.since();
            flow.proxyWaitMs = w?.ms ?? null;
            flow.proxyWaitSource = w?.source;
          });
        try {
          process.kill(prober.proc.pid, 'SIGUSR1');
        } catch {
          // The prober is gone; the flow shows as missing.
        }
      },
      afterNight: async () => {
        for (const s of sent)
          await log.waitFor(
            (x) => x.who === 'prober' && x.event === 'flow' && x.n?.seq === s.seq,
            e.maxFlowMs + 1000,
            signal,
          );
      },
    });
    if (night.setupError) return [check.error(name, night.setupError, night.evidence)];

    const bound = latenessBound(e.maxFlowMs);
    // Each flow's result, and the harness's lateness on it, all of it: the proxy's CPU wait, the prober's late start and its stalls.
    const flows = sent.map((s) => {
      const ev = log.events.find((x) => x.who === 'prober' && x.event === 'flow' && x.n?.seq === s.seq);
      const beganLateMs = ev?.n?.t0 !== undefined ? ev.n.t0 - s.epoch : undefined;
      if (beganLateMs !== undefined)
        lateness.record({
          what: `the prober began the flow at ${s.label}`,
          atMs: s.at,
          lateMs: beganLateMs,
          boundMs: bound,
          detail: 'after the harness signalled it',
        });
      if (typeof s.proxyWaitMs === 'number')
        lateness.record({
          sutWait: true,
          what: `the proxy waited {ms} for a CPU during the flow at ${s.label}`,
          atMs: s.at,
          lateMs: s.proxyWaitMs,
          boundMs: bound,
          detail: `the machine did not run it (its ${s.proxyWaitSource ?? 'threads'})`,
        });
      if (ev?.n?.stallMs !== undefined)
        lateness.record({
          what: `the prober's event loop during the flow at ${s.label}`,
          atMs: s.at,
          lateMs: ev.n.stallMs,
          boundMs: bound,
          detail: 'it ran late by that much while timing the echo',
        });
      const result: FlowResult = {
        wake: s.label,
        ok: ev?.n?.ok === 1,
        ms: ev?.n?.ms ?? null,
        detail: ev?.detail ?? 'no result from the prober',
        timedOut: ev?.n?.timedOut === 1,
        missing: ev === undefined,
      };
      const delayMs =
        (typeof s.proxyWaitMs === 'number' ? s.proxyWaitMs : 0) + Math.max(0, beganLateMs ?? 0) + (ev?.n?.stallMs ?? 0);
      return { result, delayMs };
    });
    const results = flows.map((f) => f.result);
    const failed = flows.filter((f) => !goodFlow(f.result, e.maxFlowMs));
    // A failure stands when no measured lateness explains any failed flow (a proxy that never answers is not slow).
    const unexplained =
      failed.length > 0 && failed.every((f) => !lateFlowExplained(f.result, f.delayMs, e.maxFlowMs, windowMs));
    const verdict = flowVerdict(results, e.maxFlowMs);
    const swimlane = nightSwimlane({
      client: night.client?.who ?? 'proxy',
      marks: night.marks,
      nightEndMs: night.nightEndMs,
      events: log.events,
      title: `night (${night.scheduleText})`,
      bounds: night.marks
        .filter((m) => m.kind === 'darkwake' || m.kind === 'fullwake')
        .map((m) => ({
          label: `flow within ${e.maxFlowMs} ms`,
          fromMs: Math.round(m.startMs),
          toMs: Math.round(m.startMs + e.maxFlowMs),
        })),
    });
    const evidence: Evidence[] = [verdict.matrix, swimlane, night.timeline(), scheduleEvidence(night, w.timeScale)];
    if (night.clientExit && w.proxy === 'sut' && sutExitIsFailure(this, ctx.sut)) {
      const { exit, during } = night.clientExit;
      return [
        check.fail(
          name,
          `the proxy under test exited mid-schedule (${describeExit(exit)}) during ${during}, so no later flow could pass; flows so far: ${verdict.summary}`,
          evidence,
        ),
      ];
    }
    if (night.clientError)
      return [check.error(name, `${night.clientError}; flows so far: ${verdict.summary}`, evidence)];
    // Lateness only makes a flow look slower: a pass stands; a failure yields to it unless the lateness cannot explain it.
    const worstLate = lateness.breaches()[0];
    const standing =
      unexplained && worstLate
        ? `; the harness was late (${describeLateness(worstLate)}) but that cannot explain it: each failed flow failed by more than its delay`
        : '';
    return [
      lateness.guard(
        verdict.ok
          ? check.pass(name, verdict.reason, evidence)
          : check.fail(name, `${verdict.reason}${standing}`, evidence),
        { keepPass: true, keepFail: unexplained },
      ),
    ];
  },
});
