/**
 * multicast.* on real labs through the runner; tcpdump in every segment's switch namespace is
 * the independent witness of which send rows crossed which segment. Needs root.
 */
import { describe, expect, it } from 'vitest';
import {
  checkNamed,
  deliveredCells,
  matrixOf,
  netnsOfRuns,
  runWitnessed,
  scenario,
  witnessedLabNeeds,
} from './helpers-net/run.ts';
import { probeRows } from './helpers-net/witness.ts';

const SEGS = ['lan-a', 'lan-b', 'lan-c'];

describe.skipIf(!witnessedLabNeeds.ok)(witnessedLabNeeds.title('multicast suites in a lab (root)'), () => {
  it('profiles/multicast-asymmetry.yaml: receive on all, send without IP_MULTICAST_IF reaches lan-a only (v4, ff02, ff05); witness agrees', async () => {
    const r = await runWitnessed(['profiles/multicast-asymmetry.yaml'], {
      filter: 'udp port 47820',
      segments: SEGS,
      grep: /^asymmetry$|^expect-all-unset$/,
    });
    expect(r.exitCode).toBe(0);
    const asym = scenario(r.result, 'asymmetry');
    expect(asym.checks.map((c) => `${c.name}:${c.verdict}`)).toEqual([
      'receive 239.255.0.1 on every interface:pass',
      'send 239.255.0.1: no interface chosen vs each interface chosen:pass',
      'receive ff02::114 on every interface:pass',
      'send ff02::114: no interface chosen vs each interface chosen:pass',
      'receive ff05::114 on every interface:pass',
      'send ff05::114: no interface chosen vs each interface chosen:pass',
    ]);
    const send4 = matrixOf(checkNamed(asym, /^send 239/));
    expect(send4.rows).toEqual(['none', 'if:lan-a', 'if:lan-b', 'if:lan-c']);
    expect(deliveredCells(send4)).toEqual(
      new Set(['none@lan-a', 'if:lan-a@lan-a', 'if:lan-b@lan-b', 'if:lan-c@lan-c']),
    );
    // Per-datagram arrival interface is in the evidence.
    const recv = checkNamed(asym, /^receive ff05/);
    expect(
      recv.evidence.some((e) => e.kind === 'text' && /from:lan-b #\d+ → multi on \S+ \(ifindex \d+\)/.test(e.text)),
    ).toBe(true);

    // Witness: every send row (all three groups) crossed exactly the segments the harness says.
    const wit = r.segments.get(r.runIds[0]!)!;
    const seen = new Set<string>();
    for (const s of SEGS)
      for (const row of probeRows(wit.get(s)!)) if (!row.startsWith('from:')) seen.add(`${row}@${s}`);
    const harness = new Set<string>();
    for (const c of asym.checks.filter((x) => x.name.startsWith('send')))
      for (const cell of deliveredCells(matrixOf(c))) if (!cell.endsWith('@self')) harness.add(cell);
    expect([...seen].sort()).toEqual([...harness].sort());

    const bad = checkNamed(scenario(r.result, 'expect-all-unset'), /^send/);
    expect(bad.verdict).toBe('xfail');
    expect(bad.reason).toContain(
      'multicast to 239.255.0.1 reached lan-a only (the default route); lan-b and lan-c got nothing: the sender set no IP_MULTICAST_IF',
    );
    expect(matrixOf(bad).mismatches).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(r.root.packets.filter((p) => p.payload.includes('NCPROBE1'))).toEqual([]);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  });

  it('variants fail with the right cells: unset: all (v6), join on lan-a only but expect receive on all', async () => {
    const yaml = `profile: mc-bad
lab:
  segments: { lan-a: {}, lan-b: {}, lan-c: {} }
  hosts:
    multi: { links: [{ segment: lan-a }, { segment: lan-b }, { segment: lan-c }], defaultRoute: lan-a }
    peer-a: { links: [{ segment: lan-a }] }
    peer-b: { links: [{ segment: lan-b }] }
    peer-c: { links: [{ segment: lan-c }] }
scenarios:
  - id: v6-unset-all
    use: multicast.asymmetry
    with: { families: [6], groups6: [ff05::114], phases: [send], port: 47821 }
    expect: { unset: all }
  - id: join-one-expect-all
    use: multicast.asymmetry
    with: { families: [4], phases: [receive], join: [lan-a], port: 47821 }
    expect: { receive: own }
  - id: loop-on-expect-no-self
    use: multicast.asymmetry
    with: { families: [4], phases: [send], loopback: true, port: 47821 }
    expect: { self: no }
`;
    const r = await runWitnessed([yaml], { filter: 'udp port 47821', segments: SEGS });
    expect(r.exitCode).toBe(1);
    const v6 = scenario(r.result, 'v6-unset-all').checks[0]!;
    expect(v6.verdict).toBe('fail');
    expect(v6.reason).toContain(
      'multicast to ff05::114 reached lan-a only (the default route); lan-b and lan-c got nothing: the sender set no IPV6_MULTICAST_IF',
    );
    const join = scenario(r.result, 'join-one-expect-all').checks[0]!;
    expect(join.verdict).toBe('fail');
    expect(join.reason).toContain(
      '239.255.0.1 sent from lan-b never reached multi: it did not join 239.255.0.1 on lan-b',
    );
    expect(matrixOf(join).mismatches).toEqual([
      [1, 1],
      [2, 2],
    ]);
    const loop = scenario(r.result, 'loop-on-expect-no-self').checks[0]!;
    expect(loop.verdict).toBe('fail');
    expect(loop.reason).toContain("IP_MULTICAST_LOOP is on but the sender's own receiver got a copy");
    expect(matrixOf(loop).mismatches!.every(([, c]) => c === 3)).toBe(true);
  });

  it('profiles/group-peers.yaml: full mesh with loss and latency evidence; witness saw every peer on lan-a', async () => {
    const r = await runWitnessed(['profiles/group-peers.yaml'], {
      filter: 'udp port 47830',
      segments: ['lan-a', 'lan-b'],
    });
    expect(r.exitCode).toBe(0);
    const mesh = checkNamed(scenario(r.result, 'mesh-ipv4'), /full mesh/);
    expect(mesh.verdict).toBe('pass');
    const m = matrixOf(mesh);
    expect(m.rows).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect(m.cells[0]).toEqual(['·', '28/28', '28/28', '28/28']);
    const lat = mesh.evidence.find((e) => e.kind === 'numbers' && e.title.startsWith('one-way latency'));
    expect(lat && lat.kind === 'numbers' && typeof lat.values.p99).toBe('number');
    const cdf = mesh.evidence.find((e) => e.kind === 'distribution');
    expect(cdf && cdf.kind === 'distribution' && cdf.series.length).toBe(12); // 4 peers: every ordered pair
    expect(
      cdf &&
        cdf.kind === 'distribution' &&
        cdf.series.every((s) => s.samples.length > 0 && s.samples.every((x) => Number.isFinite(x))),
    ).toBe(true);
    const two = matrixOf(checkNamed(scenario(r.result, 'two-segments'), /full mesh/));
    expect(two.cells[0]![4]).toBe('·'); // p1 (lan-a) and p5 (lan-b) share no segment
    expect(two.cells[4]![3]).toBe('8/8'); // p5 hears p4 on lan-b
    const wit = r.segments.get(r.runIds[0]!)!;
    expect([...probeRows(wit.get('lan-a')!)].sort()).toEqual(['p1', 'p2', 'p3', 'p4']);
    expect([...probeRows(wit.get('lan-b')!)].sort()).toEqual(['p4', 'p5']);
    expect(r.root.packets.filter((p) => p.payload.includes('NCPROBE1'))).toEqual([]);
  });

  it('group-peers fails naming the lossy pairs when one peer sits behind an 8 kbit/s link (tbf)', async () => {
    const yaml = `profile: gp-loss
lab:
  segments: { lan-a: {} }
  hosts:
    p1: { links: [{ segment: lan-a }] }
    p2: { links: [{ segment: lan-a }] }
    p3: { links: [{ segment: lan-a, rate: 8kbit }] }
scenarios:
  - id: lossy
    use: multicast.group-peers
    with: { count: 3, rounds: 30, port: 47831 }
`;
    const r = await runWitnessed([yaml], { filter: 'udp port 47831', segments: ['lan-a'] });
    expect(r.exitCode).toBe(1);
    const c = scenario(r.result, 'lossy').checks[0]!;
    expect(c.verdict).toBe('fail');
    // p3's link is shaped both ways: what p3 receives is always short; under CPU load what it sends may be too.
    expect(c.reason).toMatch(/^not a full mesh on 239\.255\.0\.2: .*p1 → p3: \d+\/28 \([\d.]+% loss\)/);
    const mm = matrixOf(c).mismatches!;
    expect(mm).toEqual(
      expect.arrayContaining([
        [2, 0],
        [2, 1],
      ]),
    );
    expect(mm.every(([row, col]) => row === 2 || col === 2)).toBe(true);
  });
});
