/** darkwake/keepalive pure logic: schedule shape and scaling, the sleep model's timing and wake-up guarantee, churn counting and verdict text. No root needed. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../harness/loader/ajv.ts';
import churn from '../../suites/darkwake/churn.ts';
import { countChurn, judge, summary, type ChurnEvent, type PhaseMark } from '../../suites/darkwake/lib/churn-count.ts';
import { flowVerdict, lateFlowExplained } from '../../suites/darkwake/lib/flows.ts';
import { compileSchedule, describeSchedule, totals } from '../../suites/darkwake/lib/schedule.ts';
import { SleepModel } from '../../suites/darkwake/lib/sleep-model.ts';
import { judgeDetection } from '../../suites/keepalive/lib/detection.ts';
import { judgeSurvival, sessionFate } from '../../suites/keepalive/lib/survival.ts';
import { parseEventLine } from '../../suites/lib/tunnel/events.ts';

describe('schedule', () => {
  it('the with: schema fills the documented defaults (8 × [sleep 15m, dark wake 30s], timeScale 0.004)', () => {
    const w: Record<string, unknown> = {};
    expect(compile(churn.withSchema)(w)).toBe(true);
    expect(w.schedule).toEqual({
      before: '1m',
      repeat: 8,
      phases: [{ sleep: '15m' }, { darkwake: '30s' }],
      then: 'fullwake',
      after: '5m',
    });
    expect(w.timeScale).toBe(0.004);
    expect(compile(churn.withSchema)({ schedule: { phases: [{ sleep: '1m', darkwake: '1s' }] } })).toBe(false);
  });

  it('compiles and scales: 15m at 0.01 is 9 s; both times are kept', () => {
    const p = compileSchedule({ repeat: 8, phases: [{ sleep: '15m' }, { darkwake: '30s' }] }, 0.01);
    expect(p).toHaveLength(18);
    expect(p[1]).toEqual({ kind: 'sleep', label: 'sleep 1/8', cycle: 1, unscaledMs: 900_000, scaledMs: 9000 });
    expect(p[2]).toEqual({ kind: 'darkwake', label: 'dark wake 1/8', cycle: 1, unscaledMs: 30_000, scaledMs: 300 });
    expect(p.at(-1)!.kind).toBe('fullwake');
    expect(totals(p)).toMatchObject({ sleeps: 8, darkWakes: 8, unscaledMs: 60_000 + 8 * 930_000 + 300_000 });
    expect(describeSchedule({ repeat: 8 }, compileSchedule({ repeat: 8 }), 0.004)).toBe(
      '8 × [sleep 15m, dark wake 30.0s] then full wake: 130m unscaled, 31.2s at timeScale 0.004',
    );
  });

  it('raises a dark wake to the floor (minDarkWake), keeps its scaled length and says so; sleeps and longer dark wakes are untouched', () => {
    const p = compileSchedule(
      { repeat: 2, phases: [{ sleep: '15m' }, { darkwake: '30s' }, { sleep: '1m' }, { darkwake: '2m' }] },
      0.004,
      { minDarkWakeMs: 300 },
    );
    expect(p[2]).toEqual({
      kind: 'darkwake',
      label: 'dark wake 1/2',
      cycle: 1,
      unscaledMs: 30_000,
      scaledMs: 300,
      raisedFromMs: 120,
    });
    expect(p[4]).toEqual({ kind: 'darkwake', label: 'dark wake 1/2', cycle: 1, unscaledMs: 120_000, scaledMs: 480 });
    expect(
      p
        .filter((x) => x.kind === 'sleep')
        .every((x) => x.raisedFromMs === undefined && x.scaledMs === x.unscaledMs * 0.004),
    ).toBe(true);
    expect(
      describeSchedule(
        { repeat: 2, phases: [{ sleep: '15m' }, { darkwake: '30s' }, { sleep: '1m' }, { darkwake: '2m' }] },
        p,
        0.004,
      ),
    ).toMatch(
      /at timeScale 0\.004 2 dark wakes raised from 120ms to 300ms \(minDarkWake: what a client needs to react on a busy machine\)$/,
    );
    // The floor also lifts a dark wake too short to honour; without it the same schedule is refused.
    expect(
      compileSchedule({ phases: [{ sleep: '15m' }, { darkwake: '1s' }] }, 0.001, { minDarkWakeMs: 300 })[2]!.scaledMs,
    ).toBe(300);
    // The scenarios' default floor: 300 ms.
    const w: Record<string, unknown> = {};
    expect(compile(churn.withSchema)(w)).toBe(true);
    expect(w.minDarkWake).toBe('300ms');
  });

  it('refuses a phase too short to honour and a bad timeScale, naming them', () => {
    expect(() => compileSchedule({ phases: [{ sleep: '15m' }, { darkwake: '1s' }] }, 0.001)).toThrow(
      /dark wake 1\/8 lasts 1 ms at timeScale 0.001 \(1.0s unscaled\)/,
    );
    expect(() => compileSchedule({}, 0)).toThrow(/timeScale must be in \(0, 1\]/);
  });
});

describe('sleep model', () => {
  it('keeps every phase whole, measures its lateness as the process saw it, and resumes a real stopped process when aborted', async () => {
    // A real child (its own process group), so SIGSTOP/SIGCONT are the real thing.
    const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    const state = (): string => {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    };
    const seen: string[] = [];
    // A stopped process shows `T` once it has taken the SIGSTOP, which needs a CPU: wait for it here,
    // inside onPhase (that only makes the phase longer, which the model allows), instead of sampling
    // after a fixed delay that a busy machine can push past the phase's end.
    const stoppedState = (): string => {
      for (const until = performance.now() + 2000; performance.now() < until; ) if (state() === 'T') return 'T';
      return state();
    };
    try {
      const phases = compileSchedule(
        { before: '0ms', repeat: 4, phases: [{ sleep: '1m' }, { darkwake: '10s' }], after: '10s' },
        0.004,
      );
      const target = { suspend: () => process.kill(-pid, 'SIGSTOP'), resume: () => process.kill(-pid, 'SIGCONT') };
      const t0 = performance.now();
      const run = await new SleepModel({
        phases,
        target,
        now: () => performance.now() - t0,
        signal: new AbortController().signal,
        onPhase: (r) => {
          if (r.phase.kind === 'sleep') seen.push(stoppedState());
        },
      }).run();
      expect(run.stoppedEarly).toBeUndefined();
      // How late is the machine's business (a figure for the bench, not a test); asserted: lateness is
      // measured from the deadline to the process change, and no phase came out shorter than planned.
      for (const r of run.records) expect(r.lateMs).toBeCloseTo(r.enteredMs - r.deadlineMs, 6);
      for (const r of run.records.slice(0, -1))
        expect(r.observedMs!, r.phase.label).toBeGreaterThanOrEqual(r.phase.scaledMs - 1);
      expect(run.measuredMs).toBeGreaterThanOrEqual(run.plannedMs - 1);
      expect(seen).toEqual(['T', 'T', 'T', 'T']);
      expect(state()).not.toBe('T');

      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100); // during the first sleep
      const aborted = await new SleepModel({ phases, target, now: () => performance.now(), signal: ac.signal }).run();
      expect(aborted.stoppedEarly).toBe('aborted before dark wake 1/4');
      expect(state()).not.toBe('T');
    } finally {
      process.kill(-pid, 'SIGCONT');
      process.kill(-pid, 'SIGKILL');
    }
  });
});

describe('churn counting', () => {
  // before, then 8 × [sleep, dark wake], then full wake: 100 ms apart.
  const marks: PhaseMark[] = [{ kind: 'awake', cycle: 0, startMs: 0 }];
  for (let n = 1; n <= 8; n++)
    marks.push({ kind: 'sleep', cycle: n, startMs: n * 200 - 100 }, { kind: 'darkwake', cycle: n, startMs: n * 200 });
  marks.push({ kind: 'fullwake', cycle: 0, startMs: 1700 });

  it('the naive pattern: a drop in every sleep, a handshake in every dark wake; the reason names it', () => {
    const ev: ChurnEvent[] = [{ t: 1, src: 'gateway', event: 'handshake', session: 1 }];
    for (let n = 1; n <= 8; n++) {
      ev.push({ t: n * 200 - 50, src: 'gateway', event: 'dpd-drop', session: n });
      ev.push({ t: n * 200 + 1, src: 'client', event: 'alert', session: n });
      ev.push({ t: n * 200 + 2, src: 'gateway', event: 'handshake', session: n + 1 });
    }
    const c = countChurn(marks, ev, [9], true);
    expect(c).toMatchObject({
      handshakes: 9,
      dpdDrops: 8,
      dpdDropsDuringSleep: 8,
      darkWakesWithReconnect: 8,
      disconnectAlerts: 8,
      preSleepSession: 1,
      sessionSurvivesFullWake: false,
    });
    const bad = judge(
      c,
      { maxReconnectsPerDarkWake: 0, maxHandshakes: 2 },
      { dpd: 'app-heartbeat', kernelAwake: false },
    );
    expect(bad[0]).toBe(
      "re-handshook in 8 of 8 dark wakes (at most 0 per dark wake allowed): the gateway's heartbeat DPD dropped the session during sleep",
    );
    expect(bad[1]).toBe('9 handshakes (at most 2)');
  });

  it('a session that lives through the night passes with the counts in the reason', () => {
    const c = countChurn(marks, [{ t: 1, src: 'gateway', event: 'handshake', session: 1 }], [1], true);
    expect(
      judge(
        c,
        { maxReconnectsPerDarkWake: 0, maxHandshakes: 1, sessionSurvivesFullWake: true },
        { dpd: 'tcp-keepalive', kernelAwake: true },
      ),
    ).toEqual([]);
    expect(summary(c)).toBe(
      '0 reconnects in 8 dark wakes, 1 handshake, 0 DPD drops, 0 disconnect alerts, session #1 survived the full wake',
    );
  });

  it('a handshake logged just after a sleep began belongs to the dark wake before it', () => {
    const c = countChurn(
      marks,
      [
        { t: 1, src: 'gateway', event: 'handshake', session: 1 },
        { t: 301, src: 'gateway', event: 'handshake', session: 2 },
      ],
      null,
      false,
    );
    expect(c.reconnectsPerDarkWake).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(c.disconnectAlerts).toBeNull();
  });
});

describe('verdict text of the other scenarios', () => {
  it('flows-after-wake names the stale proxy only when the failures persist to the last wake', () => {
    const stale = flowVerdict(
      [
        { wake: 'before sleep', ok: true, ms: 3, detail: 'ok' },
        { wake: 'dark wake 1/2', ok: false, ms: 200, detail: 'no echo within 200 ms' },
        { wake: 'dark wake 2/2', ok: false, ms: null, detail: 'connection refused' },
        { wake: 'full wake', ok: false, ms: null, detail: 'connection refused' },
      ],
      200,
    );
    expect(stale.ok).toBe(false);
    expect(stale.reason).toBe(
      'new flows failed from dark wake 1/2 on (no echo within 200 ms, and every wake after it: 3 of 3 wakes) while the flow before sleep worked: the proxy stops handling new flows after a wake',
    );
    expect(stale.matrix.mismatches).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
    // One failure among working wakes is reported as what the matrix shows, never as a proxy that stops.
    const once = flowVerdict(
      [
        { wake: 'before sleep', ok: true, ms: 3, detail: 'ok' },
        { wake: 'dark wake 3/4', ok: false, ms: 300, detail: 'no echo within 300 ms' },
        { wake: 'dark wake 4/4', ok: true, ms: 5, detail: 'ok' },
        { wake: 'full wake', ok: true, ms: 4, detail: 'ok' },
      ],
      200,
    );
    expect(once.ok).toBe(false);
    expect(once.reason).toBe(
      'new flows failed at 1 of 3 wakes (dark wake 3/4: no echo within 300 ms) while later wakes worked (dark wake 4/4, full wake): an intermittent failure, not a proxy that stops after a wake',
    );
    expect(once.reason).not.toMatch(/stops handling/);
  });

  it("flows-after-wake: a failed flow the harness's lateness explains, and one it cannot", () => {
    const timedOut = { wake: 'dark wake 1/2', ok: false, ms: 300, detail: 'no echo within 300 ms', timedOut: true };
    // Bound 200 ms, the prober waited 300 ms: a 56 ms delay cannot hide an echo; a 120 ms one could.
    expect(lateFlowExplained(timedOut, 56, 200, 300)).toBe(false);
    expect(lateFlowExplained(timedOut, 120, 200, 300)).toBe(true);
    // A late echo: 250 ms less 56 ms of delay is still past 200; less 60 ms it is not.
    expect(lateFlowExplained({ wake: 'w', ok: true, ms: 250, detail: 'ok' }, 49, 200, 300)).toBe(false);
    expect(lateFlowExplained({ wake: 'w', ok: true, ms: 250, detail: 'ok' }, 60, 200, 300)).toBe(true);
    // A refused connection is the proxy's doing; a flow never reported is not known.
    expect(lateFlowExplained({ wake: 'w', ok: false, ms: 1, detail: 'ECONNREFUSED' }, 500, 200, 300)).toBe(false);
    expect(
      lateFlowExplained(
        { wake: 'w', ok: false, ms: null, detail: 'no result from the prober', missing: true },
        0,
        200,
        300,
      ),
    ).toBe(true);
  });

  it('keepalive.honoured: within tolerance passes; a wrong error code or an unapplied setting fails', () => {
    const base = {
      keepalive: { idleSec: 1, intervalSec: 1, count: 2 },
      applied: { idleSec: 1, intervalSec: 1, count: 2 },
      strategy: 'kernel-keepalive',
      toleranceMs: 500,
      waitedMs: 6500,
    };
    expect(judgeDetection({ ...base, measuredMs: 3040, code: 'ETIMEDOUT' })).toEqual({
      ok: true,
      reason:
        'dead peer reported (ETIMEDOUT) 3.04 s after the last segment; expected idle 1 s + 1 s × 2 = 3.00 s, error +40 ms (tolerance ±500 ms)',
    });
    expect(judgeDetection({ ...base, measuredMs: 3040, code: 'ECONNRESET' }).ok).toBe(false);
    expect(
      judgeDetection({
        ...base,
        applied: { idleSec: 7200, intervalSec: 75, count: 9 },
        measuredMs: undefined,
        code: undefined,
      }).reason,
    ).toMatch(/the settings were not applied \(the kernel holds idleSec=7200, intervalSec=75, count=9\)$/);
  });

  it('keepalive.suspended-peer states which design survives', () => {
    const ka = sessionFate('tcp-keepalive', [{ t: 10, event: 'handshake', session: 1 }], 100, 6100, [1]);
    const hb = sessionFate(
      'app-heartbeat',
      [
        { t: 10, event: 'handshake', session: 1 },
        { t: 1100, event: 'dpd-drop', session: 1 },
      ],
      100,
      6100,
      [2],
    );
    const v = judgeSurvival([ka, hb], 'tcp-keepalive', true, { idleSec: 1, intervalSec: 1, count: 2 }, 6000);
    expect(v).toMatchObject({ ok: true, survivor: 'tcp-keepalive' });
    expect(v.reason).toBe(
      "tcp-keepalive DPD kept session #1 through 6.0 s of suspension (the suspended client's kernel answered its probes); app-heartbeat DPD dropped session #1 after 1.0 s (no heartbeat from the stopped process): only tcp-keepalive DPD survives a suspended peer",
    );
  });
});

describe('tool line protocol (the address guard is test/safety.test.ts)', () => {
  it('parses event lines and ignores anything else', () => {
    expect(
      parseEventLine('{"ts":1,"src":"gateway","event":"handshake","session":2,"n":{"port":4500,"x":"no"}}'),
    ).toEqual({ ts: 1, src: 'gateway', event: 'handshake', session: 2, n: { port: 4500 } });
    expect(parseEventLine('hello')).toBeUndefined();
    expect(parseEventLine('{"event":"alert"}', 'sut')?.src).toBe('sut');
    expect(parseEventLine('{"event":"alert"}')).toBeUndefined();
  });
});

describe('the night as a swimlane', () => {
  it("carries the unscaled night's clock on each span: the schedule's lengths, one after another", async () => {
    const { nightSwimlane } = await import('../../suites/darkwake/lib/swimlane.ts');
    const marks: PhaseMark[] = [
      { kind: 'sleep', cycle: 1, startMs: 0, unscaledMs: 900_000 },
      { kind: 'darkwake', cycle: 1, startMs: 3600, unscaledMs: 30_000 },
      { kind: 'fullwake', cycle: 0, startMs: 3900, unscaledMs: 900_000 },
    ];
    const lane = nightSwimlane({ client: 'c', marks, nightEndMs: 7500, events: [], title: 'night' });
    expect(lane.lanes[0]!.spans.map((s) => [s.fromMs, s.toMs, s.nightFromMs, s.nightToMs])).toEqual([
      [0, 3600, 0, 900_000],
      [3600, 3900, 900_000, 930_000],
      [3900, 7500, 930_000, 1_830_000],
    ]);
  });
});
