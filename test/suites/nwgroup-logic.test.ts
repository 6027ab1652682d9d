/**
 * nwgroup.* verdicts on Linux, through the real exchange and judging code with a fake driver
 * that reproduces each field failure mode of NWConnectionGroup (test/helpers/nwgroup-fake.ts).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MatrixEvidence, TimelineEvidence } from '../../harness/model/check.ts';
import { runExchange, type ExchangePlan } from '../../suites/nwgroup/lib/exchange.ts';
import { judgeDirections, judgeNwSendsTransmit, judgeReady } from '../../suites/nwgroup/lib/judge.ts';
import type { PeerKind } from '../../suites/nwgroup/lib/peer.ts';
import { cli, readJson, tempOut } from '../helpers/cli.ts';
import { fakeFactory, type FakeMode } from '../helpers/nwgroup-fake.ts';

const plan = (kinds: PeerKind[]): ExchangePlan => ({
  kinds,
  opts: { group: '239.255.0.3', port: 47840, iface: undefined, ttl: 1 },
  rounds: 6,
  intervalMs: 0,
  settleMs: 20,
  readyTimeoutMs: 200,
});
const ex = { warmup: 1, maxLossPercent: 0 };

async function judged(mode: FakeMode, kinds: PeerKind[] = ['nw', 'nw', 'bsd', 'bsd']) {
  const x = await runExchange(fakeFactory(mode, 'en0'), plan(kinds), 'en0', new AbortController().signal);
  return { x, ready: judgeReady(x, 200), wire: judgeNwSendsTransmit(x, ex), dirs: judgeDirections(x, ex) };
}
const matrix = (c: { evidence?: unknown[] }, i = 0) =>
  c.evidence?.filter((e): e is MatrixEvidence => (e as MatrixEvidence).kind === 'matrix')[i];

describe('nwgroup.peers verdicts (fake driver)', () => {
  it('a healthy group passes all three, with every direction counted after the warm-up', async () => {
    const { ready, wire, dirs } = await judged('healthy');
    expect([ready.verdict, wire.verdict, dirs.verdict]).toEqual(['pass', 'pass', 'pass']);
    expect(ready.reason).toBe('5/5 peers ready (the BSD witness and 4 peers on en0)');
    // 2 NW senders × 1 other NW receiver × 5 counted rounds = 10; NW→BSD 2 × 2 × 5 = 20.
    expect(matrix(dirs)!.cells).toEqual([
      ['10/10', '20/20'],
      ['20/20', '10/10'],
    ]);
    expect(matrix(wire)!.cells).toEqual([
      ['5', '0', '5'],
      ['5', '0', '5'],
    ]);
  });

  it('sends that complete while nothing arrives: the witness sentence, and the receive-works pattern', async () => {
    const { ready, wire, dirs } = await judged('sends-complete-nothing-arrives');
    expect(ready.verdict).toBe('pass');
    expect(wire.verdict).toBe('fail');
    expect(wire.reason).toBe(
      "2/2 NW peers failed: nw1: NW reported 5 sends complete; the BSD witness on en0 saw 0: the group sends nothing (local network privacy, or the group's interface); " +
        "nw2: NW reported 5 sends complete; the BSD witness on en0 saw 0: the group sends nothing (local network privacy, or the group's interface)",
    );
    expect(matrix(wire)!.mismatches).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(dirs.verdict).toBe('fail');
    expect(dirs.reason).toMatch(
      /^NW→NW 0\/10, NW→BSD 0\/20 over 0% loss \(fine: BSD→NW 20\/20, BSD→BSD 10\/10\): NW peers receive but nothing they send arrives/,
    );
  });

  it('a group that never becomes ready says so with its last state and error, and its sends are not judged', async () => {
    const { ready, wire, dirs, x } = await judged('never-ready');
    expect(ready.verdict).toBe('fail');
    expect(ready.reason).toBe(
      '2/5 groups never became ready: nw1 still waiting (posix 50) after 200 ms; nw2 still waiting (posix 50) after 200 ms: an NWConnectionGroup waits while it has no usable path (no interface, or local network access not granted)',
    );
    const timeline = ready.evidence?.find((e): e is TimelineEvidence => e.kind === 'timeline');
    expect(timeline?.events.filter((e) => e.source === 'nw1').map((e) => e.event)).toEqual([
      'setup',
      'waiting',
      'cancelled',
    ]);
    expect(x.peers.find((p) => p.id === 'nw1')!.sends).toEqual([]);
    expect(wire.verdict).toBe('skip');
    expect(dirs.verdict).toBe('fail');
    expect(dirs.reason).toContain('NW→BSD 0/20');
    expect(dirs.reason).toContain('BSD→NW 0/20');
  });

  it('receive-only: failed sends name their error; BSD→NW still arrives', async () => {
    const { wire, dirs } = await judged('receive-only');
    expect(wire.verdict).toBe('fail');
    expect(wire.reason).toBe('2/2 NW peers failed: nw1: 5 sends failed (posix 65); nw2: 5 sends failed (posix 65)');
    expect(dirs.reason).toContain('BSD→NW 20/20');
    expect(dirs.reason).toContain('receive works, send does not');
  });

  it('BSD-only profiles have nothing for the NW check to judge', async () => {
    const { wire, dirs } = await judged('healthy', ['bsd', 'bsd']);
    expect(wire.verdict).toBe('skip');
    expect(dirs.verdict).toBe('pass');
    expect(matrix(dirs)!.cells).toEqual([
      ['—', '—'],
      ['—', '10/10'],
    ]);
  });

  it('an aborted exchange stops sending and still closes every peer', async () => {
    const ac = new AbortController();
    ac.abort();
    const x = await runExchange(fakeFactory('healthy'), plan(['nw', 'bsd']), 'fake0', ac.signal);
    expect(x.peers.every((p) => p.sends.length === 0)).toBe(true);
    expect(x.peers.every((p) => p.states.at(-1)!.state === 'cancelled')).toBe(true);
  });
});

describe('profiles/nwgroup.yaml on Linux', () => {
  it.skipIf(process.platform === 'darwin')(
    'validates, every check is skipped saying Network framework is macOS-only, and a run that judged nothing is exit 4',
    async () => {
      const out = await tempOut('nc-nwgroup-');
      const r = await cli(['run', 'profiles/nwgroup.yaml', '--allow-host-network', '--out', out, '--reporter', 'json']);
      expect(r.exitCode, r.all).toBe(4);
      const res = await readJson<{ scenarios: Array<{ checks: Array<{ verdict: string; reason: string }> }> }>(
        join(out, 'results.json'),
      );
      const checks = res.scenarios.flatMap((s) => s.checks);
      expect(checks.length).toBe(2);
      for (const c of checks) {
        expect(c.verdict).toBe('skip');
        expect(c.reason).toMatch(/^Network framework is macOS-only: nwgroup\.\S+ runs on darwin; this is linux$/);
      }
    },
  );
});
