/**
 * The harness-lateness mechanism (suites/lib/lateness): the monitor's bounds and reason, the
 * verdict conversion (a would-be fail becomes an error naming the lateness), the loop-stall
 * sampler against a really blocked event loop, and the sleep model keeping dark wakes whole
 * while its own clock is made late on purpose. No root needed.
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { check } from '../../harness/model/check.ts';
import { sleepHorizon } from '../../suites/darkwake/lib/compression.ts';
import { phaseBound } from '../../suites/darkwake/lib/night.ts';
import { compileSchedule, compressSleeps, describeSchedule, totals } from '../../suites/darkwake/lib/schedule.ts';
import { phaseLateness, SleepModel, type ScheduleRun } from '../../suites/darkwake/lib/sleep-model.ts';
import { CpuPressure, LoopLagSampler, type LagSource, type LoopStall } from '../../suites/lib/lateness/loop-lag.ts';
import { describeLateness, guardCheck, latenessBound, LatenessMonitor } from '../../suites/lib/lateness/monitor.ts';
import { readCpuTimeNs } from '../../suites/lib/lateness/cpu-wait.ts';
import { untilQuiet } from '../../suites/lib/lateness/settle.ts';

const busy = (ms: number): void => {
  const t = performance.now();
  while (performance.now() - t < ms) {
    /* block the loop */
  }
};

/** A stall source that reports exactly what the test says. */
function fakeLoop(stalls: LoopStall[]): LagSource {
  return {
    start: () => undefined,
    stop: () => undefined,
    stallsIn: (a, b) => stalls.filter((s) => s.atMs >= a && s.atMs - s.lagMs <= b),
  };
}

function monitor(stalls: LoopStall[] = [], sutPriority: 'normal' | 'raised' = 'normal'): LatenessMonitor {
  let t = 0;
  return new LatenessMonitor({
    now: () => (t += 1),
    loop: fakeLoop(stalls),
    histogram: false,
    readPressure: () => null,
    sutPriority,
  });
}

describe('lateness monitor', () => {
  it('a late phase past its bound is named with the lateness and the bound', () => {
    const m = monitor();
    m.scheduled('phase 2 started', 1000, 1020, 50);
    expect(m.breaches()).toEqual([]);
    expect(m.reason()).toBeUndefined();
    m.scheduled('phase 3 started', 2000, 2180, 50);
    m.scheduled('phase 4 started', 3000, 3060, 50);
    expect(m.breaches().map((b) => b.what)).toEqual(['phase 3 started', 'phase 4 started']);
    expect(m.reason()).toBe(
      'the harness could not keep the schedule: phase 3 started 180 ms late (bound 50 ms); 1 more over their bound',
    );
    expect(m.evidence().values).toMatchObject({
      measured: 3,
      overBound: 2,
      worst: 'phase 3 started 180 ms late (bound 50 ms)',
    });
  });

  it('a length that should be exact is said as "off by"', () => {
    const m = monitor();
    m.record({
      what: 'dark wake 1/8 lasted 171 ms instead of 120 ms',
      atMs: 5,
      lateMs: 51,
      boundMs: 30,
      off: true,
      detail: 'sleep 2/8 started 51 ms after it was due',
    });
    expect(m.reason()).toBe(
      'the harness could not keep the schedule: dark wake 1/8 lasted 171 ms instead of 120 ms: off by 51 ms (bound ±30 ms): sleep 2/8 started 51 ms after it was due',
    );
  });

  it('the event loop: only stalls inside the window count', () => {
    const m = monitor([
      { atMs: 500, lagMs: 300 },
      { atMs: 2000, lagMs: 20 },
    ]);
    expect(m.loopWindow('the step', 600, 1900, 100)).toBeUndefined();
    expect(m.loopWindow('the step', 1000, 2100, 100)?.lateMs).toBe(20);
    expect(m.reason()).toBeUndefined();
    expect(m.loopWindow('the first step', 300, 400, 100)?.lateMs).toBe(300); // the stall spans 200..500
    expect(m.reason()).toMatch(
      /^the harness could not keep the schedule: the harness's event loop during the first step 300 ms late \(bound 100 ms\): it was blocked 300 ms/,
    );
  });

  it('a SUT that waited for a CPU past its bound: the reason says how to lower it, unless it ran raised already', () => {
    const wait = {
      sutWait: true,
      what: 'the client waited {ms} for a CPU during dark wake 7/8',
      atMs: 5,
      lateMs: 168,
      boundMs: 75,
    };
    const normal = monitor();
    normal.record(wait);
    expect(normal.reason()).toBe(
      'the harness could not keep the schedule: the client waited 168 ms for a CPU during dark wake 7/8 (bound 75 ms); on a busy machine, --sut-priority raised runs the programs under test ahead of other work',
    );
    const raised = monitor([], 'raised');
    raised.record(wait);
    expect(raised.reason()).toBe(
      'the harness could not keep the schedule: the client waited 168 ms for a CPU during dark wake 7/8 (bound 75 ms)',
    );
    const harnessOwn = monitor();
    harnessOwn.scheduled('dark wake 3/8 started', 0, 90, 75);
    expect(harnessOwn.reason()).not.toMatch(/--sut-priority/);
  });

  it('a bound is a quarter of the SUT bound it protects, with a floor', () => {
    expect(latenessBound(200)).toBe(50);
    expect(latenessBound(8)).toBe(5);
  });
});

