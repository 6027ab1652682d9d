/**
 * lnp.sut-detects-denial: macOS never asks twice — once local network access is denied the app
 * has to notice and tell the user (Apple TN3179). The SUT runs in its lab host under `denied`
 * (sends fail with EHOSTUNREACH) and, as a second check, `silent` (sends say yes, nothing
 * leaves); within `withinMs` it must report it — a line matching `expect.reportPattern` or an
 * exit code from `expect.exitCodes` — and must never claim success in that window, before or
 * after its report. A control run under `allowed` comes first: a SUT that reports a denial
 * there too proves nothing by reporting one. Responders on every segment (as in
 * discovery.reach) witness that nothing got out.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check, type Evidence } from '../../harness/model/check.ts';
import { defineScenario, type ScenarioContext } from '../../harness/model/scenario.ts';
import type { Lab, LocalNetworkPolicy } from '../../harness/lab/types.ts';
import { heardEvidence } from '../lib/discovery/evidence.ts';
import { startResponders, type Responders } from '../lib/discovery/responders.ts';
import { DISCOVERY_SUT_VARIABLES, discoveryVars, missingSut, startSutIn, sutHostName } from '../lib/discovery/sut.ts';
import { waitUntil } from '../lib/net/timing.ts';
import { Enum } from '../lib/params.ts';
import { DenialWatch, regex, tail, withPolicy, type DenialPatterns } from './lib/sut-watch.ts';

const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({ description: 'lab host for the SUT when sut.host is not set (default: the one with most links)' }),
    ),
    policies: Type.Array(
      Type.Union([Type.Literal('denied'), Type.Literal('silent')], { description: 'a policy: denied or silent' }),
      {
        uniqueItems: true,
        minItems: 1,
        default: ['denied', 'silent'],
        description:
          'policies to run the SUT under, one check each ' +
          '(denied = EHOSTUNREACH; silent = sends say yes, nothing leaves)',
      },
    ),
    withinMs: Type.Integer({
      minimum: 100,
      maximum: 120000,
      default: 5000,
      description:
        'the window from the SUT being ready (its start when it has no ready condition): ' +
        'its report must come within it, and no success claim anywhere in it',
    }),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47880,
      description: 'discovery port the responders listen on (${port} in the SUT command)',
    }),
    control: Type.Boolean({
      default: true,
      description:
        'first run the SUT under allowed for withinMs: it must not report a denial there, ' +
        'or its reports under denial prove nothing',
    }),
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    reportPattern: Type.String({
      default: 'local network access denied',
      description: 'pattern (RE2, case-insensitive) of a line that tells the user about the denial',
    }),
    exitCodes: Type.Array(Type.Integer({ minimum: 0, maximum: 255, description: 'an exit code' }), {
      default: [],
      description: 'exit codes that also count as reporting the denial',
    }),
    successPattern: Type.String({
      default: '^found ',
      description:
        'pattern (RE2, case-insensitive) of a line that claims success; ' +
        'any in the window under a denial fails the check',
    }),
    stream: Enum(['either', 'stdout', 'stderr'], {
      default: 'either',
      description: 'the output stream both patterns read',
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

type Watched = { watch: DenialWatch; leaked: number; ev: Evidence[] };

/** Runs the SUT once under `policy` for the whole window, judging every line it prints. */
async function watchUnder(
  ctx: ScenarioContext,
  lab: Lab,
  resp: Responders,
  hostName: string,
  policy: LocalNetworkPolicy,
  p: With,
  pats: DenialPatterns,
  signal: AbortSignal,
): Promise<Watched> {
  await withPolicy(ctx, lab, hostName, policy);
  const heardBefore = resp.heard.length;
  const watch = new DenialWatch(pats);
  watch.setOrigin(ctx.elapsedMs());
  const sut = await startSutIn(ctx, hostName, discoveryVars(p.port, undefined, p.withinMs), {
    onLine: (stream, line) => watch.line(ctx.elapsedMs(), stream, line),
  });
  // The window counts from its readiness (its start when it declares none), so a slow start on a
  // busy machine does not eat it; what it printed while starting counts, at a negative time.
  const t0 = ctx.elapsedMs();
  watch.setOrigin(t0);
  void sut.process.exited.then((x) => watch.exited(ctx.elapsedMs(), x));
  // The whole window, not until the report: a claim after the report is as false as one before.
  await waitUntil(() => !sut.process.running(), Math.max(0, p.withinMs - (ctx.elapsedMs() - t0)), signal);
  if (!sut.process.running()) await sut.process.exited; // its exit is recorded (above) before stop()
  await sut.stop();
  const leaked = resp.heard.slice(heardBefore);
  const shown = watch.lines.map((l) => `+${Math.round(l.t)}ms ${l.stream === 'stderr' ? '[stderr] ' : ''}${l.line}`);
  const more =
    watch.linesSeen > watch.lines.length ? [`… ${watch.linesSeen - watch.lines.length} more lines, each judged`] : [];
  const ev: Evidence[] = [
    {
      kind: 'text',
      title: `SUT output under ${policy} (first ${watch.lines.length} lines)`,
      text: [...shown, ...more].join('\n') || '(no output)',
    },
    heardEvidence(leaked),
  ];
  return { watch, leaked: leaked.length, ev };
}

