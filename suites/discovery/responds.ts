/**
 * discovery.responds: the product must answer discovery on every segment its host is on — the
 * receive half of discovery.reach, which watches what the SUT sends.
 *
 * The profile's SUT (a responder: its argv gets ${port}, ${group} and ${target}) runs in a lab
 * host with several interfaces. One segment after another, a peer there sends the query (mDNS
 * or SSDP preset, or the profile's payload) to the group and port the SUT serves, while a peer
 * on every segment listens on that group and port (./lib/query-peers.ts). Verdict per segment:
 * did an answer to that query come back on the query's own segment; the matrix (query segment ×
 * segment the answer arrived on) shows where answers went instead. Queries go one segment at a
 * time, so an answer is never credited to another segment's query.
 */
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { compareMatrix, expectedRow } from '../lib/net/matrix.ts';
import { errText } from '../lib/net/evidence.ts';
import { sleep, waitUntil } from '../lib/net/timing.ts';
import { labEndpoint, peersBySegment, routeSegment } from '../lib/net/topology.ts';
import { missingSut, startSutIn, sutCrash, sutHint, sutHostName } from '../lib/discovery/sut.ts';
import { explainResponds } from './lib/explain.ts';
import { makeQuery } from './lib/queries.ts';
import { openQueryPeers, type Heard } from './lib/query-peers.ts';
import { RespondsExpect, RespondsWith } from './lib/responds-params.ts';

const NAME = 'responder answers on every segment';
/** Time left for copies of an answer to arrive elsewhere once the querying segment has its own. */
const SETTLE_MS = 150;
const MAX_LINES = 80;

/** One segment's turn: from its first query until its answer settled or its time ran out. */
interface Window {
  from: number;
  to: number;
  queries: number;
  sendError?: string;
}

