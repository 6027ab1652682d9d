// lnp.* pure parts: classifying a probe run, the expectation per policy, the reason naming the
// pattern, and finding the SUT's report in its output.
import { describe, expect, it } from 'vitest';
import { describePattern, outcomeMatrix, outcomes, sendMatches } from '../../suites/lnp/lib/outcome.ts';
import { DenialWatch, regex, type DenialPatterns } from '../../suites/lnp/lib/sut-watch.ts';
import { parseAgentLine, payloadFor, TRAFFIC_KINDS, type AgentEvent } from '../../suites/lnp/lib/plan.ts';

const sends = (code?: string): AgentEvent[] =>
  TRAFFIC_KINDS.map((kind) => (code ? { event: 'send', kind, sent: 0, code } : { event: 'send', kind, sent: 3 }));
const recvs: AgentEvent[] = TRAFFIC_KINDS.map((kind) => ({ event: 'recv', kind, from: '198.18.1.2' }));
const all = (n: number) => ({ unicast: n, broadcast: n, multicast4: n, multicast6: n });

describe('lnp outcomes', () => {
  it('classifies allowed, denied and silently dropped sends from what the agent said and the peer saw', () => {
    expect(outcomes([...sends(), ...recvs], all(3), TRAFFIC_KINDS).map((o) => o.send)).toEqual([
      'allowed',
      'allowed',
      'allowed',
      'allowed',
    ]);
    const denied = outcomes([...sends('EHOSTUNREACH'), ...recvs], all(0), TRAFFIC_KINDS);
    expect(denied.map((o) => [o.send, o.code, o.receive])).toEqual(
      TRAFFIC_KINDS.map(() => ['denied', 'EHOSTUNREACH', 'works']),
    );
    expect(outcomes([...sends(), ...recvs], all(0), TRAFFIC_KINDS).map((o) => o.send)).toEqual([
      'dropped',
      'dropped',
      'dropped',
      'dropped',
    ]);
    // Host mode: no peer, no receive measured.
    const host = outcomes(sends(), undefined, []);
    expect(host.map((o) => [o.send, o.receive])).toEqual(TRAFFIC_KINDS.map(() => ['sent-unconfirmed', 'not-measured']));
  });

  it('matches each policy, and only it (denied means EHOSTUNREACH, as macOS)', () => {
    const denied = outcomes(sends('EHOSTUNREACH'), all(0), []);
    const eperm = outcomes(sends('EPERM'), all(0), []);
    const dropped = outcomes(sends(), all(0), []);
    const ok = outcomes(sends(), all(3), []);
    expect(denied.every((o) => sendMatches(o, 'denied'))).toBe(true);
    expect(eperm.some((o) => sendMatches(o, 'denied'))).toBe(false);
    expect(dropped.every((o) => sendMatches(o, 'silent'))).toBe(true);
    expect(dropped.some((o) => sendMatches(o, 'allowed'))).toBe(false);
    expect(ok.every((o) => sendMatches(o, 'allowed'))).toBe(true);
    expect(ok.some((o) => sendMatches(o, 'denied'))).toBe(false);
    expect(denied.every((o) => sendMatches(o, 'any'))).toBe(true);
  });

  it('names the pattern: denied while receive works, silently dropped, or allowed', () => {
    const os = outcomes(
      [
        { event: 'send', kind: 'unicast', sent: 3 },
        { event: 'send', kind: 'multicast4', sent: 0, code: 'EHOSTUNREACH' },
        ...recvs,
      ],
      { unicast: 3, multicast4: 0 },
      TRAFFIC_KINDS,
    );
    expect(
      describePattern(
        os.filter((o) => o.kind === 'multicast4'),
        'this process',
        'on macos-15 runners run with sudo',
      ),
    ).toBe(
      'multicast v4 send denied (EHOSTUNREACH) while receive works: local network privacy denies this process; on macos-15 runners run with sudo',
    );
    expect(describePattern(outcomes([...sends(), ...recvs], all(0), TRAFFIC_KINDS), 'mac', '')).toBe(
      'unicast, broadcast, multicast v4 and multicast v6 send said yes but the peer saw nothing (silently dropped) while receive works: mac cannot reach the local network and is not told',
    );
    expect(describePattern(outcomes(sends(), all(3), TRAFFIC_KINDS), 'mac', 'hint')).toBe(
      'unicast, broadcast, multicast v4 and multicast v6 sends went out; receiving got nothing for unicast, broadcast, multicast v4 and multicast v6: mac may use the local network',
    );
  });

  it('highlights the cells that differ from the policy', () => {
    const m = outcomeMatrix('t', outcomes([...sends(), recvs[0]!], all(3), TRAFFIC_KINDS), 'denied', true);
    expect(m.rows).toEqual(['unicast', 'broadcast', 'multicast v4', 'multicast v6']);
    expect(m.cells[0]).toEqual(['✓ allowed (peer saw 3/3)', '✓ received 1']);
    expect(m.mismatches).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
      [2, 0],
      [2, 1],
      [3, 0],
      [3, 1],
    ]);
  });

  it('agent lines round-trip; other lines are not events; payloads say which way they went', () => {
    expect(parseAgentLine('{"event":"done","uid":0}')).toEqual({ event: 'done', uid: 0 });
    expect(parseAgentLine('discovering')).toBeUndefined();
    expect(parseAgentLine('{broken')).toBeUndefined();
    expect(payloadFor('ab12', 'broadcast', 2, 'peer')).toBe('NCLNP ab12 broadcast 2 from-peer');
  });
});

