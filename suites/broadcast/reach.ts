/**
 * broadcast.reach: where does a broadcast go from a host with several interfaces?
 *
 * Rows (send modes) × columns (segments), with a listener on every segment:
 * - `unbound`: one socket, no interface, to 255.255.255.255. The kernel routes the limited
 *   broadcast (RFC 919) like any destination: it leaves on the default route's interface only.
 * - `bound:<seg>`: one socket per interface (SO_BINDTODEVICE on Linux, IP_BOUND_IF on macOS),
 *   to 255.255.255.255: each reaches its own segment.
 * - `directed:<seg>`: to the interface's subnet broadcast (RFC 922), e.g. 198.18.2.255.
 * A cell is delivered when at least one of `count` datagrams arrived. Broadcast needs no
 * membership, so there is no warm-up here: a missing datagram is a routing fact, not loss.
 */
import { Type, type Static } from '@sinclair/typebox';
import { check, type Check } from '../../harness/model/check.ts';
import { defineScenario } from '../../harness/model/scenario.ts';
import { arrivalsEvidence, errText } from '../lib/net/evidence.ts';
import { egressNote, listenPerSegment } from '../lib/net/listeners.ts';
import { connectPeers, PeerPort, Peers, type PeerSet } from '../lib/net/peers.ts';
import { Segments } from '../lib/net/params.ts';
import { Described, Enum } from '../lib/params.ts';
import { applyCells, cellOverrides, compareMatrix, diffsByRow, expectedRow, RowReach } from '../lib/net/matrix.ts';
import { encodeProbe, newRunTag } from '../lib/net/probe.ts';
import { assertSafeDestination, isLabAddress } from '../../harness/net/safety.ts';
import { sleep } from '../lib/net/timing.ts';
import {
  chooseSegments,
  labEndpoint,
  localEndpoint,
  openSocket,
  pickMultiHomed,
  routeSegment,
  sendFrom,
  type SegIface,
} from '../lib/net/topology.ts';
import { explainRow, MODES, type Mode } from './lib/explain.ts';

/** What a bound or directed row must reach. */
const ROW_RULES = ['own', 'all', 'none'] as const;

const With = Type.Object(
  {
    host: Type.Optional(
      Type.String({ description: 'lab host that sends (default: the one with most links)', examples: ['multi'] }),
    ),
    segments: Type.Optional(Segments('segments (host mode: interface names) to test; default all of the sender')),
    port: Type.Integer({
      minimum: 1024,
      maximum: 65535,
      default: 47810,
      description: 'UDP port the broadcasts go to and every listener binds (default 47810)',
    }),
    modes: Type.Array(
      Enum(MODES, {
        description:
          'a send mode: unbound (one socket to 255.255.255.255), bound (one per interface, to 255.255.255.255), directed (to each subnet broadcast)',
      }),
      {
        uniqueItems: true,
        minItems: 1,
        default: [...MODES],
        description: 'send modes to test, one matrix row per mode and interface (default all three)',
      },
    ),
    count: Type.Integer({
      minimum: 1,
      maximum: 50,
      default: 3,
      description: 'datagrams per row; a cell is delivered when at least one arrived (default 3)',
    }),
    intervalMs: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 10,
      description: 'pause between two datagrams of a row, in ms (default 10)',
    }),
    settleMs: Type.Integer({
      minimum: 50,
      maximum: 10000,
      default: 300,
      description: 'wait after the last send, in ms, before the arrivals are counted (default 300)',
    }),
    peers: Type.Optional(Peers),
    peerPort: PeerPort,
  },
  { additionalProperties: false },
);
type With = Static<typeof With>;

const Expect = Type.Object(
  {
    reach: Described(RowReach, {
      default: 'default-route-only',
      description:
        'segments the unbound all-hosts broadcast must reach (default default-route-only: the kernel routes 255.255.255.255 like any destination)',
    }),
    bound: Enum(ROW_RULES, {
      default: 'own',
      description:
        'segments a broadcast bound to one interface must reach: own = its own segment only (default), all, or none',
    }),
    directed: Enum(ROW_RULES, {
      default: 'own',
      description:
        "segments a directed broadcast to one subnet must reach: own = that subnet's segment only (default), all, or none",
    }),
    cells: cellOverrides('unbound, bound:<segment>, directed:<segment>', { unbound: { 'lan-b': true } }),
  },
  { additionalProperties: false },
);
type Expect = Static<typeof Expect>;

