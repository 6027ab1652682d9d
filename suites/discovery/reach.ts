/**
 * discovery.reach: the product's discovery must reach every segment its host is on.
 *
 * The profile's SUT (its own command; the only contract is its argv, with ${port}, ${group}
 * and ${timeoutMs} substituted) runs in a lab host with several interfaces. A responder on
 * every segment records each datagram (source, arrival interface, destination and its kind)
 * and answers naming itself. Verdict per segment: reached or not within the timeout; with
 * `expect.found`, the SUT's output must also mention every responder. A failure explains the
 * pattern: reached the default route's segment only = one unbound all-hosts broadcast.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { compareMatrix, expectedRow, RowReach } from '../lib/net/matrix.ts';
import { Segments } from '../lib/net/params.ts';
import { Described } from '../lib/params.ts';
import { Reply, ResponderGroup } from './lib/params.ts';
import { waitUntil } from '../lib/net/timing.ts';
import { labEndpoint, routeSegment } from '../lib/net/topology.ts';
import { explainDiscovery } from './lib/explain.ts';
import { heardEvidence } from '../lib/discovery/evidence.ts';
import { startResponders } from '../lib/discovery/responders.ts';
import {
  DISCOVERY_SUT_VARIABLES,
  discoveryVars,
  MentionWatch,
  missingSut,
  startSutIn,
  sutCrash,
  sutHint,
  sutHostName,
} from '../lib/discovery/sut.ts';

const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({
        description: 'lab host for the SUT when sut.host is not set (default: the one with most links)',
        examples: ['multi'],
      }),
    ),
    segments: Type.Optional(Segments("segments that must be reached (default: every segment of the SUT's host)")),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47840,
      description: 'discovery port the responders listen on, ${port} in the SUT command (default 47840)',
    }),
    group: Type.Optional(ResponderGroup),
    timeoutMs: Type.Integer({
      minimum: 100,
      maximum: 120000,
      default: 5000,
      description: 'time for every segment to be reached, in ms, ${timeoutMs} in the SUT command (default 5000)',
    }),
    reply: Reply,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    reach: Described(RowReach, {
      default: 'all',
      description:
        "segments the SUT's discovery must reach (default all; default-route-only is the one-unbound-broadcast mistake)",
    }),
    found: Type.Boolean({
      default: false,
      description: "the SUT's output must also mention every responder, responder-<segment> (default off)",
    }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'discovery.reach',
  summary: "the SUT's discovery (broadcast or multicast) reaches a responder on every segment",
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 30_000,
  timingJudged: true,
  sutVariables: DISCOVERY_SUT_VARIABLES,
  async run(ctx, { with: p, expect: e }, signal) {
    const missing = missingSut(ctx, 'discovery.reach');
    if (missing) return [check.error('discovery.reach', missing)];
    const lab = ctx.lab!;
    const hostName = sutHostName(ctx, lab, p.host);
    const host = labEndpoint(lab.host(hostName));
    const all = host.ifaces().map((i) => i.segment);
    const segments = p.segments?.length ? p.segments : all;
    const unknown = segments.filter((s) => !all.includes(s));
    if (unknown.length)
      return [
        check.error('discovery.reach', `with.segments names ${unknown.join(', ')}, not a segment of ${hostName}`),
      ];
    const resp = startResponders(ctx, lab, hostName, segments, { port: p.port, group: p.group, reply: p.reply });
    const measurable = segments.filter((s) => !resp.missing.includes(s));
    if (measurable.length === 0) {
      return [
        check.skip(
          'discovery reaches every segment',
          `no segment of ${hostName} has another host for a responder (${segments.join(', ')}): add a peer host per segment`,
        ),
      ];
    }
    const defaultRoute = await routeSegment(host, '255.255.255.255');
    const vars = discoveryVars(p.port, p.group, p.timeoutMs);
    const started = ctx.elapsedMs(); // before start: a SUT may send before its ready line
    const expected = expectedRow(e.reach, { cols: segments, defaultRoute });
    const want = segments.filter((_, k) => expected[k] === true && measurable.includes(segments[k]!));
    const names = want.map((s) => resp.names.get(s)!);
    // Every line is searched as it arrives: a name printed early by a chatty SUT still counts.
    const mentioned = new MentionWatch(names);
    const sut = await startSutIn(ctx, hostName, vars, { onLine: (_stream, line) => mentioned.line(line) });
    const reached = (): string[] => measurable.filter((s) => resp.heard.some((h) => h.segment === s));
    await waitUntil(() => want.every((s) => reached().includes(s)) || !sut.process.running(), p.timeoutMs, signal);
    if (e.found)
      await waitUntil(
        () => mentioned.missing().length === 0 || !sut.process.running(),
        Math.max(500, p.timeoutMs - (ctx.elapsedMs() - started)),
        signal,
      );
    const got = reached();
    const exitInfo = sut.process.running() ? undefined : await sut.process.exited;

    const row = segments.map((s) => got.includes(s));
    const exp = expected.map((x, k) => (measurable.includes(segments[k]!) ? x : undefined));
    const { evidence, diffs } = compareMatrix({
      title: `discovery from ${hostName} (port ${p.port}): segment reached within ${p.timeoutMs} ms`,
      rowLabel: 'SUT',
      colLabel: 'segment',
      rows: [hostName],
      cols: segments,
      expected: [exp],
      got: [row],
      text: (_r, c) => {
        const s = segments[c]!;
        if (!measurable.includes(s)) return 'n/a';
        const h = resp.heard.filter((x) => x.segment === s);
        return h.length
          ? `✓ ${h.length}× ${[...new Set(h.map((x) => x.kind))].join('+')} at +${Math.round(h[0]!.t - started)}ms`
          : '—';
      },
      legend: `✓ n× kind at +first-arrival; default route: ${defaultRoute ?? 'none'}; responders: ${[...resp.names.entries()].map(([s, n]) => `${s}=${n}`).join(', ')}`,
    });
    const ev = [
      evidence,
      heardEvidence(resp.heard),
      {
        kind: 'text' as const,
        title: 'SUT output (last 40 lines)',
        text: sut.process.output.slice(-40).join('\n') || '(no output)',
      },
    ];
    const checks: Check[] = [];
    const missed = diffs.filter((d) => d.expected).map((d) => d.col);
    const extra = diffs.filter((d) => !d.expected).map((d) => d.col);
    if (missed.length || extra.length) {
      const kinds = [...new Set(resp.heard.map((h) => h.kind))];
      const reason = missed.length
        ? explainDiscovery({
            reached: got,
            missed,
            defaultRoute,
            kinds,
            limitedBroadcast: resp.heard.some((h) => h.destination === '255.255.255.255'),
            port: p.port,
            timeoutMs: p.timeoutMs,
            sutHint: sutHint(sut.process.output),
            sutExit: exitInfo
              ? exitInfo.signal
                ? `was killed by ${exitInfo.signal}`
                : `exited with code ${exitInfo.code}`
              : undefined,
          })
        : `reached ${extra.join(', ')}, which the expectation says it must not`;
      checks.push(check.fail('discovery reaches every segment', reason, ev));
    } else {
      checks.push(
        check.pass(
          'discovery reaches every segment',
          `reached ${got.join(', ') || 'nothing'} as expected${resp.missing.length ? ` (not measured: ${resp.missing.join(', ')})` : ''}`,
          ev,
        ),
      );
    }
    if (e.found) {
      const absent = mentioned.missing();
      checks.push(
        absent.length
          ? check.fail(
              'SUT reports every responder',
              `the SUT's output never mentions ${absent.join(', ')} (responders answered ${resp.replies} time(s))`,
              [ev[2]!],
            )
          : check.pass('SUT reports every responder', `the SUT's output names ${names.join(', ')}`, [ev[2]!]),
      );
    }
    const crash = sutCrash(exitInfo);
    if (crash)
      checks.push(
        check.error(
          'SUT keeps running',
          `the SUT ${crash} during discovery${sutHint(sut.process.output) ? `; it printed: ${sutHint(sut.process.output)}` : ''}`,
          [ev[2]!],
        ),
      );
    if (resp.replyErrors.length) ctx.log(`responder reply errors: ${resp.replyErrors.join('; ')}`);
    return checks;
  },
});
