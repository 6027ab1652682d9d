/**
 * The sleep model's cost: how long a simulated 8-hour night takes at the default time scale,
 * and how late phases start. The night runs against a real stopped-and-continued process
 * (SIGSTOP/SIGCONT of its group) and, as root, a real lab link taken down and up — what
 * darkwake.churn does, without the tunnel. Reference, measured in the same run and at the same
 * time: the same schedule driven by plain timers (no signals, no link changes).
 * Quick mode runs a 1-hour night instead of 8 hours.
 */
import { spawn } from 'node:child_process';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { compileSchedule, DEFAULT_TIME_SCALE, totals, type Phase } from '../../suites/darkwake/lib/schedule.ts';
import { SleepModel, type ScheduleRun } from '../../suites/darkwake/lib/sleep-model.ts';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

const stats = (xs: number[]): { median: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  const r = (x: number): number => Math.round(x * 100) / 100;
  return { median: r(median), min: r(s[0]!), max: r(s[s.length - 1]!) };
};

function night(hours: number): Phase[] {
  // 15 min sleep + 30 s dark wake per cycle, the lid-closed pattern the issue describes.
  return compileSchedule({ before: '1m', repeat: Math.round((hours * 60) / 15.5), phases: [{ sleep: '15m' }, { darkwake: '30s' }], after: '5m' }, DEFAULT_TIME_SCALE);
}

const noop = { suspend: () => undefined, resume: () => undefined };

const suite: BenchSuite = {
  name: 'darkwake',
  async run({ quick, log }): Promise<BenchSection> {
    const hours = quick ? 1 : 8;
    const phases = night(hours);
    const t = totals(phases);
    const child = spawn(process.execPath, ['-e', 'setInterval(()=>{},1000)'], { detached: true, stdio: 'ignore' });
    const pid = child.pid!;
    const target = { suspend: () => process.kill(-pid, 'SIGSTOP'), resume: () => process.kill(-pid, 'SIGCONT') };
    let lab: Lab | undefined;
    const notes: string[] = [];
    try {
      if (process.getuid?.() === 0) {
        lab = await bringUpLab({ segments: { lan: {} }, hosts: { client: { links: [{ segment: 'lan' }] }, gateway: { links: [{ segment: 'lan' }] } } }, { runId: newRunId(), log: () => {} });
      } else notes.push('not root: no lab, so the link is not taken down and up (signals only)');
      const l = lab;
      const signal = new AbortController().signal;
      log(`darkwake: ${hours}-hour night (${t.sleeps} sleeps, ${t.darkWakes} dark wakes) at timeScale ${DEFAULT_TIME_SCALE}: ${(t.scaledMs / 1000).toFixed(1)} s planned`);
      const t0 = performance.now();
      const now = (): number => performance.now() - t0;
      const [model, timers] = await Promise.all<ScheduleRun>([
        new SleepModel({ phases, target, now, signal, ...(l ? { linkDown: () => l.linkDown('client', 'lan'), linkUp: () => l.linkUp('client', 'lan') } : {}) }).run(),
        new SleepModel({ phases, target: noop, now, signal }).run(),
      ]);
      const lates = (r: ScheduleRun): number[] => r.records.slice(1).map((x) => x.lateMs);
      const m = stats(lates(model));
      const ref = stats(lates(timers));
      const caseNight = `${hours}-hour night (${t.sleeps} × [15m sleep, 30s dark wake]) at timeScale ${DEFAULT_TIME_SCALE}`;
      const ratio = Math.round((model.measuredMs / timers.measuredMs) * 1000) / 1000;
      const rows: BenchRow[] = [
        { case: caseNight, impl: 'timers only', unit: 's', median: timers.measuredMs / 1000, min: timers.measuredMs / 1000, max: timers.measuredMs / 1000 },
        { case: caseNight, impl: lab ? 'sleep model (SIGSTOP + link)' : 'sleep model (SIGSTOP)', unit: 's', median: model.measuredMs / 1000, min: model.measuredMs / 1000, max: model.measuredMs / 1000, ratio, reference: 'timers only', target: '≤ 1.01×', met: ratio <= 1.01 },
        { case: 'phase-start lateness', impl: 'timers only', unit: 'ms', ...ref },
        { case: 'phase-start lateness', impl: lab ? 'sleep model (SIGSTOP + link)' : 'sleep model (SIGSTOP)', unit: 'ms', ...m, target: 'max ≤ 150 ms (darkwake.churn default tolerance)', met: m.max <= 150 },
      ];
      notes.push(`one night per run (${(t.scaledMs / 1000).toFixed(1)} s planned for ${(t.unscaledMs / 3_600_000).toFixed(2)} h unscaled); lateness is per phase start (${phases.length - 1} phases), measured when the signal and the link change had completed; deadlines are absolute, so lateness does not accumulate`);
      return { name: 'darkwake', rows, notes };
    } finally {
      try { process.kill(-pid, 'SIGCONT'); process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      await lab?.down();
    }
  },
};

export default suite;
