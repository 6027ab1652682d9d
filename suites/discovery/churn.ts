/**
 * discovery.churn: the product's discovery must survive the lab changing under it. While the
 * SUT runs, the steps the profile lists are applied to its host (an interface goes down and
 * comes back, an address changes, a new interface appears, one goes away); after each step
 * every segment the host is then on must be reached again (a datagram arriving after the
 * change) within `withinMs`. Evidence: phase × segment matrix with time to reach, and a
 * timeline of faults and first arrivals.
 *
 * Arrival times come from the kernel's receive timestamps, and the harness's lateness over each
 * window is measured — its own event loop stalling, the SUT waiting for a CPU — so that past a
 * quarter of the bound a miss is an error naming it, not a verdict on the SUT (suites/lib/lateness).
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type TimelineEvent } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { compareMatrix } from '../lib/net/matrix.ts';
import { waitUntil } from '../lib/net/timing.ts';
import { labEndpoint } from '../lib/net/topology.ts';
import {
  activeSegments,
  applyStep,
  ChurnStep,
  explainChurn,
  stepLabel,
  validateSteps,
  type LinkState,
} from './lib/churn-steps.ts';
import { Reply, ResponderGroup } from './lib/params.ts';
import { heardEvidence } from '../lib/discovery/evidence.ts';
import { reachedSince, startResponders } from '../lib/discovery/responders.ts';
import {
  DISCOVERY_SUT_VARIABLES,
  discoveryVars,
  missingSut,
  startSutIn,
  sutHint,
  sutHostName,
} from '../lib/discovery/sut.ts';
import { CpuWaitMeter } from '../lib/lateness/cpu-wait.ts';
import { latenessBound, LatenessMonitor } from '../lib/lateness/monitor.ts';

const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        description: 'lab host for the SUT when sut.host is not set (default: the one with most links)',
        examples: ['multi'],
      }),
    ),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47841,
      description: 'discovery port the responders listen on, ${port} in the SUT command (default 47841)',
    }),
    group: Type.Optional(ResponderGroup),
    steps: Type.Array(ChurnStep, {
      minItems: 1,
      maxItems: 20,
      description: 'the changes to apply, in order, each after every segment was reached (1 to 20)',
      examples: [
        [
          { action: 'link-down', segment: 'lan-b' },
          { action: 'link-up', segment: 'lan-b' },
        ],
      ],
    }),
    withinMs: Type.Integer({
      minimum: 100,
      maximum: 120000,
      default: 5000,
      description:
        'bound for reaching every segment again after each step, in ms, ${timeoutMs} in the SUT command (default 5000)',
    }),
    initialTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 120000,
      default: 5000,
      description:
        'time for every segment to be reached after the SUT starts, before the first step, in ms (default 5000)',
    }),
    reply: Reply,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

/** Nothing to set: every segment must be reached again after every step. */
const Expect = Type.Object({}, { additionalProperties: false });
type Expect = Static<typeof Expect>;

interface Phase {
  label: string;
  step?: ChurnStep;
  t0: number;
  active: string[];
  /** segment → ms after t0 of the first arrival (undefined = missed). */
  firstMs: Map<string, number>;
}

