/**
 * keepalive.suspended-peer: two gateways side by side, one with `tcp-keepalive` DPD, one with
 * `app-heartbeat` DPD, each with a heartbeating reference client. Both clients are suspended
 * (SIGSTOP of their process groups) while their host's kernel stays awake: the kernel still
 * ACKs keepalive probes — a stopped process does not stop its sockets — but no app heartbeat
 * is sent. The check states which DPD design survives the suspension, with both timelines.
 * With `kernelAwake: false` the client host's link goes down too, and neither should survive.
 * With `client: sut` your own client stands for both: it gets `${gateway.address}`,
 * `${gateway.keepalivePort}` and `${gateway.heartbeatPort}`, the gateways are protocol-agnostic
 * (any bytes are a heartbeat, a new connection a session), and it is the process suspended.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { parseDuration } from '../../harness/util/duration.ts';
import { startGateway, type GatewayHandle } from '../lib/tunnel/gateway-handle.ts';
import { EventLog, startTool } from '../lib/tunnel/launch.ts';
import { Hosts, keepaliveParam } from '../lib/tunnel/params.ts';
import { DurationParam, Enum } from '../lib/params.ts';
import { judgeSurvival, sessionFate, SURVIVORS, type Design } from './lib/survival.ts';
import { tunnelLab } from '../lib/tunnel/lab-hosts.ts';
import { latenessBound, LatenessMonitor } from '../lib/lateness/monitor.ts';
import type { ManagedProcess } from '../../harness/process/types.ts';

/** Real time a client gets to start (node + tsx) and complete its handshake; a busy machine needs seconds. */
const START_TIMEOUT_MS = 15_000;

const Port = (dflt: number, description: string) =>
  Type.Integer({ minimum: 1, maximum: 65535, default: dflt, description });

