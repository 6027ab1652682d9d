// lnp.* pure parts: classifying a probe run, the expectation per policy, the reason naming the
// pattern, and finding the SUT's report in its output.
import { describe, expect, it } from 'vitest';
import { describePattern, outcomeMatrix, outcomes, sendMatches } from '../../suites/lnp/lib/outcome.ts';
import { findReport, regex } from '../../suites/lnp/lib/sut-watch.ts';
import { parseAgentLine, payloadFor, TRAFFIC_KINDS, type AgentEvent } from '../../suites/lnp/lib/plan.ts';

const sends = (code?: string): AgentEvent[] => TRAFFIC_KINDS.map((kind) => (code ? { event: 'send', kind, sent: 0, code } : { event: 'send', kind, sent: 3 }));
const recvs: AgentEvent[] = TRAFFIC_KINDS.map((kind) => ({ event: 'recv', kind, from: '198.18.1.2' }));
const all = (n: number) => ({ unicast: n, broadcast: n, multicast4: n, multicast6: n });

describe('lnp outcomes', () => {
  it('classifies allowed, denied and silently dropped sends from what the agent said and the peer saw', () => {
    expect(outcomes([...sends(), ...recvs], all(3), TRAFFIC_KINDS).map((o) => o.send)).toEqual(['allowed', 'allowed', 'allowed', 'allowed']);
    const denied = outcomes([...sends('EHOSTUNREACH'), ...recvs], all(0), TRAFFIC_KINDS);
    expect(denied.map((o) => [o.send, o.code, o.receive])).toEqual(TRAFFIC_KINDS.map(() => ['denied', 'EHOSTUNREACH', 'works']));
    expect(outcomes([...sends(), ...recvs], all(0), TRAFFIC_KINDS).map((o) => o.send)).toEqual(['dropped', 'dropped', 'dropped', 'dropped']);
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
    const os = outcomes([{ event: 'send', kind: 'unicast', sent: 3 }, { event: 'send', kind: 'multicast4', sent: 0, code: 'EHOSTUNREACH' }, ...recvs], { unicast: 3, multicast4: 0 }, TRAFFIC_KINDS);
    expect(describePattern(os.filter((o) => o.kind === 'multicast4'), 'this process', 'on macos-15 runners run with sudo'))
      .toBe('multicast v4 send denied (EHOSTUNREACH) while receive works: local network privacy denies this process; on macos-15 runners run with sudo');
    expect(describePattern(outcomes([...sends(), ...recvs], all(0), TRAFFIC_KINDS), 'mac', ''))
      .toBe('unicast, broadcast, multicast v4 and multicast v6 send said yes but the peer saw nothing (silently dropped) while receive works: mac cannot reach the local network and is not told');
    expect(describePattern(outcomes(sends(), all(3), TRAFFIC_KINDS), 'mac', 'hint'))
      .toBe('unicast, broadcast, multicast v4 and multicast v6 sends went out; receiving got nothing for unicast, broadcast, multicast v4 and multicast v6: mac may use the local network');
  });

  it('highlights the cells that differ from the policy', () => {
    const m = outcomeMatrix('t', outcomes([...sends(), recvs[0]!], all(3), TRAFFIC_KINDS), 'denied', true);
    expect(m.rows).toEqual(['unicast', 'broadcast', 'multicast v4', 'multicast v6']);
    expect(m.cells[0]).toEqual(['✓ allowed (peer saw 3/3)', '✓ received 1']);
    expect(m.mismatches).toEqual([[0, 0], [1, 0], [1, 1], [2, 0], [2, 1], [3, 0], [3, 1]]);
  });

  it('agent lines round-trip; other lines are not events; payloads say which way they went', () => {
    expect(parseAgentLine('{"event":"done","uid":0}')).toEqual({ event: 'done', uid: 0 });
    expect(parseAgentLine('discovering')).toBeUndefined();
    expect(parseAgentLine('{broken')).toBeUndefined();
    expect(payloadFor('ab12', 'broadcast', 2, 'peer')).toBe('NCLNP ab12 broadcast 2 from-peer');
  });
});

describe('lnp SUT report', () => {
  const report = regex('local network access denied', 'r');
  const success = regex('^found ', 's');
  it('finds the first matching line or exit code, and a success claim before it', () => {
    const lines = [{ t: 100, line: 'discovering' }, { t: 900, line: 'Local network access denied (sendto: EHOSTUNREACH)' }];
    expect(findReport(lines, undefined, report, success, [])).toEqual({ reportedAfterMs: 900, how: 'printed "Local network access denied (sendto: EHOSTUNREACH)"', claimed: undefined });
    expect(findReport([{ t: 50, line: 'found 3 devices' }, ...lines], undefined, report, success, []).claimed).toBe('found 3 devices');
    expect(findReport([{ t: 1, line: 'discovering' }], { t: 300, e: { code: 3, signal: null } }, report, success, [3])).toMatchObject({ reportedAfterMs: 300, how: 'exited with code 3' });
    expect(findReport([{ t: 1, line: 'discovering' }], { t: 300, e: { code: 1, signal: null } }, report, success, [3]).reportedAfterMs).toBeUndefined();
  });
  it('rejects a bad pattern naming the field', () => {
    expect(() => regex('(', 'expect.reportPattern')).toThrow(/expect.reportPattern is not a valid regular expression/);
  });
});
