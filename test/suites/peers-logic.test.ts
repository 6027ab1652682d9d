/**
 * peers.symmetric-connect's reading of the wire (suites/lib/net/tcp-segments.ts) and its verdict
 * per attempt (judge.ts), from tcpdump lines written as tcpdump prints them. Pure, no lab.
 */
import { describe, expect, it } from 'vitest';
import { connections, parseTcpdumpLine } from '../../suites/lib/net/tcp-segments.ts';
import { judgeAttempt, summarize, type Side } from '../../suites/peers/lib/judge.ts';

const A = '198.18.1.1';
const B = '198.18.1.2';
const SIDES: [Side, Side] = [
  { name: 'peer-a', address: A },
  { name: 'peer-b', address: B },
];
const WANT = { connections: 1, holdMs: 300, bidirectional: true };

/** A tcpdump -tt line at `ms` (epoch offset 0, so scenario time = ms). */
const line = (ms: number, src: string, sport: number, dst: string, dport: number, flags: string, length = 0): string =>
  `${(ms / 1000).toFixed(6)} IP ${src}.${sport} > ${dst}.${dport}: Flags [${flags}], seq 1, win 64240, length ${length}`;

/** One connection from (src, sport) to dst:47900: handshake at t, HELLO each way, optional FIN by `closer` at `closeAt`. */
function conn(
  t: number,
  src: string,
  sport: number,
  dst: string,
  close?: { by: 'initiator' | 'responder'; at: number },
): string[] {
  const out = [
    line(t, src, sport, dst, 47900, 'S'),
    line(t + 0.1, dst, 47900, src, sport, 'S.'),
    line(t + 0.2, src, sport, dst, 47900, '.'),
    line(t + 1, src, sport, dst, 47900, 'P.', 13),
    line(t + 1.1, dst, 47900, src, sport, 'P.', 13),
  ];
  if (close)
    out.push(
      close.by === 'initiator'
        ? line(close.at, src, sport, dst, 47900, 'F.')
        : line(close.at, dst, 47900, src, sport, 'F.'),
    );
  return out;
}
const judge = (lines: string[], end = 1000): ReturnType<typeof judgeAttempt> =>
  judgeAttempt(
    connections(
      lines.map((l) => parseTcpdumpLine(l, 0)!),
      0,
      end,
    ),
    end,
    SIDES,
    WANT,
  );

describe('peers.symmetric-connect verdicts from the wire', () => {
  it('parses a tcpdump -tt line; other lines are not segments', () => {
    expect(parseTcpdumpLine(line(1500, A, 40000, B, 47900, 'S.'), 1000)).toEqual({
      t: 500,
      src: A,
      sport: 40000,
      dst: B,
      dport: 47900,
      flags: 'S.',
      length: 0,
    });
    expect(parseTcpdumpLine('tcpdump: verbose output suppressed', 0)).toBeUndefined();
  });

  it('tie-break: two connections, the same one closed on both sides, one held with data both ways → ok', () => {
    const j = judge([...conn(10, A, 40000, B), ...conn(11, B, 40001, A, { by: 'initiator', at: 15 })]);
    expect(j).toMatchObject({ ok: true, outcome: 'ok' });
    expect(j.pattern).toBe('1 established and held (peer-a→peer-b)');
  });

  it('keep-both: each side keeps its own → "both sides kept their own connection (2 established)"', () => {
    expect(judge([...conn(10, A, 40000, B), ...conn(11, B, 40001, A)])).toEqual({
      ok: false,
      outcome: '2 established',
      pattern: 'both sides kept their own connection (2 established)',
    });
  });

  it('close-both: each side closes the one it accepted → "each side closed the other\'s as a duplicate: 0 left"', () => {
    const j = judge([
      ...conn(10, A, 40000, B, { by: 'responder', at: 14 }),
      ...conn(11, B, 40001, A, { by: 'responder', at: 14 }),
    ]);
    expect(j).toEqual({ ok: false, outcome: '0 left', pattern: "each side closed the other's as a duplicate: 0 left" });
  });

  it('refused connects only → never connected; a late connection is not held; one-way data is named', () => {
    expect(judge([line(10, A, 40000, B, 47900, 'S'), line(10.1, B, 47900, A, 40000, 'R.')]).pattern).toBe(
      'no connection was ever established (1 connect(s), 1 refused)',
    );
    expect(judge(conn(900, A, 40000, B)).pattern).toMatch(
      /^the connection peer-a→peer-b was established only 100 ms before the end of the observation \(hold 300 ms\)/,
    );
    const oneWay = conn(10, A, 40000, B).slice(0, 4);
    expect(judge(oneWay).pattern).toBe(
      'the kept connection peer-a→peer-b carried data one way only: peer-b sent nothing (13/0 payload bytes)',
    );
  });

  it('a FIN after the window does not count; a retransmitted SYN is one connect', () => {
    expect(judge([...conn(10, A, 40000, B, { by: 'initiator', at: 1200 })]).ok).toBe(true);
    expect(
      connections(
        [line(10, A, 40000, B, 47900, 'S'), line(1010, A, 40000, B, 47900, 'S')].map((l) => parseTcpdumpLine(l, 0)!),
        0,
        2000,
      ),
    ).toHaveLength(1);
  });

  it('summarize groups patterns with counts per skew', () => {
    expect(
      summarize(
        [
          { pattern: "each side closed the other's as a duplicate: 0 left", skewMs: 0 },
          { pattern: "each side closed the other's as a duplicate: 0 left", skewMs: 0 },
          { pattern: "each side closed the other's as a duplicate: 0 left", skewMs: 1 },
        ],
        10,
      ),
    ).toBe("each side closed the other's as a duplicate: 0 left after 3 of 10 attempts (skew 0 ms: 2, 1 ms: 1)");
  });
});
