/**
 * discovery.responds: the product must answer discovery on every segment its host is on — the
 * receive half of discovery.reach, which watches what the SUT sends.
 *
 * The profile's SUT (a responder: its argv gets ${port}, ${group} and ${target}) runs in a lab
 * host with several interfaces. One segment after another, a peer there sends the query (mDNS
 * or SSDP preset, or the profile's payload) to the group and port the SUT serves, while a peer
 * on every segment listens on that group and port. Verdict per segment: did an answer to that
 * query come back on the query's own segment; the matrix (query segment × segment the answer
 * arrived on) shows where answers went instead. Queries go one segment at a time, so an answer
 * is never credited to another segment's query.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { assertSafeDestination } from '../../harness/net/safety.ts';
import type { Datagram } from '../../native/types.ts';
import { compareMatrix, expectedRow, RowReach } from '../lib/net/matrix.ts';
import { errText } from '../lib/net/evidence.ts';
import { Group, Segments } from '../lib/net/params.ts';
import { Described, Enum } from '../lib/params.ts';
import { sleep, waitUntil } from '../lib/net/timing.ts';
import { labEndpoint, openSocket, peersBySegment, routeSegment, sendFrom } from '../lib/net/topology.ts';
import { arrivalClock } from '../lib/discovery/responders.ts';
import { missingSut, startSutIn, sutCrash, sutHint, sutHostName } from '../lib/discovery/sut.ts';
import { explainResponds } from './lib/explain.ts';
import { makeQuery, MDNS_TYPES, PRESETS } from './lib/queries.ts';

const With = Type.Object({
  host: Type.Optional(Type.String({ description: 'lab host for the SUT when sut.host is not set (default: the one with most links)', examples: ['multi'] })),
  segments: Type.Optional(Segments("segments whose peer queries the SUT (default: every segment of the SUT's host)")),
  preset: Type.Optional(Enum(PRESETS, { description: 'mdns: a standard mDNS query to 224.0.0.251:5353 (ff02::fb with family 6); ssdp: an M-SEARCH to 239.255.255.250:1900; without it, with.payload and with.port' })),
  family: Enum([4, 6], { default: 4, description: 'IP version of the queries and of the preset\'s group (default 4)' }),
  group: Type.Optional(Described(Group, { description: "group the SUT serves, ${group} in the SUT command (default: the preset's; without a preset and group, each segment's IPv4 directed broadcast)", examples: ['224.0.0.251'] })),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "UDP port the SUT serves, ${port} in the SUT command (default: the preset's, 5353 or 1900)" })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 253, description: 'what the query asks for, ${target} in the SUT command: the mDNS question name (default _services._dns-sd._udp.local) or the SSDP ST (default ssdp:all)' })),
  mdnsType: Enum(MDNS_TYPES, { default: 'PTR', description: 'record type of the mDNS question (default PTR)' }),
  payload: Type.Optional(Type.String({ minLength: 1, maxLength: 1400, description: 'the query itself, instead of a preset: text sent as is after ${segment}, ${group}, ${port} and ${target} are filled in' })),
  answerPattern: Type.Optional(Type.String({ minLength: 1, description: 'regular expression an answer\'s text must match (default: a preset\'s own check, or any datagram from the SUT for a payload)' })),
  tries: Type.Integer({ minimum: 1, maximum: 20, default: 3, description: 'queries sent per segment, until one is answered (default 3)' }),
  intervalMs: Type.Integer({ minimum: 10, maximum: 10000, default: 300, description: 'time between the queries of one segment, in ms (default 300)' }),
  timeoutMs: Type.Integer({ minimum: 100, maximum: 60000, default: 2000, description: "time for an answer to each segment's query, in ms from its first query (default 2000)" }),
}, { additionalProperties: false });
type With = Static<typeof With>;

const Expect = Type.Object({
  answers: Described(RowReach, { default: 'all', description: 'segments whose query must be answered on that same segment (default all)' }),
  elsewhere: Type.Boolean({ default: true, description: 'an answer may also arrive on segments other than the query\'s (default true; false: such an answer fails)' }),
}, { additionalProperties: false });
type Expect = Static<typeof Expect>;

/** What one peer heard from the SUT. */
interface Heard { segment: string; t: number; source: string; destination: string; ifindex: number; bytes: number; data: Buffer }

/** Time left for copies of an answer to arrive elsewhere once the querying segment has its own. */
const SETTLE_MS = 150;

