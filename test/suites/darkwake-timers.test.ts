/**
 * The products' real timers against a compressed night (suites/darkwake/lib/timers.ts) and the
 * sessions read from the wire (suites/darkwake/lib/wire.ts): pure, no lab.
 */
import { describe, expect, it } from 'vitest';
import { EventLog } from '../../suites/lib/tunnel/launch.ts';
import { keepaliveProbes, type Segment } from '../../suites/lib/net/tcp-segments.ts';
import { countChurn, judge, type PhaseMark } from '../../suites/darkwake/lib/churn-count.ts';
import {
  describeConflicts,
  fittingTimeScale,
  nightTimers,
  timerConflicts,
  type NightTimersInput,
} from '../../suites/darkwake/lib/timers.ts';
import { WireSessions, wireMatrix } from '../../suites/darkwake/lib/wire.ts';
import { nightPhases } from '../../suites/darkwake/lib/night.ts';

const params = (over: Partial<NightTimersInput['params']> = {}): NightTimersInput['params'] => ({
  schedule: { before: '1m', repeat: 8, phases: [{ sleep: '15m' }, { darkwake: '30s' }], then: 'fullwake', after: '5m' },
  timeScale: 0.004,
  minDarkWake: '300ms',
  kernelAwake: false,
  hosts: { client: 'client', gateway: 'gateway', segment: 'lan' },
  strategy: 'sut',
  heartbeat: '1m',
  wakeDefer: '2m',
  ...over,
});
const refusal = (x: NightTimersInput): string | undefined =>
  describeConflicts(timerConflicts(nightTimers(x)), x.params.timeScale);

describe('product timers against the scaled night', () => {
  it('the shipped 3m dead-peer timeout at 0.004 (720 ms) is shorter than a 1 s ping: refused, naming it and the timeScale that fits', () => {
    const why = refusal({ params: params(), emulatorDpdTimeout: '3m', clientMs: 1000 });
    expect(why).toContain(
      "the gateway emulator's dead-peer timeout (gateway.dpdTimeout 3m) runs 720ms at timeScale 0.004, shorter than your client's 1.0s (sut.minReaction)",
    );
    // 30s dark wakes (raised to 300 ms) and 1m before sleep (240 ms) are too short for it as well; 1s / 30s → 0.034.
    expect(why).toContain('a dark wake of 30.0s runs 300ms (raised to minDarkWake) at timeScale 0.004');
    expect(why).toMatch(/timeScale 0\.034 fits$/);
  });

  it('at the suggested timeScale nothing is refused', () => {
    expect(refusal({ params: params({ timeScale: 0.034 }), emulatorDpdTimeout: '3m', clientMs: 1000 })).toBeUndefined();
  });

  it('a timer shorter than every phase, or none declared, is no conflict', () => {
    expect(refusal({ params: params(), emulatorDpdTimeout: '3m', clientMs: 100 })).toBeUndefined();
    expect(refusal({ params: params(), emulatorDpdTimeout: '3m' })).toBeUndefined();
  });

  it('a gateway dead-peer timeout is held against the sleeps and the reference heartbeat, not the awake phases', () => {
    // 15m at 0.004 = 3.6 s: a 3 s server decision fits, a 5 s one does not (5s / 15m → 0.0056).
    expect(refusal({ params: params({ strategy: 'kernel-keepalive' }), gatewayMs: 3000 })).toBeUndefined();
    const why = refusal({ params: params({ strategy: 'kernel-keepalive' }), gatewayMs: 5000 });
    expect(why).toContain(
      "a sleep of 15m runs 3.6s at timeScale 0.004, shorter than your gateway's 5.0s (gateway.minReaction)",
    );
    expect(why).toMatch(/timeScale 0\.0056 fits$/);
    // heartbeat-naive's 1m heartbeat is 240 ms scaled: longer than a 1 s server timeout in reality, shorter here.
    expect(refusal({ params: params({ strategy: 'heartbeat-naive' }), gatewayMs: 1000 })).toContain(
      "the reference client's heartbeat (heartbeat 1m) runs 240ms",
    );
  });

  it('a dark wake raised above a timer it is shorter than unscaled asks for a lower minDarkWake', () => {
    const p = params({
      schedule: {
        before: '1m',
        repeat: 2,
        phases: [{ sleep: '15m' }, { darkwake: '200ms' }],
        then: 'fullwake',
        after: '5m',
      },
      timeScale: 0.1,
    });
    const why = refusal({ params: p, clientMs: 250 });
    expect(why).toContain(
      "a dark wake of 200ms runs 300ms (raised to minDarkWake), at least your client's 250ms (sut.minReaction), though unscaled it is shorter",
    );
    expect(why).toContain('a minDarkWake below 250ms fits the raised dark wakes');
  });

  it('compares with the phases the night runs (nightPhases), not a retyped product', () => {
    const phases = nightPhases(params());
    expect(phases.find((p) => p.kind === 'darkwake')!.scaledMs).toBe(300);
    expect(fittingTimeScale([])).toBeUndefined();
  });
});

