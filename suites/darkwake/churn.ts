/**
 * darkwake.churn: a long-lived tunnel client sleeps through a night of dark wakes; the
 * gateway's dead-peer detection and the client's strategy decide how often it re-handshakes.
 * The gateway is the emulator (its events are the record) or your own server
 * (`gateway.command`: the sessions are read from the wire on its link, ./lib/wire.ts).
 * Evidence: a timeline (phases, gateway and client events) and the churn counts.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario, describeExit, sutExitIsFailure } from '../../harness/model/scenario.ts';
import { parseDuration } from '../../harness/util/duration.ts';
import { generateGatewayCert } from '../lib/tunnel/cert.ts';
import { startGateway } from '../lib/tunnel/gateway-handle.ts';
import { EventLog } from '../lib/tunnel/launch.ts';
import { churnExpectProperties, countChurn, judge, summary } from './lib/churn-count.ts';
import { startClient, STRATEGIES } from './lib/client-under-test.ts';
import { keepaliveParam, sleepModelProperties } from './lib/params.ts';
import { DurationParam, Enum } from '../lib/params.ts';
import { DEFAULT_SCHEDULE_ERROR_MS, runNight, scheduleEvidence, type NightResult } from './lib/night.ts';
import { sleepHorizon } from './lib/compression.ts';
import { LatenessMonitor } from '../lib/lateness/monitor.ts';
import { nightSwimlane } from './lib/swimlane.ts';
import { tunnelLab } from '../lib/tunnel/lab-hosts.ts';
import { GatewayCommandProperties } from '../lib/tunnel/gateway-command.ts';
import { scaledParamMs } from './lib/schedule.ts';
import { describeConflicts, nightTimers, timerConflicts } from './lib/timers.ts';
import { startOwnGateway, type OwnGateway } from './lib/own-gateway.ts';
import { wireMatrix } from './lib/wire.ts';

const With = Type.Object(
  {
    strategy: Enum(STRATEGIES, {
      default: 'heartbeat-naive',
      description:
        'reference client strategy (heartbeat-naive, kernel-keepalive, wake-aware), or "sut" for the profile\'s own client (argv gets ${gateway.address}, ${gateway.port}, ${gateway.tls} and ${gateway.ca})',
    }),
    heartbeat: DurationParam('1m', 'app heartbeat period of the reference client (unscaled)'),
    wakeDefer: DurationParam(
      '2m',
      'wake-aware: how long after a resume it stays quiet before verifying (unscaled; longer than a dark wake)',
    ),
    keepalive: keepaliveParam('kernel-keepalive client: TCP keepalive it sets (real seconds)'),
    gateway: Type.Object(
      {
        dpd: Enum(['app-heartbeat', 'tcp-keepalive'], {
          default: 'app-heartbeat',
          description:
            'dead-peer detection: drop a silent session (app-heartbeat), or rely on kernel TCP keepalive (tcp-keepalive)',
        }),
        dpdTimeout: DurationParam('3m', 'app-heartbeat: silence before the gateway drops a session (unscaled)'),
        keepalive: keepaliveParam("tcp-keepalive DPD: the gateway's socket keepalive (real seconds)"),
        port: Type.Integer({
          minimum: 1,
          maximum: 65535,
          default: 4500,
          description: 'TCP port the gateway listens on in its lab host (${gateway.port})',
        }),
        echo: Type.Boolean({ default: false, description: 'with a SUT: echo what it sends' }),
        tls: Type.Boolean({
          default: false,
          description:
            'the gateway is a TLS server with a key and self-signed certificate (P-256, subjectAltName = its lab IP) generated at run time in-process (@peculiar/x509, no openssl) and removed at scenario end; a handshake is a completed TLS session. Reference clients verify it; a SUT gets ${gateway.tls} = "1" and ${gateway.ca} = the certificate\'s path (a PEM file readable in every lab host; "" without TLS). With command, your server gets the pair as ${gateway.cert} and ${gateway.key}',
        }),
        ...GatewayCommandProperties,
      },
      {
        additionalProperties: false,
        default: {},
        description:
          'the gateway the client keeps its tunnel to: the emulator (its dead-peer detection, port, echo and TLS) or, with command, your own server',
        examples: [
          { dpd: 'tcp-keepalive', keepalive: { idleSec: 1, intervalSec: 1, count: 2 } },
          { command: ['sut/keepalive-server.py', '${gateway.address}', '${gateway.port}'], minReaction: '3s' },
        ],
      },
    ),
    startTimeout: DurationParam('10s', 'real time the client gets for its first handshake'),
    compressSleep: Type.Boolean({
      default: true,
      description:
        "cut each sleep to just past the last dead-peer decision it can show (the gateway's DPD, the client kernel's keepalive) plus a margin: nothing observes the rest, so the verdicts stay the same and a night runs faster; the schedule evidence says how. Dark wakes are never cut; with strategy sut nothing is (your client may time its sleep)",
    }),
    ...sleepModelProperties,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    ...churnExpectProperties,
    maxScheduleErrorMs: Type.Number({
      minimum: 0,
      default: DEFAULT_SCHEDULE_ERROR_MS,
      description:
        "largest tolerated error (real ms) of a sleep's or dark wake's length as the client lived it, and never more than a quarter of the phase; past it the harness was late and the checks are errors, not verdicts on the client",
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'darkwake.churn',
  summary: 'sleep / dark-wake / full-wake schedule against a long-lived tunnel with dead-peer detection: churn counts',
  platforms: ['linux'],
  requires: ['linux', 'root', 'lab'],
  defaultTimeoutMs: 120_000,
  timingJudged: true,
  sutExit: 'failure',
  sutVariables: {
    'gateway.address': { description: "the gateway's address (with strategy: sut)" },
    'gateway.port': { description: "the gateway's port" },
    'gateway.tls': { description: '1 when the gateway speaks TLS, else 0' },
    'gateway.ca': {
      description: 'with TLS: the PEM file of the gateway certificate the client must trust; else empty',
    },
  },
  withSchema: With,
  expectSchema: Expect,

  async run(ctx, { with: w, expect: e }, signal): Promise<Check[]> {
    const tl = tunnelLab(ctx, w.hosts);
    if (typeof tl === 'string') return [check.error('churn', tl)];
    const { gatewayAddress: gwAddr } = tl;
    const scale = w.timeScale;
    const log = new EventLog(ctx);
    const command = w.gateway.command;
    // Your own server's dead-peer detection is its own: the harness reads its decisions from the wire.
    const dpd = command ? 'none' : w.gateway.dpd;
    const horizon = command
      ? {
          none: 'your gateway command: the harness cannot know when your server decides, so sleeps keep their scaled length',
        }
      : w.compressSleep
        ? sleepHorizon({
            strategy: w.strategy,
            dpd,
            dpdTimeoutMs: scaledParamMs(w.gateway.dpdTimeout, scale),
            gatewayKeepalive: w.gateway.keepalive,
            clientKeepalive: w.keepalive,
            kernelAwake: w.kernelAwake,
            scheduleErrorMs: e.maxScheduleErrorMs,
          })
        : { none: 'compressSleep: false' };
    // Before anything starts: a night whose scaled bounds cross the products' own real timers would mislead.
    const refusal = describeConflicts(
      timerConflicts(
        nightTimers({
          params: w,
          ...(command || dpd !== 'app-heartbeat' ? {} : { emulatorDpdTimeout: w.gateway.dpdTimeout }),
          ...(w.strategy === 'sut' && ctx.sut?.minReactionMs !== undefined ? { clientMs: ctx.sut.minReactionMs } : {}),
          ...(command && w.gateway.minReaction !== undefined
            ? { gatewayMs: parseDuration(w.gateway.minReaction) }
            : {}),
          ...('none' in horizon ? {} : { compression: horizon }),
        }),
      ),
      scale,
    );
    if (refusal) return [check.error('churn', refusal)];
    let tls: { cert: string; key: string } | undefined;
    if (w.gateway.tls) {
      const made = await generateGatewayCert(gwAddr, (f) => ctx.defer(f), signal, ctx.lab);
      if (!made.ok) return [check.error('churn', made.reason)];
      tls = made.cert;
      ctx.log(`gateway TLS: self-signed certificate for IP ${gwAddr} at ${tls.cert}`);
    }
    let own: OwnGateway | undefined;
    let gateway: { address: string; port: number; openSessions(signal: AbortSignal): Promise<number[] | null> };
    if (command) {
      const started = await startOwnGateway(ctx, log, {
        hosts: w.hosts,
        address: gwAddr,
        port: w.gateway.port,
        params: { ...w.gateway, command },
        ...(tls ? { tls } : {}),
        signal,
      });
      if (typeof started === 'string') return [check.error('churn', started)];
      ctx.log(
        "gateway: your command, judged from the wire; dpd, dpdTimeout, keepalive and echo are the emulator's and do not apply",
      );
      gateway = own = started;
    } else {
      gateway = await startGateway(
        ctx,
        log,
        {
          who: 'gateway',
          host: w.hosts.gateway,
          address: gwAddr,
          port: w.gateway.port,
          dpd: w.gateway.dpd,
          dpdTimeoutMs: scaledParamMs(w.gateway.dpdTimeout, scale),
          keepalive: dpd === 'tcp-keepalive' ? w.gateway.keepalive : undefined,
          agnostic: w.strategy === 'sut',
          echo: w.gateway.echo,
          ...(tls ? { tls } : {}),
        },
        signal,
      );
    }

    const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
    ctx.defer(() => lateness.stop());
    if ('none' in horizon) ctx.log(`sleeps not compressed: ${horizon.none}`);
    const night: NightResult = await runNight(ctx, log, {
      params: w,
      signal,
      lateness,
      scheduleErrorMs: e.maxScheduleErrorMs,
      ...('none' in horizon ? {} : { compression: horizon }),
      startClient: (gapMs) =>
        startClient(
          ctx,
          log,
          {
            strategy: w.strategy,
            host: w.hosts.client,
            gatewayAddress: gateway.address,
            gatewayPort: gateway.port,
            heartbeatMs: scaledParamMs(w.heartbeat, scale),
            deferMs: scaledParamMs(w.wakeDefer, scale),
            gapMs,
            keepalive: w.keepalive,
            ...(tls ? { tlsCa: tls.cert } : {}),
          },
          signal,
        ),
      firstHandshake: (ev) => ev.who === (own ? 'wire' : 'gateway') && ev.event === 'handshake',
      startTimeoutMs: parseDuration(w.startTimeout),
      afterNight: () => gateway.openSessions(signal),
    });
    if (night.setupError) return [check.error('churn', night.setupError, night.evidence)];

    // undefined when the night ended early (crash): then only the gateway's events decide.
    const open = (night.afterNight as number[] | null | undefined) ?? null;
    const events = log.events
      .filter((x) => x.t <= night.nightEndMs)
      .map((x) => ({ t: x.t, src: x.src, event: x.event, session: x.session }));
    const counts = countChurn(night.marks, events, open, night.client?.reportsAlerts() ?? false);
    const numbers: Evidence = {
      kind: 'numbers',
      title: 'churn',
      values: {
        strategy: w.strategy,
        gateway: own ? 'your command (judged from the wire)' : 'emulator',
        dpd,
        tls: w.gateway.tls,
        kernelAwake: w.kernelAwake,
        darkWakes: counts.darkWakes,
        handshakes: counts.handshakes,
        dpdDrops: counts.dpdDrops,
        dpdDropsDuringSleep: counts.dpdDropsDuringSleep,
        reconnectsPerDarkWake: counts.reconnectsPerDarkWake.join(' '),
        darkWakesWithReconnect: counts.darkWakesWithReconnect,
        maxReconnectsPerDarkWake: counts.maxReconnectsPerDarkWake,
        handshakesAtFullWake: counts.handshakesAtFullWake,
        disconnectAlerts: counts.disconnectAlerts,
        preSleepSession: counts.preSleepSession,
        sessionSurvivesFullWake: counts.sessionSurvivesFullWake,
        sessionUpAtEnd: counts.sessionUpAtEnd,
      },
    };
    const swimlane = nightSwimlane({
      client: night.client?.who ?? 'client',
      marks: night.marks,
      nightEndMs: night.nightEndMs,
      events: log.events,
      title: `night (${night.scheduleText})`,
      bounds: night.marks
        .filter((m) => m.kind === 'darkwake')
        .map((m) => ({
          label: `≤ ${e.maxReconnectsPerDarkWake} reconnect${e.maxReconnectsPerDarkWake === 1 ? '' : 's'}`,
          fromMs: Math.round(m.startMs),
          toMs: Math.round(night.marks[night.marks.indexOf(m) + 1]?.startMs ?? night.nightEndMs),
        })),
    });
    const onWire =
      own &&
      wireMatrix({
        phases: night.phases,
        marks: night.marks,
        nightEndMs: night.nightEndMs,
        sessions: own.wire.sessions(),
        segments: own.wire.segments,
        gatewayAddress: own.address,
        maxReconnectsPerDarkWake: e.maxReconnectsPerDarkWake,
      });
    const evidence = [swimlane, night.timeline(), numbers, ...(onWire ? [onWire] : []), ...night.evidence];
    const checks: Check[] = [];
    if (night.clientExit && w.strategy === 'sut' && sutExitIsFailure(this, ctx.sut)) {
      const { exit, during } = night.clientExit;
      checks.push(
        check.fail(
          'churn',
          `the client under test exited mid-schedule (${describeExit(exit)}) during ${during}: its tunnel is gone; counts so far: ${summary(counts)}`,
          evidence,
        ),
      );
    } else if (night.clientError) {
      checks.push(check.error('churn', `${night.clientError}; counts so far: ${summary(counts)}`, evidence));
    } else {
      const bad = judge(counts, e, { dpd, kernelAwake: w.kernelAwake, wire: own !== undefined });
      // A late harness can bias the counts either way (a longer dark wake, a shorter sleep): both verdicts yield to it.
      checks.push(
        lateness.guard(
          bad.length ? check.fail('churn', bad.join('; '), evidence) : check.pass('churn', summary(counts), evidence),
        ),
      );
    }
    checks.push(scheduleCheck(night, lateness, scale));
    return checks;
  },
});

/** The harness's own timing: pass, or error (never fail: it is not the client's doing). */
function scheduleCheck(night: NightResult, lateness: LatenessMonitor, scale: number): Check {
  const ev = [scheduleEvidence(night, scale), lateness.evidence()];
  const r = night.schedule;
  if (!r) return check.error('schedule timing', 'the schedule did not run', ev);
  if (r.stoppedEarly) return check.error('schedule timing', `the schedule stopped early: ${r.stoppedEarly}`, ev);
  const what = `${r.records.length} phases; phase starts at most ${r.maxLateMs.toFixed(1)} ms late (mean ${r.meanLateMs.toFixed(1)} ms), night took ${(r.measuredMs / 1000).toFixed(2)} s for ${(r.plannedMs / 1000).toFixed(2)} s planned`;
  const late = lateness.reason();
  return late
    ? check.late('schedule timing', `${late}; ${what}`, ev)
    : check.pass('schedule timing', `${what}; every phase within its bound`, ev);
}