describe('verdict conversion', () => {
  const late = 'the harness could not keep the schedule: phase 3 started 180 ms late (bound 50 ms)';
  const ev = { kind: 'numbers' as const, title: 'harness lateness', values: {} };

  it('a would-be fail becomes an error naming the lateness, with the would-be verdict kept', () => {
    const c = guardCheck(check.fail('churn', 're-handshook in 2 of 4 dark wakes'), late, ev);
    expect(c.verdict).toBe('error');
    expect(c.reason).toBe(`${late}; the SUT is not judged (it would have failed: re-handshook in 2 of 4 dark wakes)`);
    expect(c.evidence).toContainEqual(ev);
  });

  it('a pass also yields unless lateness can only make the SUT look worse; skips and errors stay', () => {
    expect(guardCheck(check.pass('churn', 'ok'), late, ev).verdict).toBe('error');
    expect(guardCheck(check.pass('flows', 'ok'), late, ev, { keepPass: true }).verdict).toBe('pass');
    // A fail the caller showed the lateness cannot explain stands too.
    expect(guardCheck(check.fail('flows', 'never echoed'), late, ev, { keepFail: true }).verdict).toBe('fail');
    expect(guardCheck(check.skip('x', 'no root'), late, ev).verdict).toBe('skip');
    expect(guardCheck(check.error('x', 'crashed'), late, ev).reason).toBe('crashed');
  });

  it("without lateness the verdict is the SUT's, with the lateness evidence added", () => {
    const c = guardCheck(check.fail('churn', 'bad'), undefined, ev);
    expect(c.verdict).toBe('fail');
    expect(c.evidence).toEqual([ev]);
  });
});

describe('loop stalls and CPU pressure', () => {
  it('a really blocked event loop is one stall of about that length', async () => {
    const s = new LoopLagSampler(() => performance.now(), { intervalMs: 5, thresholdMs: 20 });
    s.start();
    await new Promise((r) => setTimeout(r, 30));
    const from = performance.now();
    busy(120);
    const blockedMs = performance.now() - from; // the reference: how long the loop was held
    await new Promise((r) => setTimeout(r, 30));
    s.stop();
    const stalls = s.stallsIn(from, performance.now());
    expect(stalls.length).toBeGreaterThanOrEqual(1);
    // The tick after the block comes at least blockedMs after the tick before it, which was at
    // most one interval before the block began.
    expect(Math.max(...stalls.map((x) => x.lagMs))).toBeGreaterThanOrEqual(blockedMs - s.intervalMs);
  });

  it('reads PSI "some total" as a percentage of wall time', async () => {
    let total = 1_000_000;
    const p = new CpuPressure(() => `some avg10=0.00 avg60=0.00 avg300=0.00 total=${total}\nfull avg10=0 total=0\n`);
    const before = performance.now();
    p.start();
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 50));
    total += 25_000; // 25 ms of waiting
    const asked = performance.now();
    const pct = p.percent()!;
    const answered = performance.now();
    // Against the wall time measured around it (whatever the timer really waited), to the
    // 0.1 % it is rounded to.
    expect(pct).toBeGreaterThanOrEqual(2500 / (answered - before) - 0.05);
    expect(pct).toBeLessThanOrEqual(2500 / (asked - started) + 0.05);
    expect(new CpuPressure(() => null).percent()).toBeNull();
  });
});

