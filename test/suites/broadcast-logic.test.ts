/** Pure logic behind broadcast.* verdicts: matrices, shorthands, fault sentences. The safety rule is test/safety.test.ts. */
import { describe, expect, it } from 'vitest';
import { explainRow } from '../../suites/broadcast/lib/explain.ts';
import { applyCells, compareMatrix, diffsByRow, expectedRow } from '../../suites/lib/net/matrix.ts';
import { decodeProbe, encodeProbe } from '../../suites/lib/net/probe.ts';
import { destinationKind } from '../../suites/lib/net/arrivals.ts';

const cols = ['lan-a', 'lan-b', 'lan-c'];

describe('expectation shorthands', () => {
  it('maps reach values to cells', () => {
    expect(expectedRow('all', { cols })).toEqual([true, true, true]);
    expect(expectedRow('none', { cols })).toEqual([false, false, false]);
    expect(expectedRow('own', { cols, own: 'lan-b' })).toEqual([false, true, false]);
    expect(expectedRow('default-route-only', { cols, defaultRoute: 'lan-a' })).toEqual([true, false, false]);
    expect(expectedRow('default-route-only', { cols })).toEqual([undefined, undefined, undefined]);
    expect(expectedRow(['lan-a', 'lan-c'], { cols })).toEqual([true, false, true]);
  });
  it('applies cells overrides and reports unknown names', () => {
    const exp = [expectedRow('all', { cols })];
    const unknown = applyCells(exp, ['unbound'], cols, { unbound: { 'lan-b': false, 'lan-z': true }, nope: {} });
    expect(exp[0]).toEqual([true, false, true]);
    expect(unknown.sort()).toEqual([
      'column "lan-z" of row "unbound" (columns: lan-a, lan-b, lan-c)',
      'row "nope" (rows: unbound)',
    ]);
  });
});

describe('compareMatrix', () => {
  it('marks exactly the differing cells and skips unchecked ones', () => {
    const { evidence, diffs } = compareMatrix({
      title: 't',
      rowLabel: 'r',
      colLabel: 'c',
      rows: ['unbound', 'bound:lan-b'],
      cols,
      expected: [
        [true, true, true],
        [false, true, undefined],
      ],
      got: [
        [true, false, false],
        [false, true, true],
      ],
    });
    expect(evidence.mismatches).toEqual([
      [0, 1],
      [0, 2],
    ]);
    expect(evidence.cells[0]).toEqual(['✓', '—', '—']);
    expect(diffsByRow(diffs).get('unbound')).toEqual({ missed: ['lan-b', 'lan-c'], extra: [] });
  });
});

describe('explainRow', () => {
  it('names the default-route-only pattern and the segments to fix', () => {
    expect(
      explainRow(
        {
          row: 'unbound',
          mode: 'unbound',
          dest: '255.255.255.255',
          reached: ['lan-a'],
          missed: ['lan-b', 'lan-c'],
          extra: [],
        },
        'lan-a',
      ),
    ).toBe(
      'all-hosts broadcast left only via lan-a, the default route; bind one socket per interface to reach lan-b and lan-c',
    );
  });
  it('names ENETUNREACH, a leaking bind and a leaking directed broadcast', () => {
    expect(
      explainRow(
        {
          row: 'unbound',
          mode: 'unbound',
          dest: '255.255.255.255',
          reached: [],
          missed: ['lan-a'],
          extra: [],
          sendError: 'sendto failed with ENETUNREACH',
        },
        undefined,
      ),
    ).toMatch(/no default route/);
    expect(
      explainRow(
        {
          row: 'bound:lan-b',
          mode: 'bound',
          own: 'lan-b',
          dest: '255.255.255.255',
          reached: ['lan-b', 'lan-c'],
          missed: [],
          extra: ['lan-c'],
        },
        'lan-a',
      ),
    ).toMatch(/also appeared on lan-c: the interface binding was not honoured/);
    expect(
      explainRow(
        {
          row: 'directed:lan-b',
          mode: 'directed',
          own: 'lan-b',
          dest: '198.18.2.255',
          reached: ['lan-b', 'lan-c'],
          missed: [],
          extra: ['lan-c'],
        },
        'lan-a',
      ),
    ).toMatch(/leaked onto lan-c/);
    expect(
      explainRow(
        {
          row: 'bound:lan-b',
          mode: 'bound',
          own: 'lan-b',
          dest: '255.255.255.255',
          reached: [],
          missed: ['lan-b'],
          extra: [],
          sendError: 'sendto failed with EACCES',
        },
        'lan-a',
      ),
    ).toMatch(/lacks SO_BROADCAST/);
  });
});

describe('probe payload', () => {
  it('round-trips and ignores strangers', () => {
    const p = decodeProbe(encodeProbe('abcd', 'bound:lan-b', 7))!;
    expect(p).toMatchObject({ run: 'abcd', row: 'bound:lan-b', seq: 7 });
    expect(BigInt(p.sentNs) > 0n).toBe(true);
    expect(decodeProbe(Buffer.from('DISCOVER x'))).toBeUndefined();
    expect(decodeProbe(Buffer.from('NCPROBE1 {bad'))).toBeUndefined();
  });
  it('decodes rows with quotes, backslashes and non-ASCII as JSON.parse does (the fast path only takes plain ASCII rows)', () => {
    for (const row of ['p1', 'if:lan-a', 'a "quoted" row', 'back\\slash', 'grüße', '東京', '']) {
      const buf = encodeProbe('ab12', row, 42);
      const slow = JSON.parse(buf.toString('utf8').slice('NCPROBE1 '.length)) as unknown;
      expect(decodeProbe(buf)).toEqual(slow);
    }
    // Same prefix, wrong shape: neither path accepts it.
    expect(decodeProbe(Buffer.from('NCPROBE1 {"run":"a","row":"b","seq":"1","sentNs":"2"}'))).toBeUndefined();
    expect(decodeProbe(Buffer.from('NCPROBE1 {"run":"a","row":"b","seq":1,"sentNs":"2"} '))).toEqual({
      run: 'a',
      row: 'b',
      seq: 1,
      sentNs: '2',
    });
  });
  it('classifies destinations', () => {
    const b = new Set(['198.18.2.255']);
    expect(destinationKind('255.255.255.255', b)).toBe('broadcast');
    expect(destinationKind('198.18.2.255', b)).toBe('broadcast');
    expect(destinationKind('239.255.0.1', b)).toBe('multicast');
    expect(destinationKind('ff02::114', b)).toBe('multicast');
    expect(destinationKind('198.18.2.7', b)).toBe('unicast');
  });
});
