/**
 * Raising a timely helper (harness/process/priority.ts): its main thread's nice value and,
 * where the kernel groups tasks by session (sched(7) autogroup), its session's group, since a
 * thread's nice value weighs only inside its group. The harness's own session is never raised.
 * `--sut-priority raised`: a program under test is raised at its gate, so all of it runs raised.
 * Real processes; root (CAP_SYS_NICE) for the raising half.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import type { Lab } from '../../harness/lab/types.ts';
import type { Capabilities } from '../../harness/model/scenario.ts';
import { startSut } from '../../harness/process/sut.ts';
import { spawnManaged } from '../../harness/process/spawn.ts';
import type { ManagedProcess } from '../../harness/process/types.ts';
import { leadsSession, statFields } from '../../harness/process/procfs.ts';
import { autogroupNice, cannotRaise, raiseCgroup, raisePriority, TIMELY_NICE } from '../../harness/process/priority.ts';
import { AttemptContext } from '../../harness/runner/context.ts';
import { autogroups, linux, requires, root } from '../helpers/requires.ts';
import { isolateState, labNeed, snapshot } from './helpers.ts';

const started: ManagedProcess[] = [];
afterAll(async () => {
  await Promise.all(started.map((p) => p.stop(500)));
});

describe.skipIf(!linux.ok)(linux.title('session leaders'), () => {
  it('a managed child leads a session of its own; a pid that does not exist leads none', () => {
    const p = spawnManaged(['sleep', '30']);
    started.push(p);
    expect(leadsSession(p.pid)).toBe(true);
    expect(leadsSession(2 ** 22 + 7)).toBe(false);
  });
});

const raising = requires(linux, root, autogroups);
describe.skipIf(!raising.ok)(raising.title('raising a helper'), () => {
  it("raises the main thread and the session's autogroup, and the undo lowers both", () => {
    const p = spawnManaged(['sleep', '30']);
    started.push(p);
    expect(autogroupNice(p.pid)).toBe(0);
    const lower = raisePriority(p.pid);
    expect(lower).toBeTypeOf('function');
    expect(getPriority(p.pid)).toBe(TIMELY_NICE);
    expect(autogroupNice(p.pid)).toBe(TIMELY_NICE);
    lower!();
    expect(getPriority(p.pid)).toBe(0);
    expect(autogroupNice(p.pid)).toBe(0);
  });

  it("raising the calling thread leaves the harness's session group alone", () => {
    const group = autogroupNice(process.pid);
    const lower = raisePriority();
    try {
      expect(getPriority(0)).toBe(TIMELY_NICE);
      expect(autogroupNice(process.pid)).toBe(group);
    } finally {
      lower?.();
    }
  });

  it("a process that does not lead its session keeps its group's nice value", async () => {
    // sh leads the session; its child `sleep` shares the group and must not raise it.
    const p = spawnManaged(['sh', '-c', 'sleep 30 & echo $!; wait']);
    started.push(p);
    const child = await new Promise<number>((resolve) => {
      const t = setInterval(() => {
        const line = p.output.find((l) => /^\[stdout\] \d+$/.test(l));
        if (line) {
          clearInterval(t);
          resolve(Number(line.slice(9)));
        }
      }, 10);
    });
    expect(leadsSession(child)).toBe(false);
    const lower = raisePriority(child);
    expect(getPriority(child)).toBe(TIMELY_NICE);
    expect(autogroupNice(child)).toBe(0);
    lower!();
  });
});

describe('raiseCgroup', () => {
  it('writes cpu.weight.nice where the cgroup has one and puts the old value back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-cgw-'));
    try {
      writeFileSync(join(dir, 'cpu.weight.nice'), '0\n');
      const lower = raiseCgroup(dir);
      expect(readFileSync(join(dir, 'cpu.weight.nice'), 'utf8')).toBe(String(TIMELY_NICE));
      lower!();
      expect(readFileSync(join(dir, 'cpu.weight.nice'), 'utf8')).toBe('0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('changes nothing where there is no cpu controller (no cpu.weight.nice)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nc-cgw-'));
    try {
      expect(raiseCgroup(dir)).toBeUndefined();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Each thread's nice value (proc(5) /proc/PID/task/TID/stat field 19). */
const threadNices = (pid: number): number[] =>
  readdirSync(`/proc/${pid}/task`).map((tid) => Number(statFields(Number(tid))?.[16] ?? NaN));
/** A node program that starts a worker thread (made after its start, so it inherits or not) and then says so. */
const withWorker = [
  process.execPath,
  '-e',
  "const { Worker } = require('node:worker_threads'); new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => console.log('worker up')); setInterval(() => {}, 1000);",
];