export default defineScenario<With, Expect>({
  id: 'discovery.responds',
  summary: 'the SUT answers a query (mDNS, SSDP or a payload) sent from every segment, on that segment',
  platforms: ['linux'],
  requires: ['addon', 'lab', 'sut'],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 60_000,
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
    if (unknown.length) return [check.error('discovery.responds', `with.segments names ${unknown.join(', ')}, not a segment of ${hostName}`)];
    const peers = peersBySegment(lab, segments, hostName);
    const measurable = segments.filter((s) => peers.get(s));
    if (measurable.length === 0) {
      return [check.skip('responder answers on every segment', `no segment of ${hostName} has another host to query from (${segments.join(', ')}): add a peer host per segment`)];
    }
    // Whose datagrams count: the SUT host's addresses, by the segment each belongs to.
    const sutAddresses = new Map(host.ifaces().flatMap((i) => [i.ipv4?.address, i.ipv6, i.linkLocal6].filter((a): a is string => !!a).map((a) => [a, i.segment])));
    const family = p.family;
    const heard: Heard[] = [];
    // Kernel arrival times: a late event loop must not move an answer into the next segment's window.
    const arrival = arrivalClock(ctx);
    const sockets = new Map<string, { send: (data: Buffer) => void; to: string }>();
    for (const seg of measurable) {
      const peer = lab.host(peers.get(seg)!.name);
      const ep = labEndpoint(peer);
      const iface = peer.iface(seg);
      const to = query.group ?? iface.ipv4?.broadcast;
      if (!to) return [check.error('discovery.responds', `${peer.name} has no IPv4 broadcast address on ${seg} to query`)];
      const sock = openSocket(ctx, ep, { family, reuseAddr: true, broadcast: !query.group });
      sock.bindToDevice(iface.name);
      sock.bind(family === 4 ? '0.0.0.0' : '::', query.port);
      if (query.group) {
        sock.addMembership(query.group, iface.index);
        sock.setMulticastInterface(iface.index);
        sock.setMulticastTTL(query.ttl);
        sock.setMulticastLoopback(false);
      }
      sock.on('message', (d: Datagram) => {
        const source = d.address.split('%')[0]!;
        if (!sutAddresses.has(source) || heard.length >= 10_000) return;
        heard.push({ segment: seg, t: arrival(d), source, destination: d.destination, ifindex: d.ifindex, bytes: d.data.length, data: d.data });
      });
      sock.startReceiving();
      const from = sendFrom(ctx, ep);
      sockets.set(seg, { to, send: (data) => { assertSafeDestination(to, from); sock.send(data, to, query.port); } });
    }
    const defaultRoute = await routeSegment(host, family === 6 ? '2001:2::1' : '255.255.255.255');
    const vars = { port: String(query.port), group: query.group ?? '', target: query.target };
    const sut = await startSutIn(ctx, hostName, vars);

    // One segment at a time: its peer queries until an answer comes back on its segment.
    interface Window { from: number; to: number; queries: number; sendError?: string }
    const windows = new Map<string, Window>();
    const answersIn = (w: Window): Heard[] => heard.filter((h) => h.t >= w.from && h.t <= w.to && query.judge(h.data).ok);
    for (const seg of measurable) {
      if (signal.aborted || !sut.process.running()) break;
      ctx.progress(`query on ${seg} (${measurable.indexOf(seg) + 1}/${measurable.length})`);
      const w: Window = { from: ctx.elapsedMs(), to: Infinity, queries: 0 };
      windows.set(seg, w);
      const own = (): boolean => answersIn(w).some((h) => h.segment === seg);
      const s = sockets.get(seg)!;
      for (let k = 0; k < p.tries && !own() && !signal.aborted && ctx.elapsedMs() - w.from < p.timeoutMs; k++) {
        try {
          s.send(query.build(seg));
          w.queries++;
        } catch (err) {
          w.sendError = errText(err);
          break;
        }
        await waitUntil(() => own() || !sut.process.running(), Math.min(p.intervalMs, p.timeoutMs - (ctx.elapsedMs() - w.from)), signal);
      }
      if (!w.sendError) await waitUntil(() => own() || !sut.process.running(), p.timeoutMs - (ctx.elapsedMs() - w.from), signal);
      if (own()) await sleep(SETTLE_MS, signal);
      w.to = ctx.elapsedMs();
    }
    const exitInfo = sut.process.running() ? undefined : await sut.process.exited;

    const got = segments.map((q) => segments.map((a) => {
      const w = windows.get(q);
      return w ? answersIn(w).some((h) => h.segment === a) : false;
    }));
    const ownExpected = expectedRow(e.answers, { cols: segments, defaultRoute });
    const expected = segments.map((q, r) => segments.map((_a, c) => {
      if (!windows.has(q)) return undefined;
      if (r === c) return ownExpected[c];
      return e.elsewhere ? undefined : false;
    }));
    const sutSeg = (a: string): string => sutAddresses.get(a) ?? '?';
    const { evidence, diffs } = compareMatrix({
      title: `${query.describe} to ${query.group ?? 'each segment\'s broadcast'}:${query.port} from each segment: where ${hostName}'s answer arrived (within ${p.timeoutMs} ms)`,
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
        return hs.length ? `✓ ${hs.length}× from ${sutSeg(hs[0]!.source)} at +${Math.round(hs[0]!.t - w.from)}ms` : '—';
      },
      legend: `✓ n× from <the SUT's segment whose address sent it> at +ms after the first query; default route: ${defaultRoute ?? 'none'}; peers: ${measurable.map((s) => `${s}=${peers.get(s)!.name}`).join(', ')}`,
    });
    const lines = heard.slice(0, 80).map((h) => {
      const q = [...windows.entries()].find(([, w]) => h.t >= w.from && h.t <= w.to)?.[0];
      const j = query.judge(h.data);
      return `+${Math.round(h.t)}ms ${q ? `query on ${q}` : 'outside any query'}: heard on ${h.segment} (ifindex ${h.ifindex}) from ${h.source} (${hostName}'s ${sutSeg(h.source)}) to ${h.destination}, ${h.bytes} B: ${j.ok ? '' : 'not an answer: '}${j.summary}`;
    });
    if (heard.length > 80) lines.push(`… ${heard.length - 80} more`);
    const ev = [
      evidence,
      { kind: 'text' as const, title: 'what each peer heard from the SUT', text: lines.join('\n') || 'nothing from the SUT reached any peer' },
      { kind: 'text' as const, title: 'SUT output (last 40 lines)', text: sut.process.output.slice(-40).join('\n') || '(no output)' },
    ];
    const checks: Check[] = [];
    const sendErrors = [...windows.entries()].filter(([, w]) => w.sendError).map(([s, w]) => `${s}: ${w.sendError}`);
    if (sendErrors.length) checks.push(check.error('queries sent', `the harness could not send the query on ${sendErrors.join('; ')}`, [ev[1]!]));
    const notRun = measurable.filter((s) => !windows.has(s));
    const byRow = (d: (typeof diffs)[number]): boolean => d.r === d.c;
    const missed = diffs.filter((d) => byRow(d) && d.expected).map((d) => d.row);
    const extra = diffs.filter((d) => byRow(d) && !d.expected).map((d) => d.row);
    const leaked = diffs.filter((d) => !byRow(d));
    if (missed.length || extra.length || leaked.length) {
      const parts: string[] = [];
      if (missed.length) {
        const inWindows = [...windows.values()].flatMap((w) => heard.filter((h) => h.t >= w.from && h.t <= w.to));
        parts.push(explainResponds({
          answered: segments.filter((s, k) => got[k]![k]),
          missed: missed.map((s) => ({ segment: s, elsewhere: segments.filter((a, c) => a !== s && got[segments.indexOf(s)]![c]) })),
          defaultRoute,
          to: `${query.group ?? 'the directed broadcast'}:${query.port}`,
          queries: Math.max(...[...windows.values()].map((w) => w.queries)),
          timeoutMs: p.timeoutMs,
          nonAnswers: inWindows.filter((h) => !query.judge(h.data).ok).length,
          sutHint: sutHint(sut.process.output),
          sutExit: exitInfo ? (exitInfo.signal ? `was killed by ${exitInfo.signal}` : `exited with code ${exitInfo.code}`) : undefined,
        }));
      }
      if (extra.length) parts.push(`the queries on ${extra.join(', ')} were answered, which the expectation says they must not be`);
      if (leaked.length) parts.push(`answers also arrived on other segments than the query's (${leaked.map((d) => `query on ${d.row} → heard on ${d.col}`).join(', ')}), which expect.elsewhere: false forbids`);
      checks.push(check.fail('responder answers on every segment', parts.join('; '), ev));
    } else if (notRun.length) {
      checks.push(check.error('responder answers on every segment', `the queries on ${notRun.join(', ')} were not sent: ${signal.aborted ? 'the scenario was stopped' : 'the SUT had ended'}`, ev));
    } else {
      const ok = segments.filter((s, k) => got[k]![k]);
      checks.push(check.pass('responder answers on every segment', `answered on ${ok.join(', ') || 'no segment'} as expected${segments.length > measurable.length ? ` (not measured: ${segments.filter((s) => !measurable.includes(s)).join(', ')})` : ''}`, ev));
    }
    const crash = sutCrash(exitInfo);
    if (crash) checks.push(check.error('SUT keeps running', `the SUT ${crash} while it was queried${sutHint(sut.process.output) ? `; it printed: ${sutHint(sut.process.output)}` : ''}`, [ev[2]!]));
    return checks;
  },
});
