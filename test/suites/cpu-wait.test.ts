/**
 * How long a process waited for a CPU (suites/lib/lateness/cpu-wait.ts): by its cgroup's CPU
 * pressure when it runs in a cgroup of its own, else by its threads' schedstat. The unit half
 * reads files the test writes; the real half (root, cgroup v2 with PSI) runs processes in a
 * cgroup against busy loops pinned to the same CPU, and a sleeping one beside them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroup2Mount, removeCgroupSync } from '../../harness/lab/local-network.ts';
import { spawnManaged } from '../../harness/process/spawn.ts';
import { CpuWaitMeter, psiSomeTotalUs, readCpuTimeNs, worstWait } from '../../suites/lib/lateness/cpu-wait.ts';
import { cgroupPsi, linux, program, requires, root } from '../helpers/requires.ts';
import { tempDir } from '../helpers/tmp.ts';

const psi = (someUs: number): string =>
  `some avg10=0.00 avg60=0.00 avg300=0.00 total=${someUs}\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n`;

describe('CPU wait, read from files', () => {
  it('parses the "some" total of a PSI file; anything else is null', () => {
    expect(psiSomeTotalUs(psi(1234))).toBe(1234);
    expect(psiSomeTotalUs('full avg10=0.00 total=5\n')).toBeNull();
    expect(psiSomeTotalUs(null)).toBeNull();
  });

  it('names the thread that waited longest; threads that came or went meanwhile do not count', () => {
    const before = new Map([
      [10, 0],
      [11, 1e6],
      [12, 0],
    ]);
    const after = new Map([
      [10, 4e6],
      [11, 10e6],
      [13, 50e6],
    ]);
    expect(worstWait(before, after)).toEqual({ ms: 9, tid: 11 });
    expect(worstWait(null, after)).toBeNull();
    // With the process's pid, the thread's name comes from /proc (this process's main thread here).
    const mine = new Map([[process.pid, 0]]);
    expect(worstWait(mine, new Map([[process.pid, 2e6]]), process.pid)).toMatchObject({
      ms: 2,
      tid: process.pid,
      ...(process.platform === 'linux' ? { name: expect.any(String) } : {}),
    });
  });

  it("a process in a cgroup of its own is read by the cgroup's CPU pressure, window by window", async () => {
    const dir = await tempDir('nc-cpuwait-');
    await writeFile(join(dir, 'cpu.pressure'), psi(1_000_000));
    const threads = (): Map<number, number> => {
      throw new Error('the threads must not be read when the cgroup can be');
    };
    const m = new CpuWaitMeter(4242, { cgroup: dir, read: threads });
    await writeFile(join(dir, 'cpu.pressure'), psi(1_037_500));
    expect(m.since()).toEqual({ ms: 37.5, source: `programs' cgroup ${dir.split('/').at(-1)} (CPU pressure)` });
    expect(m.since()).toMatchObject({ ms: 0 });
  });

  it('without a readable cpu.pressure it falls back to the threads, saying which thread', async () => {
    const dir = await tempDir('nc-cpuwait-'); // no cpu.pressure: PSI off, or not a cgroup
    let waitNs = 0;
    const m = new CpuWaitMeter(4242, {
      cgroup: dir,
      read: () =>
        new Map([
          [4242, waitNs],
          [4243, 0],
        ]),
    });
    waitNs = 80e6;
    expect(m.since()).toEqual({ ms: 80, source: 'thread 4242 (main)' });
    expect(new CpuWaitMeter(4242, { read: () => null }).since()).toBeNull();
  });
});

const real = requires(linux, root, cgroupPsi, program('taskset', 'util-linux', ['-V']));

describe.skipIf(!real.ok)(real.title('CPU wait of a real process in a cgroup (root, cgroup v2 + PSI)'), () => {
  const name = `nc-cpuwait-test-${process.pid}`;
  const loops: ChildProcess[] = [];
  afterAll(() => {
    for (const l of loops) l.kill('SIGKILL');
    removeCgroupSync(name);
  });
  // In a session of its own, as the measured process is (spawnManaged): with autogroup scheduling
  // (sched(7)) each session is a group, and a loop in this test's session would share its weight
  // with whatever else runs here.
  const busyOn = (cpu: number): ChildProcess => {
    const c = spawn('taskset', ['-c', String(cpu), process.execPath, '-e', 'for(;;){}'], {
      stdio: 'ignore',
      detached: true,
    });
    loops.push(c);
    return c;
  };
  const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  /** Until `pid` has run `ms` of CPU (a busy loop is really busy, however slowly node starts here). */
  const ranFor = async (pid: number, ms: number): Promise<void> => {
    for (let i = 0; i < 500 && (readCpuTimeNs(pid) ?? 0) < ms * 1e6; i++) await pause(20);
  };

  it('counts a busy process that shares its CPU with a busy loop, and not one that sleeps beside them', async () => {
    const dir = join(cgroup2Mount()!, name);
    mkdirSync(dir, { recursive: true });
    // Both CPUs 0 and 1 busy outside the cgroup; the measured process pinned to CPU 0.
    const competitor = busyOn(0);
    busyOn(1);
    await ranFor(competitor.pid!, 100);
    const sleeper = spawnManaged(['sleep', '5'], { cgroup: dir });
    await pause(300);
    const idle = CpuWaitMeter.of(sleeper);
    const idleFrom = performance.now();
    await pause(400);
    const slept = idle.since();
    const idleWallMs = performance.now() - idleFrom;
    await sleeper.stop(500);
    expect(sleeper.cgroup).toBe(dir);
    expect(slept?.source).toContain('CPU pressure');

    const worker = spawnManaged(
      ['taskset', '-c', '0', process.execPath, '-e', 'const t = Date.now(); while (Date.now() - t < 4000) {}'],
      { cgroup: dir },
    );
    await ranFor(worker.pid, 50);
    const busy = CpuWaitMeter.of(worker);
    const ranFrom = readCpuTimeNs(worker.pid)!;
    const t0 = performance.now();
    await pause(600);
    const waited = busy.since();
    const ranMs = (readCpuTimeNs(worker.pid)! - ranFrom) / 1e6;
    const wallMs = performance.now() - t0;
    await worker.stop(500);
    // Runnable all the time on a CPU it shares with a busy loop of the same weight: it waits about
    // as long as it runs, longer when more than that loop wants the CPU (the rest of the test run).
    expect(waited?.source).toContain('CPU pressure');
    expect(waited!.ms).toBeGreaterThan(ranMs * 0.5);
    expect(waited!.ms).toBeLessThanOrEqual(wallMs + 5);
    // The reference for "not one that sleeps": the busy process's wait per wall-clock ms, measured
    // in the same run under the same load; the sleeper's is a small fraction of it.
    expect(slept!.ms / idleWallMs).toBeLessThan(waited!.ms / wallMs / 10);
  }, 20_000);
});