describe('waiting for a client to go quiet before its night', () => {
  const signal = new AbortController().signal;
  /** CPU time that grows `busyShare` of wall time until `busyUntil`, then not at all. */
  function fakeCpu(busyUntil: number, busyShare = 1): { now: () => number; read: () => number } {
    let t = 0;
    return { now: () => (t += 10), read: () => Math.min(t, busyUntil) * busyShare * 1e6 };
  }

  it('waits while it uses CPU and returns once a window was quiet', async () => {
    const f = fakeCpu(400);
    const got = await untilQuiet({ pid: 1 }, { signal, now: f.now, read: f.read, stepMs: 0 });
    expect(got).toMatchObject({ quiet: true });
    expect(got!.afterMs).toBeGreaterThanOrEqual(400 + 60 - 10); // the fake clock starts at 10
    expect(got!.cpuMs).toBeCloseTo(400 - 10, 0);
  });

  it('a client whose threads wait for a CPU is not quiet, though it uses none: quiet once the wait stops too', async () => {
    // No CPU used at all; its threads wait for one (cgroup CPU pressure) until t = 300.
    let t = 0;
    const now = (): number => (t += 10);
    const got = await untilQuiet(
      { pid: 1 },
      { signal, now, read: () => 0, readWait: () => Math.min(t, 300) * 1e6, stepMs: 0 },
    );
    expect(got).toMatchObject({ quiet: true });
    expect(got!.afterMs).toBeGreaterThanOrEqual(300 + 60 - 10);
    expect(got!.waitedMs).toBeCloseTo(300 - 10, 0);
    expect(got!.cpuMs).toBe(0);
    // Where the wait cannot be read, the CPU used decides alone (and no wait is reported).
    const alone = await untilQuiet(
      { pid: 1 },
      { signal, now: () => (t += 10), read: () => 0, readWait: () => null, stepMs: 0 },
    );
    expect(alone).toMatchObject({ quiet: true });
    expect(alone!.waitedMs).toBeUndefined();
  });

  it('a client that stays busy is given up on at maxMs, said as not quiet; one whose CPU cannot be read is not waited for', async () => {
    const f = fakeCpu(Infinity, 0.5);
    const got = await untilQuiet({ pid: 1 }, { signal, now: f.now, read: f.read, stepMs: 0, maxMs: 500 });
    expect(got).toMatchObject({ quiet: false });
    expect(got!.afterMs).toBeGreaterThanOrEqual(500);
    expect(await untilQuiet({ pid: 1 }, { signal, read: () => null })).toBeNull();
  });

  it.skipIf(readCpuTimeNs(process.pid) === null)('a real process busy for 300 ms is quiet only after it', async () => {
    const child = spawn(
      process.execPath,
      ['-e', 'const t=Date.now(); while(Date.now()-t<300){} setInterval(()=>{}, 1000)'],
      { stdio: 'ignore' },
    );
    try {
      const got = await untilQuiet({ pid: child.pid! }, { signal, maxMs: 5000 });
      expect(got).toMatchObject({ quiet: true });
      expect(got!.cpuMs).toBeGreaterThan(100); // it was waited for while it ran
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('sleep model under a late harness', () => {
  const fakeRun = (
    rec: Array<[kind: 'awake' | 'sleep' | 'darkwake' | 'fullwake', scaled: number, deadline: number, entered: number]>,
    ended: number,
  ): ScheduleRun => {
    const records = rec.map(([kind, scaledMs, deadlineMs, enteredMs], index) => ({
      phase: { kind, label: `${kind} ${index}`, cycle: 1, unscaledMs: scaledMs * 250, scaledMs },
      index,
      plannedStartMs: deadlineMs,
      deadlineMs,
      enteredMs,
      actualStartMs: enteredMs + 2,
      lateMs: enteredMs - deadlineMs,
      transitionMs: 2,
    }));
    records.forEach((r, k) => {
      (r as { observedMs?: number }).observedMs = (records[k + 1]?.enteredMs ?? ended) - r.enteredMs;
    });
    return { records, startedMs: 0, endedMs: ended, plannedMs: ended, measuredMs: ended, maxLateMs: 0, meanLateMs: 0 };
  };

  it('phase lengths as the client lived them, against a quarter of each phase', () => {
    // sleep 1200 ms, then a dark wake that began 190 ms late (the sleep lasted 1390 ms) and lasted 120 ms.
    const run = fakeRun(
      [
        ['awake', 100, 0, 0],
        ['sleep', 1200, 100, 100],
        ['darkwake', 120, 1300, 1490],
        ['fullwake', 500, 1610, 1610],
      ],
      2110,
    );
    const found = phaseLateness(run, (p) => phaseBound(p, 150));
    const over = found.filter((l) => l.lateMs > l.boundMs);
    expect(over).toHaveLength(1);
    expect(over[0]).toMatchObject({
      what: 'sleep 1 lasted 1390 ms instead of 1200 ms',
      lateMs: 190,
      boundMs: 150,
      detail: 'darkwake 2 started 190 ms after it was due',
    });
  });

  it('no phase is cut short: a harness made late on purpose lengthens the sleep before the late dark wake, which is then an error', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    try {
      const phases = compileSchedule(
        { before: '0ms', repeat: 2, phases: [{ sleep: '1m' }, { darkwake: '30s' }], after: '10s' },
        0.004,
      );
      const target = { suspend: () => process.kill(-pid, 'SIGSTOP'), resume: () => process.kill(-pid, 'SIGCONT') };
      const t0 = performance.now();
      // Block this event loop (the harness's) for 150 ms just before dark wake 1 is due (at 240 ms).
      setTimeout(() => busy(150), 200);
      const run = await new SleepModel({
        phases,
        target,
        now: () => performance.now() - t0,
        signal: new AbortController().signal,
      }).run();
      const dark = run.records.find((r) => r.phase.label === 'dark wake 1/2')!;
      expect(dark.lateMs).toBeGreaterThan(80);
      // Every phase whole (the late one, and the sleep after it: nothing catches up by cutting).
      for (const r of run.records.slice(0, -1))
        expect(r.observedMs!, r.phase.label).toBeGreaterThanOrEqual(r.phase.scaledMs - 1);
      const m = monitor();
      for (const l of phaseLateness(run, (p) => phaseBound(p, 150))) m.record(l);
      // (On a busy machine other phases may be over their bound too; this one must be among them.)
      const sleep1 = m.breaches().find((b) => b.what.startsWith('sleep 1/2 lasted'));
      expect(sleep1 && describeLateness(sleep1)).toMatch(
        /^sleep 1\/2 lasted \d+ ms instead of 240 ms: off by \d+ ms \(bound ±60 ms\): dark wake 1\/2 started \d+ ms after it was due$/,
      );
      expect(m.reason()).toMatch(/^the harness could not keep the schedule: /);
      expect(guardCheck(check.fail('churn', 'x'), m.reason(), m.evidence()).verdict).toBe('error');
    } finally {
      process.kill(-pid, 'SIGCONT');
      process.kill(-pid, 'SIGKILL');
    }
  });
});

describe('sleep compression', () => {
  const base = {
    dpdTimeoutMs: 720,
    gatewayKeepalive: { idleSec: 1, intervalSec: 1, count: 2 },
    clientKeepalive: { idleSec: 1, intervalSec: 1, count: 2 },
    scheduleErrorMs: 150,
  };

  it('cuts sleeps just past the last dead-peer decision, with a margin, never dark wakes', () => {
    const hb = sleepHorizon({ ...base, strategy: 'heartbeat-naive', dpd: 'app-heartbeat', kernelAwake: false });
    expect(hb).toMatchObject({ horizonMs: 1125 }); // 1.25 × 720 + 25 %
    const ka = sleepHorizon({ ...base, strategy: 'kernel-keepalive', dpd: 'tcp-keepalive', kernelAwake: true });
    expect(ka).toMatchObject({ horizonMs: 1250 }); // idle 1 s answered + 25 %
    const asleep = sleepHorizon({ ...base, strategy: 'kernel-keepalive', dpd: 'tcp-keepalive', kernelAwake: false });
    expect(asleep).toMatchObject({ horizonMs: 3750 }); // idle + interval × count = 3 s
    expect(sleepHorizon({ ...base, strategy: 'sut', dpd: 'app-heartbeat', kernelAwake: false })).toHaveProperty('none');
    if (!('horizonMs' in hb)) throw new Error('no horizon');
    const spec = { repeat: 31, phases: [{ sleep: '15m' }, { darkwake: '30s' }] };
    const phases = compressSleeps(compileSchedule(spec, 0.004), hb);
    expect(
      phases.filter((p) => p.kind === 'sleep').every((p) => p.scaledMs === 1125 && p.compressedFromMs === 3600),
    ).toBe(true);
    expect(
      phases.filter((p) => p.kind === 'darkwake').every((p) => p.scaledMs === 120 && p.compressedFromMs === undefined),
    ).toBe(true);
    expect(totals(phases).scaledMs).toBeLessThan(60_000);
    expect(describeSchedule(spec, phases, 0.004, hb)).toMatch(
      /^31 × \[sleep 15m, dark wake 30.0s\] then full wake: .* with 31 sleeps compressed from 3.6s to 1.1s \(the gateway's heartbeat DPD decides within 0.90 s/,
    );
  });
});
