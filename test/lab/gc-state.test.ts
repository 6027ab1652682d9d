// `lab gc` and `lab status` trust a state file only once it is a valid lab record whose names
// are all of its own run id: a corrupt or foreign file is reported and skipped, nothing it names
// is touched, and the next dead lab is still collected.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../harness/lab/names.ts';
import { bin, repoRoot } from '../helpers/cli.ts';
import { isolateState, labNeed } from './helpers.ts';

const deadPid = (): number => Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());

describe.skipIf(!labNeed.ok)(labNeed.title('lab gc with invalid state files'), () => {
  const stateDir = isolateState();
  const made: string[] = [];
  const addNetns = (n: string): void => {
    execFileSync('ip', ['netns', 'add', n]);
    made.push(n);
  };
  afterAll(() => {
    for (const n of made) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' });
      } catch {
        /* gone */
      }
    }
  });
  const record = (runId: string, namespaces: string[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      runId,
      ownerPid: deadPid(),
      ownerStart: '1',
      createdAt: new Date().toISOString(),
      persistent: false,
      namespaces,
      hosts: [],
      segments: [],
      ...extra,
    });

  it('null, garbage, a foreign namespace, a mismatched run id: reported, untouched; a dead lab after them is removed', async () => {
    const victimId = newRunId();
    // A namespace that is not of the file's run id, with a process inside: gc must neither delete it nor kill the process.
    const victim = `nc-${victimId}-victim`;
    const foreign = `ncgcvictim${victimId}`;
    addNetns(victim);
    addNetns(foreign);
    const sleeper = spawn('ip', ['netns', 'exec', foreign, 'sleep', '60'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    const liarId = newRunId();
    const otherId = newRunId();
    const goodId = newRunId();
    const good = `nc-${goodId}-a`;
    const goodFiles = join(stateDir, `${goodId}.files`, 'tls-x');
    addNetns(good);
    mkdirSync(goodFiles, { recursive: true });
    writeFileSync(join(goodFiles, 'key.pem'), 'secret');
    writeFileSync(join(stateDir, 'not-a-lab.json'), 'null');
    writeFileSync(join(stateDir, `${newRunId()}.json`), 'null');
    writeFileSync(join(stateDir, `${newRunId()}.json`), '{"runId": ');
    writeFileSync(join(stateDir, `${liarId}.json`), record(liarId, [foreign, victim]));
    writeFileSync(join(stateDir, `${otherId}.json`), record(victimId, [victim]));
    writeFileSync(join(stateDir, `${goodId}.json`), record(goodId, [good]));

    const status = await execa('node', [bin, 'lab', 'status'], {
      cwd: repoRoot,
      reject: false,
      all: true,
      env: { NETCONFORM_STATE_DIR: stateDir },
    });
    expect(status.exitCode, status.all).toBe(0);
    expect(status.stderr).toMatch(/skipped .*not-a-lab\.json: not a run id/);

    const gc = await execa('node', [bin, 'lab', 'gc'], {
      cwd: repoRoot,
      reject: false,
      all: true,
      env: { NETCONFORM_STATE_DIR: stateDir },
    });
    try {
      expect(gc.exitCode, gc.all).toBe(0);
      expect(gc.stdout).toContain(`${liarId}.json: lists namespace "${foreign}", not one of run ${liarId}'s`);
      expect(gc.stdout).toContain(`${otherId}.json: its runId "${victimId}" is not its file name's`);
      expect(gc.stdout).toMatch(/\.json: not a lab state: \(top level\) Expected object/);
      expect(gc.stdout).toMatch(/\.json: not JSON: /);
      expect(gc.stdout).toContain('gc: 5 state files skipped as invalid');
      expect(gc.stdout).toContain(`gc: lab ${goodId} (owner pid`);
      expect(existsSync(`/run/netns/${good}`)).toBe(false);
      expect(existsSync(join(stateDir, `${goodId}.files`))).toBe(false);
      expect(existsSync(join(stateDir, `${goodId}.json`))).toBe(false);
      expect(existsSync(`/run/netns/${foreign}`)).toBe(true);
      expect(existsSync(`/run/netns/${victim}`)).toBe(true);
      expect(sleeper.exitCode).toBeNull();
      expect(existsSync(join(stateDir, `${liarId}.json`))).toBe(true);
    } finally {
      sleeper.kill('SIGKILL');
    }
  }, 60_000);
});
