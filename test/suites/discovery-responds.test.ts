/**
 * discovery.responds in a real lab with the example responder (profiles/sut/respond.py): the
 * responder that answers on the query's interface passes (mDNS and SSDP); the one joined on one
 * interface and the one answering out of the default route are xfails naming what was seen.
 * tcpdump in each segment's switch namespace witnesses where each responder's answers went. Root.
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
import type { Witness } from './helpers-net/witness.ts';

const SEGS = ['lan-a', 'lan-b', 'lan-c'];
/** Segments that carried an mDNS answer of the responder in `mode` (its instance name says which). */
const answeredOn = (w: Map<string, Witness>, mode: string): string[] =>
  SEGS.filter((s) => w.get(s)!.packets.some((p) => p.payload.includes(`example-responder-${mode}`)));

describe.skipIf(!witnessedLabNeeds.ok)(witnessedLabNeeds.title('discovery.responds in a lab (root)'), () => {
  it('profiles/discovery-responds.yaml exits 0: good responders pass, broken ones xfail; witness agrees', async () => {
    const filter = 'udp and (port 5353 or port 1900)';
    const r = await runWitnessed(['profiles/discovery-responds.yaml'], { filter, segments: SEGS });
    expect(r.exitCode).toBe(0);
    const good = checkNamed(scenario(r.result, 'good-mdns'), /every segment/);
    expect(good.verdict).toBe('pass');
    expect([...deliveredCells(matrixOf(good))]).toEqual(['lan-a@lan-a', 'lan-b@lan-b', 'lan-c@lan-c']);
    expect(checkNamed(scenario(r.result, 'good-ssdp'), /every segment/).verdict).toBe('pass');

    const one = checkNamed(scenario(r.result, 'one-interface'), /every segment/);
    expect(one.verdict).toBe('xfail');
    expect(one.reason).toContain(
      'no answer came back on lan-b and lan-c within 1200 ms (it answered only on lan-a, ' +
        'the default route): typically the responder joined the group on one interface only',
    );
    expect(matrixOf(one).mismatches).toEqual([
      [1, 1],
      [2, 2],
    ]);

    const viaDefault = checkNamed(scenario(r.result, 'default-route'), /every segment/);
    expect(viaDefault.verdict).toBe('xfail');
    expect(viaDefault.reason).toContain(
      'the queries on lan-b and lan-c were answered on lan-a (the default route) instead',
    );
    expect([...deliveredCells(matrixOf(viaDefault))]).toEqual(['lan-a@lan-a', 'lan-b@lan-a', 'lan-c@lan-a']);

    // Witness: where each responder's answers crossed, seen by tcpdump on each segment's switch.
    const wit = r.segments.get(r.runIds[0]!)!;
    expect(answeredOn(wit, 'every-interface')).toEqual(SEGS);
    expect(answeredOn(wit, 'one-interface')).toEqual(['lan-a']);
    expect(answeredOn(wit, 'default-route')).toEqual(['lan-a']);
    // The queries themselves crossed every segment, so the silence is the responder's.
    for (const s of SEGS) expect(wit.get(s)!.packets.some((p) => p.payload.includes('_services'))).toBe(true);
    expect(r.root.packets.filter((p) => /example-responder|netconform-test/.test(p.payload))).toEqual([]);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  }, 120_000);

  it('a payload query to a responder that is not there: a fail that says nothing answered, never a pass', async () => {
    const yaml = `profile: responds-silent
lab:
  segments: { lan-a: {}, lan-b: {} }
  hosts:
    dut: { links: [{ segment: lan-a }, { segment: lan-b }], defaultRoute: lan-a }
    peer-a: { links: [{ segment: lan-a }] }
    peer-b: { links: [{ segment: lan-b }] }
sut:
  host: dut
  command: [sleep, '30']
scenarios:
  - id: silent
    use: discovery.responds
    with: { payload: 'WHO-IS \${segment}', port: 47850, tries: 2, timeoutMs: 600 }
`;
    const r = await runWitnessed([yaml], { filter: 'udp port 47850', segments: ['lan-a', 'lan-b'] });
    expect(r.exitCode).toBe(1);
    const c = scenario(r.result, 'silent').checks[0]!;
    expect(c.verdict).toBe('fail');
    expect(c.reason).toMatch(
      /^no answer came back on any segment within 600 ms of 2 queries to the directed broadcast:47850 /,
    );
    const wit = r.segments.get(r.runIds[0]!)!;
    expect(wit.get('lan-b')!.packets.some((p) => p.payload.includes('WHO-IS lan-b'))).toBe(true);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  }, 60_000);
});
