// `lab gc` and the capability probe's namespace (ncprobe-<pid>-<start>-…): removed once its
// owner is dead, kept while the owner lives. Other helpers' runs exist on this machine, so
// everything is judged by this test's own pids and names.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { labGc } from '../../harness/lab/index.ts';
import { probeNetns } from '../../harness/lab/names.ts';
import { pidStartTime } from '../../harness/process/procfs.ts';
import { bin, repoRoot } from '../helpers/cli.ts';
import { tempDir } from '../helpers/tmp.ts';
import { isolateState, labNeed } from './helpers.ts';

const probeOf = (pid: number): string[] => readdirSync('/run/netns').filter((n) => n.startsWith(`ncprobe-${pid}-`));

describe.skipIf(!labNeed.ok)(labNeed.title('lab gc and probe namespaces'), () => {
  const stateDir = isolateState();

  it("a run SIGKILLed during the capability probe leaves ncprobe-<pid>-…; lab gc removes it (the issue's repro)", async () => {
    const out = await tempDir();
    const child = execa('node', [bin, 'run', 'profiles/broadcast.yaml', '-o', out], {
      cwd: repoRoot,
      detached: true,
      reject: false,
      env: { NETCONFORM_STATE_DIR: stateDir },
    });
    const pid = child.pid!;
    let seen: string[] = [];
    const deadline = Date.now() + 60_000;
    let ended = false;
    void child.then(() => {
      ended = true;
    });
    while (!ended && Date.now() < deadline && (seen = probeOf(pid)).length === 0)
      await new Promise((r) => setTimeout(r, 1));
    expect(seen, 'the probe namespace was never seen').toHaveLength(1);
    process.kill(-pid, 'SIGKILL');
    await child;
    const gc = await execa('node', [bin, 'lab', 'gc'], {
      cwd: repoRoot,
      reject: false,
      env: { NETCONFORM_STATE_DIR: stateDir },
    });
    expect(gc.exitCode).toBe(0);
    // The probe's own deletion may have won the race with SIGKILL; either way nothing stays.
    expect(probeOf(pid)).toEqual([]);
    if (gc.stdout.includes(seen[0]!))
      expect(gc.stdout).toContain(`gc: probe namespace ${seen[0]} (owner pid ${pid} gone): removed`);
  });

  it('a probe namespace of a dead pid goes, of a live owner stays (pid and start time in the name)', async () => {
    const dead = execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim();
    const deadNs = probeNetns(Number(dead), '1', 'a0a0a0');
    const liveNs = probeNetns(process.pid, pidStartTime(process.pid), 'b1b1b1');
    // A live pid with another start time is a reused pid: not the owner.
    const reusedNs = probeNetns(process.pid, '1', 'c2c2c2');
    for (const n of [deadNs, liveNs, reusedNs]) execFileSync('ip', ['netns', 'add', n]);
    try {
      const r = await labGc();
      expect(r.removed).toEqual(expect.arrayContaining([deadNs, reusedNs]));
      expect(r.removed).not.toContain(liveNs);
      expect(r.kept.some((k) => k.startsWith(liveNs))).toBe(true);
      expect(existsSync(`/run/netns/${deadNs}`)).toBe(false);
      expect(existsSync(`/run/netns/${reusedNs}`)).toBe(false);
      expect(existsSync(`/run/netns/${liveNs}`)).toBe(true);
    } finally {
      for (const n of [deadNs, liveNs, reusedNs]) {
        try {
          execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
        } catch {
          /* already gone */
        }
      }
    }
  });
});
