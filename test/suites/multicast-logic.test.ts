/** Pure logic behind multicast.* verdicts: fault sentences, full-mesh accounting, percentiles. */
import { describe, expect, it } from 'vitest';
import { explainReceiveRow, explainSendRow } from '../../suites/multicast/lib/explain.ts';
import {
  expectedCount,
  latencySummary,
  latencySummaryMs,
  pairStats,
  percentile,
  ReceptionLog,
  type Reception,
} from '../../suites/multicast/lib/mesh.ts';

const base = { group: '239.255.0.1', defaultRoute: 'lan-a', ttl: 1, loopback: false };

describe('explainSendRow', () => {
  it('names a missing IP_MULTICAST_IF', () => {
    expect(
      explainSendRow({ ...base, chosen: undefined, reached: ['lan-a'], missed: ['lan-b', 'lan-c'], extra: [] }),
    ).toBe(
      'multicast to 239.255.0.1 reached lan-a only (the default route); lan-b and lan-c got nothing: the sender set no IP_MULTICAST_IF, so the routing table picked one interface (ip(7)); send once per interface with IP_MULTICAST_IF set',
    );
    expect(
      explainSendRow({
        ...base,
        group: 'ff05::114',
        chosen: undefined,
        reached: ['lan-a'],
        missed: ['lan-b'],
        extra: [],
      }),
    ).toContain('IPV6_MULTICAST_IF');
  });
  it('names an ignored interface choice, TTL 0 leaks and loopback mismatches', () => {
    expect(
      explainSendRow({ ...base, chosen: 'lan-b', reached: ['lan-b', 'lan-c'], missed: [], extra: ['lan-c'] }),
    ).toMatch(/IP_MULTICAST_IF=lan-b also appeared on lan-c/);
    expect(
      explainSendRow({ ...base, ttl: 0, chosen: 'lan-b', reached: ['lan-b'], missed: [], extra: ['lan-b'] }),
    ).toMatch(/IP_MULTICAST_TTL 0 left the host onto lan-b/);
    expect(
      explainSendRow({
        ...base,
        chosen: 'lan-b',
        reached: ['lan-b', 'self'],
        missed: [],
        extra: ['self'],
        selfDiff: { expected: false, got: true },
      }),
    ).toMatch(/IP_MULTICAST_LOOP is off but the sender's own receiver got a copy/);
  });
});

describe('explainReceiveRow', () => {
  it('tells a missing join from a broken receive', () => {
    expect(explainReceiveRow({ group: 'g', from: 'lan-b', host: 'multi', joined: false, arrivedOn: [] })).toMatch(
      /did not join g on lan-b/,
    );
    expect(explainReceiveRow({ group: 'g', from: 'lan-b', host: 'multi', joined: true, arrivedOn: [] })).toMatch(
      /receive on that interface is broken/,
    );
    expect(explainReceiveRow({ group: 'g', from: 'lan-b', host: 'multi', joined: true, arrivedOn: ['lan-c'] })).toMatch(
      /arriving on lan-c/,
    );
  });
});

describe('mesh accounting', () => {
  const peers = [
    { id: 'p1', segments: ['a'] },
    { id: 'p2', segments: ['a', 'b'] },
    { id: 'p3', segments: ['b'] },
  ];
  it('expects one datagram per counted round per shared segment, self only with loopback', () => {
    expect(expectedCount(peers[0]!, peers[1]!, 8, false)).toBe(8);
    expect(expectedCount(peers[0]!, peers[2]!, 8, false)).toBe(0);
    expect(expectedCount(peers[1]!, peers[1]!, 8, false)).toBe(0);
    expect(expectedCount(peers[1]!, peers[1]!, 8, true)).toBe(16);
  });
  it('does not count warm-up rounds as loss and dedupes', () => {
    const rx = [0, 1, 2, 3, 3].map((seq) => ({ from: 'p1', to: 'p2', seq, segment: 'a', latencyNs: 1_000_000n }));
    const s = pairStats(peers, rx, 4, 2, false);
    expect(s[1]![0]).toEqual({ expected: 2, received: 2, lossPercent: 0 });
    const lossy = pairStats(
      peers,
      rx.filter((r) => r.seq !== 3),
      4,
      2,
      false,
    );
    expect(lossy[1]![0]).toEqual({ expected: 2, received: 1, lossPercent: 50 });
  });
  it('ReceptionLog keeps every reception as given (past its first growth) and gives the same pair statistics as an array', () => {
    const rx: Reception[] = [];
    for (let seq = 0; seq < 3000; seq++) {
      rx.push({ from: 'p1', to: 'p2', seq, segment: 'a', latencyNs: BigInt(1_000_000 + seq) });
      if (seq % 7 !== 0)
        rx.push({ from: 'p2', to: 'p3', seq, segment: 'b', latencyNs: seq % 2 ? undefined : 2_500_000n });
    }
    const log = new ReceptionLog();
    for (const r of rx) log.push(r);
    expect(log.length).toBe(rx.length);
    expect([...log]).toEqual(rx);
    expect(pairStats(peers, log, 3000, 2, false)).toEqual(pairStats(peers, rx, 3000, 2, false));
    expect(pairStats(peers, log, 3000, 2, false)[2]![1]!.received).toBeLessThan(2998);
    const ms = log.latenciesMs((from, _to, seq) => from === 'p2' && seq >= 2);
    expect(ms.every((x) => x === 2.5)).toBe(true);
    expect(latencySummaryMs(log.latenciesMs(() => true))).toMatchObject({
      samples: rx.filter((r) => r.latencyNs !== undefined).length,
      max: 2.5,
    });
  });
  it('percentiles', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(latencySummary([1_000_000n, 3_000_000n])).toMatchObject({ samples: 2, p50: 1, max: 3 });
  });
});