interface Row {
  key: string;
  mode: Mode;
  own?: string;
  dest: string;
  iface?: SegIface;
}

const LIMITED = '255.255.255.255';

function plan(segments: SegIface[], modes: Mode[], lab: boolean): { rows: Row[]; skipped: string[] } {
  const rows: Row[] = [];
  const skipped: string[] = [];
  if (modes.includes('unbound')) rows.push({ key: 'unbound', mode: 'unbound', dest: LIMITED });
  if (modes.includes('bound'))
    for (const s of segments)
      rows.push({ key: `bound:${s.segment}`, mode: 'bound', own: s.segment, dest: LIMITED, iface: s });
  if (modes.includes('directed')) {
    for (const s of segments) {
      const b = s.ipv4?.broadcast;
      // Host mode never sends a directed broadcast outside the lab range (safety rule).
      if (!b || (!lab && !isLabAddress(b)))
        skipped.push(`directed:${s.segment} (${b ? `${b} is outside the lab range` : 'no IPv4 broadcast address'})`);
      else rows.push({ key: `directed:${s.segment}`, mode: 'directed', own: s.segment, dest: b, iface: s });
    }
  }
  return { rows, skipped };
}

export default defineScenario<With, Expect>({
  id: 'broadcast.reach',
  summary: 'all-hosts (unbound, bound per interface) and directed broadcast: which segments each reaches',
  platforms: ['linux', 'darwin'],
  requires: ['addon'],
  sendsOnHostNetwork: true,
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 20_000,
  async run(ctx, { with: p, expect: e }, signal) {
    const sender = ctx.lab ? labEndpoint(pickMultiHomed(ctx.lab, p.host)) : localEndpoint();
    const { segments, unknown } = chooseSegments(sender, p.segments);
    if (unknown.length)
      return [
        check.error('broadcast.reach', `with.segments names ${unknown.join(', ')}, not a segment of ${sender.label}`),
      ];
    const withV4 = segments.filter((s) => s.ipv4);
    if (withV4.length === 0)
      return [check.skip('broadcast.reach', `${sender.label} has no interface with an IPv4 address`)];
    const cols = withV4.map((s) => s.segment);
    const runTag = newRunTag();
    let remote: PeerSet | undefined;
    if (!ctx.lab && p.peers?.length) {
      remote = await connectPeers(ctx, sender, p.peers, p.peerPort, signal);
      if (remote.problems.length) return [check.error('broadcast.reach', `with.peers: ${remote.problems.join('; ')}`)];
    }
    const heard = await listenPerSegment(ctx, sender, withV4, runTag, { family: 4, port: p.port }, remote);
    // Nothing measured is not a pass: with no listener anywhere every cell would read "not reached".
    if (heard.missing.length === cols.length) {
      return [
        check.skip(
          'broadcast.reach',
          `no segment of ${sender.label} has another host to listen on (${cols.join(', ')}): add a peer host per segment${sender.lab ? '' : ' (host mode: a peer agent in with.peers)'}`,
        ),
      ];
    }
    const defaultRoute = await routeSegment(sender, LIMITED);
    ctx.log(
      `sender ${sender.label}; listeners ${JSON.stringify(heard.where)}; 255.255.255.255 routes via ${defaultRoute ?? 'nothing'}`,
    );
    const { rows, skipped } = plan(withV4, p.modes, sender.lab);
    const strayRows = Object.keys(e.cells).filter((k) => !rows.some((r) => r.key === k));
    if (strayRows.length)
      return [
        check.error(
          'broadcast.reach',
          `expect.cells names row ${strayRows.join(', ')}; rows here: ${rows.map((r) => r.key).join(', ')}`,
        ),
      ];

    // Send: SO_BROADCAST set on every socket (socket(7)); the missing-flag case is broadcast.requires-so-broadcast.
    const sendErrors = new Map<string, string>();
    for (const row of rows) {
      if (signal.aborted) break;
      assertSafeDestination(row.dest, sendFrom(ctx, sender));
      const sock = openSocket(ctx, sender, { family: 4, broadcast: true });
      try {
        if (row.mode === 'bound') sock.bindToDevice(row.iface!.name);
        sock.bind('0.0.0.0', 0);
        for (let i = 0; i < p.count && !signal.aborted; i++) {
          sock.send(encodeProbe(runTag, row.key, i), row.dest, p.port);
          if (p.intervalMs) await sleep(p.intervalMs, signal);
        }
      } catch (err) {
        sendErrors.set(row.key, errText(err));
      }
    }
    await sleep(p.settleMs, signal);
    await heard.sync();

    const log = heard.log;
    const checks: Check[] = [];
    for (const mode of p.modes) {
      const mrows = rows.filter((r) => r.mode === mode);
      if (mrows.length === 0) {
        checks.push(
          check.skip(`${mode} broadcast`, `nothing to send in this mode here: ${skipped.join('; ') || 'no interface'}`),
        );
        continue;
      }
      const expected = mrows.map((r) =>
        expectedRow(mode === 'unbound' ? e.reach : mode === 'bound' ? e.bound : e.directed, {
          cols,
          own: r.own,
          defaultRoute,
        }),
      );
      const unknownCells = applyCells(
        expected,
        mrows.map((r) => r.key),
        cols,
        Object.fromEntries(Object.entries(e.cells).filter(([k]) => mrows.some((r) => r.key === k))),
      );
      for (const s of heard.missing) for (const ex of expected) ex[cols.indexOf(s)] = undefined;
      const got = mrows.map((r) => cols.map((c) => log.count(r.key, c) > 0));
      const { evidence, diffs } = compareMatrix({
        title: `${mode} broadcast: send mode × segment (delivered = at least 1 of ${p.count})`,
        rowLabel: 'send',
        colLabel: 'segment',
        rows: mrows.map((r) => r.key),
        cols,
        expected,
        got,
        text: (r, c) => {
          const row = mrows[r]!;
          if (sendErrors.has(row.key)) return `✗ ${sendErrors.get(row.key)!.replace(/^.* with /, '')}`;
          if (heard.missing.includes(cols[c]!)) return 'n/a';
          const a = log.at(row.key, cols[c]!);
          return a.length ? `✓ ${a.length}/${p.count} ${a[0]!.ifname}` : '—';
        },
        legend: `✓ n/${p.count} arrival-interface = delivered; — = nothing arrived; n/a = no listener; default route: ${defaultRoute ?? 'none'}; destinations: ${mrows.map((r) => `${r.key} → ${r.dest}`).join(', ')}${egressNote(heard)}`,
      });
      const ev = [
        evidence,
        arrivalsEvidence(
          `${mode} broadcast: every datagram`,
          log.arrivals.filter((a) => mrows.some((r) => r.key === a.probe.row)),
        ),
      ];
      const byRow = diffsByRow(diffs);
      const reasons: string[] = [];
      for (const r of mrows) {
        const d = byRow.get(r.key);
        const err = sendErrors.get(r.key);
        if (!d && !err) continue;
        const reached = cols.filter((c) => log.count(r.key, c) > 0);
        reasons.push(
          explainRow(
            {
              row: r.key,
              mode,
              own: r.own,
              dest: r.dest,
              reached,
              missed: d?.missed ?? [],
              extra: d?.extra ?? [],
              sendError: err,
            },
            defaultRoute,
          ),
        );
      }
      if (unknownCells.length) reasons.push(`expect.cells names ${unknownCells.join('; ')}`);
      const name =
        mode === 'unbound'
          ? 'all-hosts broadcast, unbound'
          : mode === 'bound'
            ? 'all-hosts broadcast, bound per interface'
            : 'directed broadcast per prefix';
      if (reasons.length) checks.push(check.fail(name, reasons.join(' | '), ev));
      else {
        const reachedSummary = mrows
          .map((r) => `${r.key} → ${cols.filter((c) => log.count(r.key, c) > 0).join('+') || 'nothing'}`)
          .join(', ');
        const note = `${heard.missing.length ? ` (not measured: ${heard.missing.join(', ')} have no other host${sender.lab ? '' : ' or peer agent'})` : ''}${egressNote(heard)}`;
        checks.push(check.pass(name, `as expected: ${reachedSummary}${note}`, ev));
      }
    }
    if (log.errors.length) ctx.log(`listener errors: ${log.errors.join('; ')}`);
    return checks;
  },
});