const claimText = (w: DenialWatch): string => {
  const first = w.claims[0]!;
  const more = w.claimCount > 1 ? ` and ${w.claimCount - 1} more` : '';
  return `"${first.line.slice(0, 120)}" at +${Math.round(first.t)} ms${more}`;
};

const exitText = (w: DenialWatch): string => {
  if (!w.exit) return '; it kept running, retrying in silence';
  return `; it ${w.exit.e.signal ? `was killed by ${w.exit.e.signal}` : `exited with code ${w.exit.e.code}`}`;
};

export default defineScenario<With, Expect>({
  id: 'lnp.sut-detects-denial',
  summary:
    'under a denied (and a silent) local network policy ' +
    'the SUT must tell the user within withinMs, and must not claim success; ' +
    'under allowed it must not report a denial',
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut', 'lnp'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 60_000,
  timingJudged: true,
  sutVariables: { port: DISCOVERY_SUT_VARIABLES.port!, timeoutMs: DISCOVERY_SUT_VARIABLES.timeoutMs! },
  patternParams: ['expect.reportPattern', 'expect.successPattern'],
  async run(ctx, { with: p, expect: e }, signal) {
    const missing = missingSut(ctx, 'lnp.sut-detects-denial');
    if (missing) return [check.error('lnp.sut-detects-denial', missing)];
    let pats: DenialPatterns;
    try {
      pats = {
        report: regex(e.reportPattern, 'expect.reportPattern'),
        success: regex(e.successPattern, 'expect.successPattern'),
        exitCodes: e.exitCodes,
        stream: e.stream as DenialPatterns['stream'],
      };
    } catch (err) {
      return [check.error('lnp.sut-detects-denial', (err as Error).message)];
    }
    const lab = ctx.lab!;
    const hostName = sutHostName(ctx, lab, p.host);
    const segments = lab
      .host(hostName)
      .interfaces()
      .map((i) => i.segment);
    const resp = startResponders(ctx, lab, hostName, segments, { port: p.port, reply: true });
    const streams = e.stream === 'either' ? 'stdout or stderr' : e.stream;
    const codes = e.exitCodes.length ? ` and no exit code in [${e.exitCodes.join(', ')}]` : '';
    const reportWhat = `no line on ${streams} matched /${e.reportPattern}/${codes}`;
    const checks: Check[] = [];
    let control: Watched | undefined;
    if (p.control) {
      const name = 'SUT reports no denial when the network is allowed (control)';
      control = await watchUnder(ctx, lab, resp, hostName, 'allowed', p, pats, signal);
      const r = control.watch.report;
      if (r)
        checks.push(
          check.fail(
            name,
            `the SUT reported a denial although local network access was allowed ` +
              `(${r.how} at +${Math.round(r.t)} ms), ` +
              `so a report under denial says nothing about what it noticed`,
            control.ev,
          ),
        );
      else
        checks.push(
          check.pass(
            name,
            `under allowed the SUT reported no denial in ${p.withinMs} ms (${reportWhat})${exitText(control.watch)}`,
            control.ev,
          ),
        );
    }
    for (const policy of p.policies as LocalNetworkPolicy[]) {
      const name = `SUT reports the denial (localNetwork: ${policy})`;
      const { watch: w, leaked, ev } = await watchUnder(ctx, lab, resp, hostName, policy, p, pats, signal);
      const reported = w.report && w.report.t <= p.withinMs ? w.report : undefined;
      if (leaked) {
        checks.push(
          check.error(
            name,
            `the emulation leaked: responders heard ${leaked} datagram(s) from the SUT under ${policy} ` +
              `(expected none to leave ${hostName})`,
            ev,
          ),
        );
      } else if (!reported) {
        const how =
          policy === 'denied' ? 'its sends failed with EHOSTUNREACH' : 'its sends said yes and nothing left the host';
        const claim = w.claimCount ? ` and claimed success (${claimText(w)})` : '';
        const late = w.report ? `; it reported only at +${Math.round(w.report.t)} ms (${w.report.how})` : '';
        checks.push(
          check.fail(
            name,
            `the SUT never told the user within ${p.withinMs} ms although ${how}${claim}${exitText(w)}; ` +
              `${reportWhat}${late}; it printed: ${tail(w.lastLines)}`,
            ev,
          ),
        );
      } else if (w.claimCount) {
        const when = w.claims[0]!.t <= reported.t ? 'before' : 'after';
        checks.push(
          check.fail(
            name,
            `the SUT claimed success under ${policy} (${claimText(w)}), ` +
              `${when} it reported the denial (${reported.how} at +${Math.round(reported.t)} ms): ` +
              `it must not claim success while the network is denied`,
            ev,
          ),
        );
      } else if (control?.watch.report) {
        checks.push(
          check.error(
            name,
            `the SUT ${reported.how} at +${Math.round(reported.t)} ms, ` +
              `but it reported a denial under allowed too (control), so this report proves nothing`,
            ev,
          ),
        );
      } else {
        checks.push(
          check.pass(
            name,
            `the SUT ${reported.how} at +${Math.round(reported.t)} ms (within ${p.withinMs} ms) ` +
              `and claimed no success in the window; nothing left ${hostName}`,
            ev,
          ),
        );
      }
    }
    return checks;
  },
});