const With = Type.Object(
  {
    suspend: DurationParam('6s', 'how long both clients stay stopped (real time; longer than both DPD timeouts)'),
    after: DurationParam('1s', 'how long the sessions are observed after the resume (real time)'),
    heartbeat: DurationParam('250ms', "the clients' app heartbeat period (real time)"),
    dpdTimeout: DurationParam('1s', 'app-heartbeat gateway: silence before it drops a session (real time)'),
    keepalive: keepaliveParam(
      'tcp-keepalive gateway: TCP_KEEPIDLE/INTVL/CNT on its sockets (tcp(7), seconds); drops after idle + interval × count unanswered',
    ),
    client: Enum(['reference', 'sut'], {
      default: 'reference',
      description:
        "reference: two heartbeating reference clients; sut: the profile's own client, connected to both gateways (argv gets ${gateway.address}, ${gateway.keepalivePort}, ${gateway.heartbeatPort})",
    }),
    kernelAwake: Type.Boolean({
      default: true,
      description:
        "false: the client host's link goes down during the suspension as well (a full sleep without keepalive offload)",
    }),
    hosts: Hosts,
    ports: Type.Object(
      {
        keepalive: Port(4502, 'TCP port of the tcp-keepalive gateway'),
        heartbeat: Port(4503, 'TCP port of the app-heartbeat gateway'),
      },
      {
        additionalProperties: false,
        default: {},
        description: "the two gateways' listening ports in the gateway host",
      },
    ),
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    survivor: Enum(SURVIVORS, {
      default: 'tcp-keepalive',
      description:
        "which DPD design must keep the suspended client's session: tcp-keepalive, app-heartbeat, both or neither",
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'keepalive.suspended-peer',
  summary: 'a suspended client with an awake kernel: tcp-keepalive DPD keeps its session, app-heartbeat DPD drops it',
  platforms: ['linux'],
  requires: ['linux', 'root', 'lab', 'addon'],
  defaultTimeoutMs: 60_000,
  sutVariables: {
    'gateway.address': { description: "the peers' address (with client: sut)" },
    'gateway.keepalivePort': { description: 'the port of the peer judged by kernel keepalive' },
    'gateway.heartbeatPort': { description: 'the port of the peer judged by heartbeats' },
  },
  timingJudged: true,
  withSchema: With,
  expectSchema: Expect,

  async run(ctx, { with: w, expect: e }, signal): Promise<Check[]> {
    const name = 'DPD under suspension';
    const tl = tunnelLab(ctx, w.hosts);
    if (typeof tl === 'string') return [check.error(name, tl)];
    const { lab, gatewayAddress: gwAddr } = tl;
    const log = new EventLog(ctx);
    const { client: clientHost, gateway: gwHost, segment } = w.hosts;
    const hbMs = parseDuration(w.heartbeat);
    const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
    ctx.defer(() => lateness.stop());
    const designs: Array<{ design: Design; who: string; client: string; gw?: GatewayHandle }> = [
      { design: 'tcp-keepalive', who: 'gw-keepalive', client: 'client-ka' },
      { design: 'app-heartbeat', who: 'gw-heartbeat', client: 'client-hb' },
    ];
    for (const d of designs) {
      d.gw = await startGateway(
        ctx,
        log,
        {
          who: d.who,
          host: gwHost,
          address: gwAddr,
          port: d.design === 'tcp-keepalive' ? w.ports.keepalive : w.ports.heartbeat,
          dpd: d.design,
          dpdTimeoutMs: parseDuration(w.dpdTimeout),
          keepalive: d.design === 'tcp-keepalive' ? w.keepalive : undefined,
          agnostic: w.client === 'sut',
        },
        signal,
      );
    }
    let clients: ManagedProcess[];
    if (w.client === 'sut') {
      if (!ctx.sut)
        return [
          check.error(name, 'client "sut" needs a sut: section (profile or scenario) naming your client\'s command'),
        ];
      for (const d of designs) d.client = 'sut';
      const sut = await ctx.startSut(
        { ...ctx.sut, host: ctx.sut.host ?? clientHost },
        {
          'gateway.address': gwAddr,
          'gateway.keepalivePort': String(designs[0]!.gw!.port),
          'gateway.heartbeatPort': String(designs[1]!.gw!.port),
        },
      );
      clients = [sut.process];
    } else {
      clients = await Promise.all(
        designs.map(
          async (d) =>
            (
              await startTool(ctx, log, {
                who: d.client,
                tool: 'client',
                host: clientHost,
                signal,
                args: [
                  '--gateway',
                  gwAddr,
                  '--port',
                  String(d.gw!.port),
                  '--strategy',
                  'heartbeat-naive',
                  '--heartbeat-ms',
                  String(hbMs),
                  '--gap-ms',
                  String(Math.max(200, hbMs)),
                ],
              })
            ).proc,
        ),
      );
    }
    for (const d of designs) {
      if (!(await log.waitFor((x) => x.who === d.who && x.event === 'handshake', START_TIMEOUT_MS, signal))) {
        return [
          check.error(
            name,
            `${d.client} never ${w.client === 'sut' ? 'connected to' : 'completed its handshake with'} ${d.who}`,
            [log.timelineEvidence('startup')],
          ),
        ];
      }
    }
    // Let the keepalive gateway's idle timer start from steady traffic, as in real life.
    await new Promise((r) => setTimeout(r, Math.min(1000, hbMs * 3)));

    // Suspension; the defer resumes (and restores the link) on every path.
    ctx.defer(async () => {
      for (const c of clients) c.resume();
      if (!w.kernelAwake) await lab.linkUp(clientHost, segment).catch(() => undefined);
    });
    const suspendMs = parseDuration(w.suspend);
    for (const c of clients) c.suspend();
    ctx.progress('both clients suspended', suspendMs + parseDuration(w.after));
    const from = ctx.elapsedMs();
    log.mark(
      'harness',
      'suspend',
      `SIGSTOP ${w.client === 'sut' ? 'the sut' : 'both clients'}${w.kernelAwake ? '; kernel awake' : `; ${clientHost}/${segment} link down`}`,
    );
    if (!w.kernelAwake) await lab.linkDown(clientHost, segment);
    await sleepFor(Math.max(0, from + suspendMs - ctx.elapsedMs()), signal);
    if (!w.kernelAwake) await lab.linkUp(clientHost, segment);
    for (const c of clients) c.resume();
    const to = ctx.elapsedMs();
    log.mark('harness', 'resume', `SIGCONT after ${((to - from) / 1000).toFixed(2)} s`);
    // The suspension must outlast both DPD decisions; the harness's lateness can only lengthen it, and that is measured too.
    lateness.record({
      what: `the suspension lasted ${Math.round(to - from)} ms instead of ${suspendMs} ms`,
      atMs: to,
      lateMs: Math.abs(to - from - suspendMs),
      boundMs: latenessBound(suspendMs),
      off: true,
    });
    await sleepFor(parseDuration(w.after), signal);

    const fates = await Promise.all(
      designs.map(async (d) =>
        sessionFate(
          d.design,
          log.events.filter((x) => x.who === d.who),
          from,
          to,
          await d.gw!.openSessions(signal),
        ),
      ),
    );
    const verdict = judgeSurvival(fates, e.survivor, w.kernelAwake, w.keepalive, to - from);
    const evidence: Evidence[] = [
      ...designs.map((d) =>
        log.timelineEvidence(
          `${d.design} DPD (${d.who} ⇄ ${d.client})`,
          (x) => x.who === d.who || x.who === d.client || x.who === 'harness',
        ),
      ),
      {
        kind: 'numbers',
        title: 'sessions across the suspension',
        values: {
          suspendedMs: Math.round(to - from),
          kernelAwake: w.kernelAwake,
          ...Object.fromEntries(
            fates.flatMap((f) => [
              [`${f.design}.survived`, f.survived],
              [`${f.design}.droppedAfterMs`, f.droppedAfterMs === null ? null : Math.round(f.droppedAfterMs)],
            ]),
          ),
        },
      },
    ];
    return [
      lateness.guard(
        verdict.ok ? check.pass(name, verdict.reason, evidence) : check.fail(name, verdict.reason, evidence),
      ),
    ];
  },
});

function sleepFor(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