describe('lnp SUT report', () => {
  const pats = (o: Partial<DenialPatterns> = {}): DenialPatterns => ({
    report: regex('local network access denied', 'r'),
    success: regex('^found ', 's'),
    exitCodes: [],
    stream: 'either',
    ...o,
  });
  const feed = (w: DenialWatch, lines: Array<[number, string, ('stdout' | 'stderr')?]>): DenialWatch => {
    for (const [t, line, stream] of lines) w.line(t, stream ?? 'stdout', line);
    return w;
  };
  it('finds the first matching line or exit code', () => {
    const w = feed(new DenialWatch(pats()), [
      [100, 'discovering'],
      [900, 'Local network access denied (sendto: EHOSTUNREACH)'],
    ]);
    expect(w.report).toEqual({ t: 900, how: 'printed "Local network access denied (sendto: EHOSTUNREACH)"' });
    const byExit = new DenialWatch(pats({ exitCodes: [3] }));
    byExit.exited(300, { code: 3, signal: null });
    expect(byExit.report).toEqual({ t: 300, how: 'exited with code 3' });
    const otherExit = new DenialWatch(pats({ exitCodes: [3] }));
    otherExit.exited(300, { code: 1, signal: null });
    expect(otherExit.report).toBeUndefined();
  });
  it('counts a success claim anywhere in the window, after the report too', () => {
    const w = feed(new DenialWatch(pats()), [
      [100, 'local network access denied'],
      [2000, 'found 3 devices'],
      [2100, 'found 4 devices'],
    ]);
    expect(w.report?.t).toBe(100);
    expect(w.claimCount).toBe(2);
    expect(w.claims[0]).toMatchObject({ t: 2000, line: 'found 3 devices' });
  });
  it('judges every line however many there are, and reads the stream it is told to', () => {
    const w = new DenialWatch(pats());
    for (let i = 0; i < 100_000; i++) w.line(i, 'stdout', `chatter ${i}`);
    w.line(100_001, 'stderr', 'Local network access denied');
    expect(w.report?.t).toBe(100_001);
    expect(w.lines.length).toBe(40);
    expect(w.linesSeen).toBe(100_001);
    const stdoutOnly = feed(new DenialWatch(pats({ stream: 'stdout' })), [
      [5, 'local network access denied', 'stderr'],
    ]);
    expect(stdoutOnly.report).toBeUndefined();
  });
  it('rejects a bad pattern naming the field, and runs RE2 (no backreferences)', () => {
    expect(() => regex('(', 'expect.reportPattern')).toThrow(/expect.reportPattern is not a valid pattern/);
    expect(() => regex('(a)\\1', 'expect.reportPattern')).toThrow(/RE2/);
  });
});
