/**
 * peers.symmetric-connect: two instances of the SUT, in two lab hosts, each listening and
 * connecting to the other (the Wi-Fi Aware report: both publish and subscribe) must end with
 * exactly one connection (expect.connections) held for holdMs and carrying data both ways.
 *
 * The harness starts them `skew` ms apart (every skew in with.skewsMs, `repeat` times, the first
 * starter alternating): both are set up first, held before their program runs (ctx.prepareSut),
 * and released `skew` ms apart — a release is a pipe write, where a start is a fork whose cost
 * on a busy machine (19 ms median, 32 ms p90 for the harness's size at one busy loop per core)
 * would sit inside the skew. It watches the wire itself: tcpdump in the first host's namespace
 * (suites/lib/net/tcp-capture.ts says why not `ss` polling). Attempt k listens on port + k − 1 so its
 * connections are told apart from the previous attempt's. The observation ends `observeMs` after
 * both instances are ready (the later ready line); then both are stopped. An attempt whose second
 * start is off the intended skew by more than skewToleranceMs is the harness's lateness, not judged.
 */
import { check, type Check, type MatrixEvidence, type TimelineEvent } from '../../harness/model/check.ts';
import { defineScenario, describeExit, sutExitIsFailure } from '../../harness/model/scenario.ts';
import type { Lab } from '../../harness/lab/types.ts';
import type { HeldSut, SutHandle } from '../../harness/process/types.ts';
import { assertSafeDestination } from '../../harness/net/safety.ts';
import { raisePriority } from '../../harness/process/priority.ts';
import { sleep } from '../lib/net/timing.ts';
import { missingSut } from '../lib/discovery/sut.ts';
import { type CaptureError, startCapture } from '../lib/net/tcp-capture.ts';
import { judgeAttempt, summarize, type Side } from './lib/judge.ts';
import { connections, type Connection } from '../lib/net/tcp-segments.ts';
import { Expect, With } from './lib/params.ts';

const NAME = 'symmetric peers end with one connection';
/** Time for the last packets before the window's end to come out of tcpdump. */
const SETTLE_MS = 150;
/** Reruns of an attempt whose start the harness made off its skew, before it counts as late. */
const LATE_RERUNS = 4;

/**
 * Waits until the scenario clock reaches `at`: a timer for all but the last 2 ms (timers fire
 * late, never early: Node timers docs), then a bounded spin so a 1 ms skew is not a 1–4 ms one.
 */
async function waitUntilElapsed(ctx: { elapsedMs(): number }, at: number, signal: AbortSignal): Promise<void> {
  const coarse = at - ctx.elapsedMs() - 2;
  if (coarse > 0) await sleep(coarse, signal);
  while (ctx.elapsedMs() < at && !signal.aborted) {
    /* at most ~2 ms */
  }
}

interface Peer extends Side {
  host: string;
  id: string;
  iface: string;
}

function pickPeers(lab: Lab, hosts: string[] | undefined, ids: string[] | undefined): [Peer, Peer] | string {
  const pairs: Array<[string, string]> = hosts
    ? [[hosts[0]!, hosts[1]!]]
    : lab.hosts.flatMap((a, i) => lab.hosts.slice(i + 1).map((b): [string, string] => [a.name, b.name]));
  for (const [a, b] of pairs) {
    if (!lab.hosts.some((h) => h.name === a)) return `with.hosts names ${a}, not a lab host`;
    if (!lab.hosts.some((h) => h.name === b)) return `with.hosts names ${b}, not a lab host`;
    const ia = lab
      .host(a)
      .interfaces()
      .find(
        (i) =>
          i.ipv4 &&
          lab
            .host(b)
            .interfaces()
            .some((j) => j.segment === i.segment && j.ipv4),
      );
    if (!ia) continue;
    const ib = lab.host(b).iface(ia.segment);
    return [
      { host: a, name: a, id: ids?.[0] ?? a, iface: ia.name, address: ia.ipv4!.address },
      { host: b, name: b, id: ids?.[1] ?? b, iface: ib.name, address: ib.ipv4!.address },
    ];
  }
  return hosts
    ? `${hosts[0]} and ${hosts[1]} share no segment with IPv4`
    : 'no two lab hosts share a segment with IPv4: add two hosts on one segment';
}