export default defineScenario<With, Expect>({
  id: 'discovery.churn',
  summary: "the SUT's discovery reaches changed segments again after link down/up, address change, new interface",
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 90_000,
  timingJudged: true,
  sutVariables: DISCOVERY_SUT_VARIABLES,
  async run(ctx, { with: p }, signal) {
    const missing = missingSut(ctx, 'discovery.churn');
    if (missing) return [check.error('discovery.churn', missing)];
    const lab = ctx.lab!;
    const hostName = sutHostName(ctx, lab, p.host);
    const host = labEndpoint(lab.host(hostName));
    const st: LinkState = { linked: new Set(host.ifaces().map((i) => i.segment)), down: new Set() };
    const labSegs = lab.segments.map((s) => s.name);
    const errs = validateSteps(p.steps, st, labSegs);
    if (errs.length) return [check.error('discovery.churn', errs.join('; '))];
    const resp = startResponders(ctx, lab, hostName, labSegs, { port: p.port, group: p.group, reply: p.reply });
    const cols = labSegs.filter((s) => !resp.missing.includes(s));
    const timeline: TimelineEvent[] = [];
    const lateness = new LatenessMonitor({ now: () => ctx.elapsedMs(), sutPriority: ctx.sutPriority }).start();
    ctx.defer(() => lateness.stop());
    const sut = await startSutIn(ctx, hostName, discoveryVars(p.port, p.group, p.withinMs));
    timeline.push({ t: ctx.elapsedMs(), source: 'sut', event: 'started', detail: `in ${hostName}` });

    const phases: Phase[] = [];
    const cpu = CpuWaitMeter.of(sut.process);
    const observe = async (label: string, step: ChurnStep | undefined, bound: number): Promise<Phase> => {
      const ph: Phase = {
        label,
        step,
        t0: ctx.elapsedMs(),
        active: activeSegments(st).filter((s) => cols.includes(s)),
        firstMs: new Map(),
      };
      cpu.since();
      await waitUntil(
        () => ph.active.every((s) => reachedSince(resp, ph.t0).has(s)) || !sut.process.running(),
        bound,
        signal,
      );
      const late = latenessBound(bound);
      lateness.loopWindow(`the wait after ${label}`, ph.t0, ctx.elapsedMs(), late);
      const waited = cpu.since();
      if (waited !== null)
        lateness.record({
          sutWait: true,
          what: `the SUT waited {ms} for a CPU after ${label}`,
          atMs: ctx.elapsedMs(),
          lateMs: waited.ms,
          boundMs: late,
          detail: `the machine did not run it (its ${waited.source})`,
        });
      for (const s of cols) {
        const h = resp.heard.find((x) => x.segment === s && x.t >= ph.t0);
        if (h) ph.firstMs.set(s, Math.round(h.t - ph.t0));
      }
      for (const s of ph.active) {
        const ms = ph.firstMs.get(s);
        timeline.push({
          t: ctx.elapsedMs(),
          source: s,
          event: ms === undefined ? 'not reached' : 'reached',
          detail: ms === undefined ? `within ${bound} ms of ${label}` : `+${ms} ms after ${label}`,
        });
      }
      phases.push(ph);
      return ph;
    };

    let failedAt: { phase: Phase; missed: string[] } | undefined;
    const first = await observe('start', undefined, p.initialTimeoutMs);
    const missed0 = first.active.filter((s) => !first.firstMs.has(s));
    if (missed0.length) failedAt = { phase: first, missed: missed0 };
    for (const step of p.steps) {
      if (failedAt || signal.aborted || !sut.process.running()) break;
      ctx.progress(`step ${p.steps.indexOf(step) + 1}/${p.steps.length}: ${stepLabel(step)}`);
      await applyStep(lab, hostName, step, st);
      timeline.push({ t: ctx.elapsedMs(), source: 'lab', event: stepLabel(step) });
      const ph = await observe(stepLabel(step), step, p.withinMs);
      const missed = ph.active.filter((s) => !ph.firstMs.has(s));
      if (missed.length) failedAt = { phase: ph, missed };
    }

    const { evidence } = compareMatrix({
      title: `discovery from ${hostName} under churn: phase × segment (time to first arrival after the change)`,
      rowLabel: 'after',
      colLabel: 'segment',
      rows: phases.map((ph) => ph.label),
      cols,
      expected: phases.map((ph) => cols.map((c) => (ph.active.includes(c) ? true : undefined))),
      got: phases.map((ph) => cols.map((c) => ph.firstMs.has(c))),
      text: (r, c) => {
        const ph = phases[r]!;
        const ms = ph.firstMs.get(cols[c]!);
        if (!ph.active.includes(cols[c]!)) return ms === undefined ? '·' : `(+${ms}ms)`;
        return ms === undefined ? '—' : `✓ +${ms}ms`;
      },
      legend: `✓ +ms = first datagram after the change; — = not reached within the bound (start ${p.initialTimeoutMs} ms, steps ${p.withinMs} ms); · = the SUT's host is not on it then`,
    });
    const ev = [
      evidence,
      { kind: 'timeline' as const, title: 'faults and arrivals', events: timeline },
      heardEvidence(resp.heard),
      {
        kind: 'text' as const,
        title: 'SUT output (last 40 lines)',
        text: sut.process.output.slice(-40).join('\n') || '(no output)',
      },
    ];
    if (!sut.process.running() && !failedAt && phases.length < p.steps.length + 1) {
      const ex = await sut.process.exited;
      return [
        check.fail(
          'discovery survives churn',
          `the SUT exited (${ex.signal ?? `code ${ex.code}`}) before the steps were done${sutHint(sut.process.output) ? `; it said: "${sutHint(sut.process.output)}"` : ''}`,
          ev,
        ),
      ];
    }
    if (failedAt) {
      const hint = sutHint(sut.process.output);
      return [
        lateness.guard(
          check.fail(
            'discovery survives churn',
            `${explainChurn(failedAt.phase.step, failedAt.missed, failedAt.phase.step ? p.withinMs : p.initialTimeoutMs)}${hint ? `; the SUT said: "${hint}"` : ''}`,
            ev,
          ),
        ),
      ];
    }
    const worst = Math.max(0, ...phases.slice(1).flatMap((ph) => ph.active.map((s) => ph.firstMs.get(s) ?? 0)));
    return [
      lateness.guard(
        check.pass(
          'discovery survives churn',
          `after each of ${p.steps.length} step(s) every segment was reached again within ${p.withinMs} ms (slowest ${worst} ms)`,
          ev,
        ),
        { keepPass: true },
      ),
    ];
  },
});