const GW = '198.18.0.2';
const CL = '198.18.0.1';
const seg = (t: number, from: 'c' | 'g', flags: string, length = 0, sport = 40000): Segment =>
  from === 'c'
    ? { t, src: CL, sport, dst: GW, dport: 4500, flags, length }
    : { t, src: GW, sport: 4500, dst: CL, dport: sport, flags, length };

describe('sessions from the wire', () => {
  const handshake = (t: number, sport: number): Segment[] => [
    seg(t, 'c', 'S', 0, sport),
    seg(t + 0.1, 'g', 'S.', 0, sport),
    seg(t + 0.2, 'c', '.', 0, sport),
  ];
  const marks: PhaseMark[] = [
    { kind: 'awake', cycle: 0, startMs: 0 },
    { kind: 'sleep', cycle: 1, startMs: 1000 },
    { kind: 'darkwake', cycle: 1, startMs: 5000 },
    { kind: 'fullwake', cycle: 0, startMs: 6000 },
  ];

  it("turns SYN/SYN-ACK/ACK into a handshake and a gateway RST into its drop; countChurn and judge count them like the emulator's", () => {
    const log = new EventLog({ elapsedMs: () => 0 });
    const w = new WireSessions(log, 0, { address: GW, port: 4500 });
    for (const s of [
      ...handshake(100, 40000),
      seg(300, 'c', 'P.', 6),
      seg(3000, 'g', '.'),
      seg(4000, 'g', 'R'),
      ...handshake(5100, 40001),
    ])
      w.onSegment(s);
    expect(log.events.map((e) => `${e.who} ${e.event} #${e.session}`)).toEqual([
      'wire handshake #1',
      'wire dpd-drop #1',
      'wire handshake #2',
    ]);
    expect(w.openAt(6500)).toEqual([2]);
    const counts = countChurn(marks, log.events, w.openAt(6500), false);
    expect(counts.reconnectsPerDarkWake).toEqual([1]);
    expect(counts.dpdDropsDuringSleep).toBe(1);
    expect(judge(counts, { maxReconnectsPerDarkWake: 0 }, { dpd: 'none', kernelAwake: false, wire: true })[0]).toBe(
      're-handshook in 1 of 1 dark wakes (at most 0 per dark wake allowed): your gateway closed the connection during sleep (its FIN or RST on the gateway link)',
    );
    const m = wireMatrix({
      phases: nightPhases(
        params({
          schedule: {
            before: '1m',
            repeat: 1,
            phases: [{ sleep: '15m' }, { darkwake: '30s' }],
            then: 'fullwake',
            after: '5m',
          },
        }),
      ),
      marks,
      nightEndMs: 7000,
      sessions: w.sessions(),
      segments: w.segments,
      gatewayAddress: GW,
      maxReconnectsPerDarkWake: 0,
    });
    expect(m.rows).toEqual(['before sleep', 'sleep 1/1', 'dark wake 1/1', 'full wake']);
    expect(m.cells[1]!.slice(0, 5)).toEqual(['#1', '–', '–', '#1 (RST)', '–']);
    expect(m.cells[2]!.slice(0, 3)).toEqual(['–', '#2', '#2']);
    expect(m.mismatches).toEqual([[2, 2]]);
    // The bare ACK from the gateway after 2.7 s of silence is a keepalive probe.
    expect(m.cells[1]![7]).toBe('0 / 1');
  });

  it('a keepalive probe is a bare ACK after silence; a delayed ACK after data is not', () => {
    const probes = keepaliveProbes([
      ...handshake(0, 40000),
      seg(100, 'c', 'P.', 5),
      seg(140, 'g', '.'),
      seg(1140, 'g', '.'),
      seg(1141, 'c', '.'),
      seg(2141, 'g', '.'),
    ]);
    expect(probes.map((p) => [p.t, p.from])).toEqual([
      [1140, GW],
      [2141, GW],
    ]);
  });

  it('connections to another port are not sessions', () => {
    const log = new EventLog({ elapsedMs: () => 0 });
    const w = new WireSessions(log, 0, { address: GW, port: 9999 });
    for (const s of handshake(0, 40000)) w.onSegment(s);
    expect(log.events).toEqual([]);
  });
});