describe.skipIf(!raising.ok)(raising.title('--sut-priority raised'), () => {
  it('the process may raise (root)', () => {
    expect(cannotRaise()).toBeUndefined();
    expect(getPriority(0)).toBe(0);
  });

  it("a SUT started raised runs raised whole: every thread, made before or after its start, and its session's group", async () => {
    const log: string[] = [];
    const h = await startSut(
      { command: withWorker, ready: { stdout: '^worker up$' } },
      { profileDir: tmpdir(), vars: {}, log: (l) => log.push(l), raised: true },
    );
    started.push(h.process);
    const nices = threadNices(h.process.pid);
    expect(nices.length).toBeGreaterThan(3);
    expect(new Set(nices)).toEqual(new Set([TIMELY_NICE]));
    expect(autogroupNice(h.process.pid)).toBe(TIMELY_NICE);
    expect(log.join('\n')).toMatch(/raised \(nice -10 and its session's autogroup\)/);
  });

  it('not raised (the default), the same SUT keeps nice 0 in every thread', async () => {
    const h = await startSut(
      { command: withWorker, ready: { stdout: '^worker up$' } },
      { profileDir: tmpdir(), vars: {}, log: () => undefined },
    );
    started.push(h.process);
    expect(new Set(threadNices(h.process.pid))).toEqual(new Set([0]));
    expect(autogroupNice(h.process.pid)).toBe(0);
  });

  it('a program that stands for the SUT (SpawnOptions.app) is raised the same way; a harness instrument is not', async () => {
    const ctx = new AttemptContext({
      scenarioId: 's',
      profileDir: tmpdir(),
      lab: undefined,
      sut: undefined,
      allowHostNetwork: false,
      sutPriority: 'raised',
      capabilities: {} as Capabilities,
      attempt: 1,
      signal: new AbortController().signal,
    });
    const up = (p: ManagedProcess) =>
      new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (p.output.some((l) => l === '[stdout] worker up')) {
            clearInterval(t);
            resolve();
          }
        }, 10);
      });
    const app = ctx.spawn(withWorker, { app: true });
    const instrument = ctx.spawn(withWorker);
    try {
      await Promise.all([up(app), up(instrument)]);
      expect(new Set(threadNices(app.pid))).toEqual(new Set([TIMELY_NICE]));
      expect(new Set(threadNices(instrument.pid))).toEqual(new Set([0]));
      expect(ctx.lines.join('\n')).toMatch(/raised \(nice -10/);
    } finally {
      await ctx.finish();
    }
  });
});

const inLab = requires(labNeed, autogroups);
describe.skipIf(!inLab.ok)(inLab.title('--sut-priority raised in a lab host'), () => {
  const runId = newRunId();
  isolateState();
  let lab: Lab;
  beforeAll(async () => {
    lab = await bringUpLab(
      { segments: { a: {} }, hosts: { dut: { links: [{ segment: 'a' }] } } },
      { runId, log: () => {} },
    );
  });
  afterAll(async () => {
    await lab?.down();
    expect(snapshot(runId).netns).toEqual([]);
  });

  it("the SUT and an app program run raised in their host's namespace and cgroup; an instrument there does not", async () => {
    const ctx = new AttemptContext({
      scenarioId: 's',
      profileDir: tmpdir(),
      lab,
      sut: undefined,
      allowHostNetwork: false,
      sutPriority: 'raised',
      capabilities: {} as Capabilities,
      attempt: 1,
      signal: new AbortController().signal,
    });
    const up = (p: ManagedProcess) =>
      new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (p.output.some((l) => l === '[stdout] worker up')) {
            clearInterval(t);
            resolve();
          }
        }, 10);
      });
    try {
      const sut = await ctx.startSut({ host: 'dut', command: withWorker, ready: { stdout: '^worker up$' } });
      const app = ctx.spawn(withWorker, { host: 'dut', app: true });
      const instrument = ctx.spawn(withWorker, { host: 'dut' });
      await Promise.all([up(app), up(instrument)]);
      const netnsOf = (pid: number): string => readlinkSync(`/proc/${pid}/ns/net`);
      // ip-netns(8): a named namespace is a bind mount of its nsfs inode under /run/netns.
      const dutNetns = `net:[${statSync(`/run/netns/${lab.host('dut').netns}`).ino}]`;
      for (const p of [sut.process, app]) {
        expect(new Set(threadNices(p.pid))).toEqual(new Set([TIMELY_NICE]));
        expect(autogroupNice(p.pid)).toBe(TIMELY_NICE);
        expect(netnsOf(p.pid)).toBe(dutNetns);
        expect(readFileSync(`/proc/${p.pid}/cgroup`, 'utf8')).toContain(`nc-${runId}-dut`);
      }
      expect(new Set(threadNices(instrument.pid))).toEqual(new Set([0]));
      expect(netnsOf(instrument.pid)).toBe(dutNetns);
    } finally {
      await ctx.finish();
    }
  });
});