export default defineScenario<RespondsWith, RespondsExpect>({
  id: 'discovery.responds',
  summary: 'the SUT answers a query (mDNS, SSDP or a payload) sent from every segment, on that segment',
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut'],
  withSchema: RespondsWith,
  expectSchema: RespondsExpect,
  defaultTimeoutMs: 60_000,
  timingJudged: true,
  sutVariables: {
    port: { description: 'the UDP port the queries go to (the one it must serve)' },
    group: {
      description:
        'the multicast group the queries go to (with a preset or with.query.group; a broadcast query has none)',
    },
    target: { description: 'what the query asks for (the mDNS name or SSDP search target)' },
  },
  async run(ctx, { with: p, expect: e }, signal) {
    const missing = missingSut(ctx, 'discovery.responds');
    if (missing) return [check.error('discovery.responds', missing)];
    const query = makeQuery(p);
    if (typeof query === 'string') return [check.error('discovery.responds', query)];
    const lab = ctx.lab!;
    const hostName = sutHostName(ctx, lab, p.host);
    const host = labEndpoint(lab.host(hostName));
    const all = host.ifaces().map((i) => i.segment);
    const segments = p.segments?.length ? p.segments : all;
    const unknown = segments.filter((s) => !all.includes(s));
    if (unknown.length) {
      const names = unknown.join(', ');
      return [check.error('discovery.responds', `with.segments names ${names}, not a segment of ${hostName}`)];
    }
    const peerOf = new Map(
      [...peersBySegment(lab, segments, hostName)].flatMap(([s, h]) => (h ? [[s, h.name] as const] : [])),
    );
    const measurable = segments.filter((s) => peerOf.has(s));
    if (measurable.length === 0) {
      const why =
        `no segment of ${hostName} has another host to query from (${segments.join(', ')}): ` +
        'add a peer host per segment';
      return [check.skip(NAME, why)];
    }
    // Whose datagrams count: the SUT host's addresses, by the segment each belongs to.
    const sutAddresses = new Map(
      host
        .ifaces()
        .flatMap((i) =>
          [i.ipv4?.address, i.ipv6, i.linkLocal6].filter((a): a is string => !!a).map((a) => [a, i.segment] as const),
        ),
    );
    const peers = openQueryPeers(ctx, lab, peerOf, query, p.family, new Set(sutAddresses.keys()));
    if (typeof peers === 'string') return [check.error('discovery.responds', peers)];
    const { heard } = peers;
    const defaultRoute = await routeSegment(host, p.family === 6 ? '2001:2::1' : '255.255.255.255');
    const vars = {
      port: String(query.port),
      ...(query.group === undefined ? {} : { group: query.group }),
      target: query.target,
    };
    const sut = await startSutIn(ctx, hostName, vars);

    // One segment at a time: its peer queries until an answer comes back on its segment.
    const windows = new Map<string, Window>();
    const within = (h: Heard, w: Window): boolean => h.t >= w.from && h.t <= w.to;
    const answersIn = (w: Window): Heard[] => heard.filter((h) => within(h, w) && query.judge(h.data).ok);
    for (const [k, seg] of measurable.entries()) {
      if (signal.aborted || !sut.process.running()) break;
      ctx.progress(`query on ${seg} (${k + 1}/${measurable.length})`);
      const w: Window = { from: ctx.elapsedMs(), to: Infinity, queries: 0 };
      windows.set(seg, w);
      const own = (): boolean => answersIn(w).some((h) => h.segment === seg);
      const done = (): boolean => own() || !sut.process.running();
      const left = (): number => p.timeoutMs - (ctx.elapsedMs() - w.from);
      for (let n = 0; n < p.tries && !own() && !signal.aborted && left() > 0; n++) {
        try {
          peers.send.get(seg)!(query.build(seg));
          w.queries++;
        } catch (err) {
          w.sendError = errText(err);
          break;
        }
        await waitUntil(done, Math.min(p.intervalMs, left()), signal);
      }
      if (!w.sendError) await waitUntil(done, left(), signal);
      if (own()) await sleep(SETTLE_MS, signal);
      w.to = ctx.elapsedMs();
    }
    const exitInfo = sut.process.running() ? undefined : await sut.process.exited;

    const got = segments.map((q) =>
      segments.map((a) => {
        const w = windows.get(q);
        return w ? answersIn(w).some((h) => h.segment === a) : false;
      }),
    );
    const ownExpected = expectedRow(e.answers, { cols: segments, defaultRoute });
    const expected = segments.map((q, r) =>
      segments.map((_a, c) => {
        if (!windows.has(q)) return undefined;
        if (r === c) return ownExpected[c];
        return e.elsewhere ? undefined : false;
      }),
    );
    const sutSeg = (a: string): string => sutAddresses.get(a) ?? '?';
    const to = `${query.group ?? "each segment's broadcast"}:${query.port}`;
    const { evidence, diffs } = compareMatrix({
      title:
        `${query.describe} to ${to} from each segment: where ${hostName}'s answer arrived ` +
        `(within ${p.timeoutMs} ms)`,
      rowLabel: 'query on',
      colLabel: 'answer heard on',
      rows: segments,
      cols: segments,
      expected,
      got,
      text: (r, c) => {
        const w = windows.get(segments[r]!);
        if (!w) return measurable.includes(segments[r]!) ? 'not run' : 'n/a';
        const hs = answersIn(w).filter((h) => h.segment === segments[c]);
        const first = hs[0];
        return first ? `✓ ${hs.length}× from ${sutSeg(first.source)} at +${Math.round(first.t - w.from)}ms` : '—';
      },
      legend:
        `✓ n× from <the SUT's segment whose address sent it> at +ms after the first query; ` +
        `default route: ${defaultRoute ?? 'none'}; peers: ${[...peerOf].map(([s, h]) => `${s}=${h}`).join(', ')}`,
    });
    const lines = heard.slice(0, MAX_LINES).map((h) => {
      const q = [...windows].find(([, w]) => within(h, w))?.[0];
      const j = query.judge(h.data);
      return (
        `+${Math.round(h.t)}ms ${q ? `query on ${q}` : 'outside any query'}: ` +
        `heard on ${h.segment} (ifindex ${h.ifindex}) from ${h.source} (${hostName}'s ${sutSeg(h.source)}) ` +
        `to ${h.destination}, ${h.bytes} B: ${j.ok ? '' : 'not an answer: '}${j.summary}`
      );
    });
    if (heard.length > MAX_LINES) lines.push(`… ${heard.length - MAX_LINES} more`);
    const heardEv = {
      kind: 'text' as const,
      title: 'what each peer heard from the SUT',
      text: lines.join('\n') || 'nothing from the SUT reached any peer',
    };
    const outputEv = {
      kind: 'text' as const,
      title: 'SUT output (last 40 lines)',
      text: sut.process.output.slice(-40).join('\n') || '(no output)',
    };
    const ev = [evidence, heardEv, outputEv];

    const checks: Check[] = [];
    const sendErrors = [...windows].filter(([, w]) => w.sendError).map(([s, w]) => `${s}: ${w.sendError}`);
    if (sendErrors.length) {
      const reason = `the harness could not send the query on ${sendErrors.join('; ')}`;
      checks.push(check.error('queries sent', reason, [heardEv]));
    }
    const notRun = measurable.filter((s) => !windows.has(s));
    const missed = diffs.filter((d) => d.r === d.c && d.expected).map((d) => d.row);
    const extra = diffs.filter((d) => d.r === d.c && !d.expected).map((d) => d.row);
    const leaked = diffs.filter((d) => d.r !== d.c);
    if (missed.length || extra.length || leaked.length) {
      const parts: string[] = [];
      if (missed.length) {
        const inWindows = heard.filter((h) => [...windows.values()].some((w) => within(h, w)));
        const elsewhere = (s: string): string[] => segments.filter((a, c) => a !== s && got[segments.indexOf(s)]![c]);
        parts.push(
          explainResponds({
            answered: segments.filter((_s, k) => got[k]![k]),
            missed: missed.map((s) => ({ segment: s, elsewhere: elsewhere(s) })),
            defaultRoute,
            to: `${query.group ?? 'the directed broadcast'}:${query.port}`,
            queries: Math.max(...[...windows.values()].map((w) => w.queries)),
            timeoutMs: p.timeoutMs,
            nonAnswers: inWindows.filter((h) => !query.judge(h.data).ok).length,
            sutHint: sutHint(sut.process.output),
            sutExit:
              exitInfo && (exitInfo.signal ? `was killed by ${exitInfo.signal}` : `exited with code ${exitInfo.code}`),
          }),
        );
      }
      if (extra.length) {
        parts.push(`the queries on ${extra.join(', ')} were answered, which the expectation says they must not be`);
      }
      if (leaked.length) {
        const where = leaked.map((d) => `query on ${d.row} → heard on ${d.col}`).join(', ');
        parts.push(
          `answers also arrived on other segments than the query's (${where}), ` +
            'which expect.elsewhere: false forbids',
        );
      }
      checks.push(check.fail(NAME, parts.join('; '), ev));
    } else if (notRun.length) {
      const why = signal.aborted ? 'the scenario was stopped' : 'the SUT had ended';
      checks.push(check.error(NAME, `the queries on ${notRun.join(', ')} were not sent: ${why}`, ev));
    } else {
      const ok = segments.filter((_s, k) => got[k]![k]);
      const unmeasured = segments.filter((s) => !measurable.includes(s));
      const note = unmeasured.length ? ` (not measured: ${unmeasured.join(', ')})` : '';
      checks.push(check.pass(NAME, `answered on ${ok.join(', ') || 'no segment'} as expected${note}`, ev));
    }
    const crash = sutCrash(exitInfo);
    if (crash) {
      const said = sutHint(sut.process.output);
      const reason = `the SUT ${crash} while it was queried${said ? `; it printed: ${said}` : ''}`;
      checks.push(check.error('SUT keeps running', reason, [outputEv]));
    }
    return checks;
  },
});