function timelineOf(conns: Connection[], name: (a: string) => string, attempt: number): TimelineEvent[] {
  const ev: TimelineEvent[] = [];
  for (const c of conns) {
    const src = `#${attempt} ${name(c.initiator)}`;
    const dst = `#${attempt} ${name(c.responder)}`;
    const which = `${name(c.initiator)}→${name(c.responder)}:${c.responderPort}`;
    ev.push({ t: c.connectAt, source: src, event: 'connect (SYN)', detail: which });
    if (c.refusedAt !== undefined) ev.push({ t: c.refusedAt, source: dst, event: 'refused (RST)', detail: which });
    if (c.acceptedAt !== undefined) ev.push({ t: c.acceptedAt, source: dst, event: 'accept (SYN-ACK)', detail: which });
    if (c.establishedAt !== undefined)
      ev.push({ t: c.establishedAt, source: src, event: 'established', detail: which });
    if (c.closedAt !== undefined)
      ev.push({
        t: c.closedAt,
        source: `#${attempt} ${name(c.closedBy!)}`,
        event: `close (${c.closedHow})`,
        detail: `${which}; bytes ${c.bytesFromInitiator}→ ${c.bytesFromResponder}←`,
      });
  }
  return ev;
}

export default defineScenario<With, Expect>({
  id: 'peers.symmetric-connect',
  summary:
    'two SUT instances that both listen and connect to each other end with exactly one connection, held and carrying data both ways, at every start skew',
  platforms: ['linux'],
  requires: ['root', 'lab', 'sut'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 300_000,
  timingJudged: true,
  sutExit: 'failure',
  sutVariables: {
    'self.id': { description: "this instance's id (a or b)" },
    'listen.address': { description: 'the address this instance listens on' },
    'listen.port': { description: 'the port this instance listens on' },
    'peer.address': { description: "the other instance's address" },
    'peer.port': { description: "the other instance's port" },
  },
  async run(ctx, { with: p, expect: e }, signal) {
    const missing = missingSut(ctx, 'peers.symmetric-connect');
    if (missing) return [check.error(NAME, missing)];
    if (p.holdMs >= p.observeMs)
      return [
        check.error(
          NAME,
          `with.holdMs (${p.holdMs}) must be below with.observeMs (${p.observeMs}): a connection cannot be held longer than it is watched`,
        ),
      ];
    const attempts = p.skewsMs.length * p.repeat;
    if (p.port + attempts * (LATE_RERUNS + 1) - 1 > 65535)
      return [
        check.error(
          NAME,
          `with.port ${p.port} + ${attempts} attempts (and up to ${LATE_RERUNS} reruns each) runs past port 65535`,
        ),
      ];
    const exitFails = sutExitIsFailure(this, ctx.sut);
    const peers = pickPeers(ctx.lab!, p.hosts, p.ids);
    if (typeof peers === 'string') return [check.error(NAME, peers)];
    for (const x of peers) assertSafeDestination(x.address, { where: 'lab' });
    const name = (addr: string): string => peers.find((x) => x.address === addr)?.name ?? addr;

    let cap;
    try {
      cap = await startCapture(ctx, peers[0].host, peers[0].iface, peers[0].address, peers[1].address, signal);
    } catch (err) {
      if ((err as CaptureError).code === 'CAPTURE_NOT_STARTED') return [check.error(NAME, (err as Error).message)];
      throw err;
    }
    ctx.defer(() => cap.stop());

    const timeline: TimelineEvent[] = [];
    const results: Array<{
      skewMs: number;
      measuredMs: number;
      late: boolean;
      ok: boolean;
      outcome: string;
      pattern: string;
    }> = [];
    const sutSkews: number[] = [];
    let k = 0;
    let reruns = 0;
    for (const skewMs of p.skewsMs) {
      for (let r = 0, tries = 0; r < p.repeat; tries++) {
        if (signal.aborted) break;
        ctx.progress(`attempt ${k + 1}/${p.skewsMs.length * p.repeat} (skew ${skewMs} ms)`);
        const port = String(p.port + k);
        const [first, second] = k % 2 === 0 ? [peers[0], peers[1]] : [peers[1], peers[0]];
        const other = (x: Peer): Peer => (x === peers[0] ? peers[1] : peers[0]);
        const vars = (x: Peer): Record<string, string> => ({
          'self.id': x.id,
          'listen.address': x.address,
          'listen.port': port,
          'peer.address': other(x).address,
          'peer.port': port,
        });
        const setUp = await Promise.allSettled([
          ctx.prepareSut({ ...ctx.sut!, host: first.host }, vars(first)),
          ctx.prepareSut({ ...ctx.sut!, host: second.host }, vars(second)),
        ]);
        const held = setUp.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        const notSetUp = setUp.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (notSetUp || held.length !== 2) {
          await Promise.all(held.map((h) => h.process.stop()));
          return [
            check.error(
              NAME,
              `attempt ${k + 1} (skew ${skewMs} ms): the SUT did not start: ${(notSetUp?.reason as Error | undefined)?.message ?? 'not set up'}`,
              [{ kind: 'timeline', title: 'connections on the wire', events: timeline }],
            ),
          ];
        }
        const [held1, held2] = held as [HeldSut, HeldSut];
        const from = ctx.elapsedMs();
        // The releases keep time on a busy machine (nice −10); nothing forked meanwhile inherits it.
        const lower = raisePriority();
        let t1: number;
        let t2: number;
        try {
          t1 = ctx.elapsedMs();
          held1.release();
          await waitUntilElapsed(ctx, t1 + skewMs, signal);
          t2 = ctx.elapsedMs();
          held2.release();
        } finally {
          lower?.();
        }
        const measuredMs = t2 - t1;
        const late = Math.abs(measuredMs - skewMs) > p.skewToleranceMs;
        timeline.push(
          { t: t1, source: `#${k + 1} ${first.name}`, event: 'start', detail: `skew ${skewMs} ms, port ${port}` },
          {
            t: t2,
            source: `#${k + 1} ${second.name}`,
            event: 'start',
            detail: `measured skew ${measuredMs.toFixed(1)} ms`,
          },
        );
        const started = await Promise.allSettled([held1.ready(), held2.ready()]);
        const handles = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
        const stopAll = async (): Promise<void> => {
          await Promise.all(handles.map((h: SutHandle) => h.stop()));
        };
        const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
        if (failed) {
          await stopAll();
          const err = failed.reason as Error & { code?: string };
          const attemptEv = [{ kind: 'timeline' as const, title: 'connections on the wire', events: timeline }];
          // An instance that ran and quit before it was ready is the product's doing when its exit is a failure.
          if (err.code === 'SUT_EXITED' && exitFails)
            return [
              check.fail(
                NAME,
                `attempt ${k + 1} (skew ${skewMs} ms): an instance exited before it was ready: ${err.message}`,
                attemptEv,
              ),
            ];
          return [
            check.error(NAME, `attempt ${k + 1} (skew ${skewMs} ms): the SUT did not start: ${err.message}`, attemptEv),
          ];
        }
        const ready = ctx.elapsedMs();
        timeline.push({ t: ready, source: `#${k + 1}`, event: 'both ready', detail: `observing ${p.observeMs} ms` });
        await sleep(p.observeMs, signal);
        const end = ready + p.observeMs;
        await sleep(SETTLE_MS, signal);
        const conns = connections(cap.segments, from, end).filter((c) => String(c.responderPort) === port);
        // Peers run until stopped: one that quit during the watch is a product that gave up its side.
        const quit = await Promise.all(
          [held1, held2].map(async (h, i) =>
            h.process.running() ? undefined : `${[first, second][i]!.name} (${describeExit(await h.process.exited)})`,
          ),
        );
        await stopAll();
        const exited = quit.filter((x): x is string => x !== undefined);
        if (exited.length && !signal.aborted) {
          const what = `attempt ${k + 1} (skew ${skewMs} ms): ${exited.join(' and ')} exited while the peers were watched`;
          if (!exitFails)
            return [
              check.error(NAME, `${what} (sut.exit: error)`, [
                { kind: 'timeline', title: 'connections on the wire', events: timeline },
              ]),
            ];
          timeline.push({ t: end, source: `#${k + 1}`, event: 'FAIL', detail: `${exited.join(' and ')} exited` });
          results.push({
            skewMs,
            measuredMs,
            late: false,
            ok: false,
            outcome: 'a peer exited',
            pattern: `${exited.join(' and ')} exited mid-run`,
          });
          k++;
          r++;
          tries = -1;
          continue;
        }
        const firstSyn = (x: Peer): number | undefined => conns.find((c) => c.initiator === x.address)?.connectAt;
        const s1 = firstSyn(first);
        const s2 = firstSyn(second);
        if (s1 !== undefined && s2 !== undefined) sutSkews.push(s2 - s1);
        timeline.push(...timelineOf(conns, name, k + 1));
        const j = judgeAttempt(conns, end, peers, {
          connections: e.connections,
          holdMs: p.holdMs,
          bidirectional: e.bidirectional,
        });
        timeline.push({
          t: end,
          source: `#${k + 1}`,
          event: late
            ? tries < LATE_RERUNS
              ? 'harness late: run again'
              : 'harness late: not judged'
            : j.ok
              ? 'ok'
              : 'FAIL',
          detail: j.pattern,
        });
        k++;
        // The harness missed its own schedule: run this attempt again (bounded), judge the rerun.
        if (late && tries < LATE_RERUNS) {
          reruns++;
          continue;
        }
        results.push({ skewMs, measuredMs, late, ...j });
        r++;
        tries = -1;
      }
    }
    timeline.sort((a, b) => a.t - b.t);

    const outcomes = [...new Set(results.map((x) => (x.late ? 'harness late' : x.outcome)))].sort((a, b) =>
      a === 'ok' ? -1 : b === 'ok' ? 1 : a.localeCompare(b),
    );
    const matrix: MatrixEvidence = {
      kind: 'matrix',
      title: `attempts per start skew × outcome (${p.repeat} per skew)`,
      rowLabel: 'skew',
      colLabel: 'outcome',
      rows: p.skewsMs.map((s) => `${s} ms`),
      cols: outcomes,
      cells: p.skewsMs.map((s) =>
        outcomes.map((o) =>
          String(results.filter((x) => x.skewMs === s && (x.late ? 'harness late' : x.outcome) === o).length),
        ),
      ),
      mismatches: p.skewsMs.flatMap((s, ri) =>
        outcomes.flatMap(
          (o, ci): Array<[number, number]> =>
            o !== 'ok' && results.some((x) => x.skewMs === s && (x.late ? 'harness late' : x.outcome) === o)
              ? [[ri, ci]]
              : [],
        ),
      ),
      legend: `observer: tcpdump in ${peers[0].host} on ${peers[0].iface}; ok = exactly ${e.connections} established, held ≥ ${p.holdMs} ms${e.bidirectional ? ', data both ways' : ''}`,
    };
    const off = results.map((x) => Math.abs(x.measuredMs - x.skewMs)).sort((a, b) => a - b);
    const numbers = {
      kind: 'numbers' as const,
      title: 'start skew: intended vs measured',
      values: {
        attempts: results.length,
        'harness skew error median': off[Math.floor(off.length / 2)] ?? null,
        'harness skew error max': off.at(-1) ?? null,
        'late attempts': results.filter((x) => x.late).length,
        'attempts rerun because the harness was late': reruns,
        'SUT first-SYN skew median': sutSkews.length
          ? [...sutSkews].sort((a, b) => a - b)[Math.floor(sutSkews.length / 2)]!
          : null,
      },
      units: { 'harness skew error median': 'ms', 'harness skew error max': 'ms', 'SUT first-SYN skew median': 'ms' },
    };
    const ev = [
      matrix,
      numbers,
      { kind: 'timeline' as const, title: 'connections on the wire, per attempt (#k host)', events: timeline },
    ];
    const judged = results.filter((x) => !x.late);
    const failures = judged.filter((x) => !x.ok);
    const verdictText = failures.length
      ? summarize(failures, judged.length)
      : `${judged.length} of ${judged.length} attempts ended with ${e.connections} connection(s) held ≥ ${p.holdMs} ms${e.bidirectional ? ', data both ways' : ''}`;
    const checks: Check[] = [];
    const lateOnes = results.filter((x) => x.late);
    if (signal.aborted) checks.push(check.error(NAME, `aborted after ${results.length} of ${attempts} attempts`, ev));
    else if (lateOnes.length) {
      const worst = lateOnes.reduce((a, b) =>
        Math.abs(b.measuredMs - b.skewMs) > Math.abs(a.measuredMs - a.skewMs) ? b : a,
      );
      checks.push(
        check.late(
          NAME,
          `the harness could not keep the schedule: ${lateOnes.length} of ${results.length} attempts started off their skew by more than ${p.skewToleranceMs} ms (worst: intended ${worst.skewMs} ms, measured ${worst.measuredMs.toFixed(1)} ms); the SUT is not judged (it would have ${failures.length ? 'failed' : 'passed'}: ${verdictText})`,
          ev,
        ),
      );
    } else if (failures.length)
      checks.push(
        check.fail(
          NAME,
          `expected exactly ${e.connections} connection between ${peers[0].name} and ${peers[1].name}: ${verdictText}`,
          ev,
        ),
      );
    else checks.push(check.pass(NAME, verdictText, ev));
    if (cap.unparsed.length)
      ctx.log(`tcpdump lines not parsed (first ${cap.unparsed.length}): ${cap.unparsed.slice(0, 5).join(' | ')}`);
    return checks;
  },
});
