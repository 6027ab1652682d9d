/**
 * Raising a timely helper (suites/lib/lateness/priority.ts): its main thread's nice value and,
 * where the kernel groups tasks by session (sched(7) autogroup), its session's group, since a
 * thread's nice value weighs only inside its group. The harness's own session is never raised.
 * Real processes; root (CAP_SYS_NICE) for the raising half.
 */
import { getPriority } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnManaged } from '../../harness/process/spawn.ts';
import type { ManagedProcess } from '../../harness/process/types.ts';
import { leadsSession } from '../../harness/process/procfs.ts';
import { autogroupNice, raisePriority, TIMELY_NICE } from '../../suites/lib/lateness/priority.ts';
import { autogroups, linux, requires, root } from '../helpers/requires.ts';

const started: ManagedProcess[] = [];
afterAll(async () => { await Promise.all(started.map((p) => p.stop(500))); });

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
  it('raises the main thread and the session\'s autogroup, and the undo lowers both', () => {
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

  it('raising the calling thread leaves the harness\'s session group alone', () => {
    const group = autogroupNice(process.pid);
    const lower = raisePriority();
    try {
      expect(getPriority(0)).toBe(TIMELY_NICE);
      expect(autogroupNice(process.pid)).toBe(group);
    } finally {
      lower?.();
    }
  });

  it('a process that does not lead its session keeps its group\'s nice value', async () => {
    // sh leads the session; its child `sleep` shares the group and must not raise it.
    const p = spawnManaged(['sh', '-c', 'sleep 30 & echo $!; wait']);
    started.push(p);
    const child = await new Promise<number>((resolve) => {
      const t = setInterval(() => {
        const line = p.output.find((l) => /^\[stdout\] \d+$/.test(l));
        if (line) { clearInterval(t); resolve(Number(line.slice(9))); }
      }, 10);
    });
    expect(leadsSession(child)).toBe(false);
    const lower = raisePriority(child);
    expect(getPriority(child)).toBe(TIMELY_NICE);
    expect(autogroupNice(child)).toBe(0);
    lower!();
  });
});
