/**
 * lnp.sut-recovers-after-grant: the user grants local network access while the product runs
 * (System Settings › Privacy & Security › Local Network); the product must pick it up without
 * a restart. The SUT starts in its lab host under `denied` (or `silent`), `deniedMs` later the
 * harness grants it (lab fault lnpGrant, effective at once for running processes, as on macOS),
 * and a discovery responder on every segment (as in discovery.reach) must then hear the SUT
 * within `withinMs` of the grant — from the same process, which must still be running.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check, type TimelineEvent } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { heardEvidence } from '../lib/discovery/evidence.ts';
import { reachedSince, startResponders } from '../lib/discovery/responders.ts';
import {
  DISCOVERY_SUT_VARIABLES,
  discoveryVars,
  missingSut,
  startSutIn,
  sutCrash,
  sutHostName,
} from '../lib/discovery/sut.ts';
import { compareMatrix, list } from '../lib/net/matrix.ts';
import { sleep, waitUntil } from '../lib/net/timing.ts';
import { tail, withPolicy } from './lib/sut-watch.ts';

const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({ description: 'lab host for the SUT when sut.host is not set (default: the one with most links)' }),
    ),
    deniedAs: Type.Union([Type.Literal('denied'), Type.Literal('silent')], {
      default: 'denied',
      description: 'policy before the grant: denied (EHOSTUNREACH) or silent (sends say yes, nothing leaves)',
    }),
    deniedMs: Type.Integer({
      minimum: 0,
      maximum: 120000,
      default: 2000,
      description: 'how long the SUT runs denied before the grant',
    }),
    withinMs: Type.Integer({
      minimum: 100,
      maximum: 120000,
      default: 5000,
      description: 'bound from the grant to every segment reached',
    }),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47885,
      description: 'discovery port (${port} in the SUT command)',
    }),
    group: Type.Optional(
      Type.String({
        pattern: '^2(2[4-9]|3[0-9])(\\.[0-9]{1,3}){3}$|^[fF][fF][0-9a-fA-F]{2}:[0-9a-fA-F:]*$',
        description: 'multicast group the responders join (${group})',
      }),
    ),
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object({}, { additionalProperties: false });
type Expect = Static<typeof Expect>;

export default defineScenario<With, Expect>({
  id: 'lnp.sut-recovers-after-grant',
  summary:
    'the SUT starts without local network access; after the grant it reaches every segment within withinMs, without a restart',
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut', 'lnp'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 60_000,
  timingJudged: true,
  sutVariables: DISCOVERY_SUT_VARIABLES,
  async run(ctx, { with: p }, signal) {
    const missing = missingSut(ctx, 'lnp.sut-recovers-after-grant');
    if (missing) return [check.error('lnp.sut-recovers-after-grant', missing)];
    const lab = ctx.lab!;
    const hostName = sutHostName(ctx, lab, p.host);
    const segments = lab
      .host(hostName)
      .interfaces()
      .map((i) => i.segment);
    const resp = startResponders(ctx, lab, hostName, segments, { port: p.port, group: p.group, reply: true });
    const cols = segments.filter((s) => !resp.missing.includes(s));
    if (cols.length === 0)
      return [
        check.skip(
          'SUT reaches every segment after the grant',
          `no segment of ${hostName} has another host for a responder: add a peer host per segment`,
        ),
      ];
    const timeline: TimelineEvent[] = [];
    await withPolicy(ctx, lab, hostName, p.deniedAs);
    timeline.push({ t: ctx.elapsedMs(), source: 'lab', event: `localNetwork ${p.deniedAs}`, detail: hostName });
    const sut = await startSutIn(ctx, hostName, discoveryVars(p.port, p.group, p.withinMs));
    const pid = sut.process.pid;
    timeline.push({ t: ctx.elapsedMs(), source: 'sut', event: 'started', detail: `pid ${pid}` });
    await sleep(p.deniedMs, signal);
    const heardDenied = resp.heard.length;
    const tGrant = ctx.elapsedMs();
    await lab.lnpGrant(hostName);
    timeline.push({ t: ctx.elapsedMs(), source: 'lab', event: 'localNetwork allowed (grant)', detail: hostName });
    await waitUntil(
      () => cols.every((s) => reachedSince(resp, tGrant).has(s)) || !sut.process.running(),
      p.withinMs,
      signal,
    );
    const since = reachedSince(resp, tGrant);
    for (const s of cols) {
      const h = resp.heard.find((x) => x.segment === s && x.t >= tGrant);
      if (h)
        timeline.push({
          t: h.t,
          source: h.responder,
          event: 'first datagram after the grant',
          detail: `${h.kind} from ${h.source}`,
        });
    }
    const running = sut.process.running();
    const exit = running ? undefined : await sut.process.exited;
    const { evidence } = compareMatrix({
      title: `${hostName}: segment reached after the grant (within ${p.withinMs} ms)`,
      rowLabel: 'SUT',
      colLabel: 'segment',
      rows: [hostName],
      cols,
      expected: [cols.map(() => true)],
      got: [cols.map((s) => since.has(s))],
      text: (_r, c) => {
        const h = resp.heard.find((x) => x.segment === cols[c] && x.t >= tGrant);
        return h ? `✓ +${Math.round(h.t - tGrant)}ms` : '—';
      },
      legend: "time from the grant to the first datagram at that segment's responder",
    });
    const ev = [
      evidence,
      { kind: 'timeline' as const, title: 'policy, SUT and arrivals', events: timeline.sort((a, b) => a.t - b.t) },
      heardEvidence(resp.heard),
      {
        kind: 'text' as const,
        title: 'SUT output (last 40 lines)',
        text: sut.process.output.slice(-40).join('\n') || '(no output)',
      },
    ];
    const checks: Check[] = [];
    if (heardDenied > 0) {
      checks.push(
        check.error(
          'nothing left the host while denied',
          `the emulation leaked: responders heard ${heardDenied} datagram(s) before the grant under ${p.deniedAs}`,
          [ev[2]!],
        ),
      );
    }
    const missed = cols.filter((s) => !since.has(s));
    if (missed.length) {
      const why = exit
        ? `the SUT ${sutCrash(exit) ?? 'exited'} after the grant`
        : `it kept running (pid ${pid}) but never sent there again: it gave up after the denial or does not retry`;
      checks.push(
        check.fail(
          'SUT reaches every segment after the grant',
          `${list(missed)} not reached within ${p.withinMs} ms of the grant: ${why}; it printed: ${tail(sut.process.output)}`,
          ev,
        ),
      );
    } else {
      const slowest = Math.max(
        ...cols.map((s) => resp.heard.find((x) => x.segment === s && x.t >= tGrant)!.t - tGrant),
      );
      checks.push(
        check.pass(
          'SUT reaches every segment after the grant',
          `reached ${list(cols)} within ${Math.round(slowest)} ms of the grant (bound ${p.withinMs} ms)`,
          ev,
        ),
      );
    }
    checks.push(
      running
        ? check.pass(
            'SUT recovers without a restart',
            `the same process (pid ${pid}) ran through the denial and the grant`,
          )
        : check.fail(
            'SUT recovers without a restart',
            `the SUT ${sutCrash(exit) ?? 'exited'} (pid ${pid}): it must pick up the grant while running — macOS does not restart it`,
            [ev[3]!],
          ),
    );
    return checks;
  },
});
