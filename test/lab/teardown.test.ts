// Nothing is left behind: namespaces, root links, child processes — counted before and after.
import path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, labGc, labStatus, newRunId } from '../../harness/lab/index.ts';
import type { LabSpec } from '../../harness/lab/schema.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { spawnManaged, startSut, SutError } from '../../harness/process/index.ts';
import { pidAlive, pidsInNetns } from '../../harness/process/procfs.ts';
import { FIXTURES, labNeed, isolateState, netnsList, snapshot } from './helpers.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { ETC_NETNS, hostFileNamespaces } from '../../harness/lab/host-files.ts';
import { PRIVATE_ROOT } from '../../harness/process/netns-exec.ts';

/** The /etc/netns and private folders a lab with `runId` has. */
const folders = (runId: string): string[] => hostFileNamespaces().filter((n) => n.includes(runId));

const small: LabSpec = {
  segments: { lan: {} },
  hosts: { a: { links: [{ segment: 'lan' }] }, b: { links: [{ segment: 'lan' }] } },
};
const SUT = path.join(FIXTURES, 'sut.mjs');
const sutOpts = (netns: string) => ({
  netns,
  profileDir: FIXTURES,
  vars: { node: process.execPath, sut: SUT },
  log: () => {},
  graceMs: 300,
});

describe.skipIf(!labNeed.ok)(labNeed.title('lab teardown'), () => {
  let before: ReturnType<typeof snapshot>;
  const labs: Lab[] = [];
  const up = async (): Promise<Lab> => {
    const lab = await bringUpLab(small, { runId: newRunId(), log: () => {} });
    labs.push(lab);
    return lab;
  };
  isolateState();
  beforeAll(() => {
    before = snapshot();
  });
  afterAll(async () => {
    // A failed test must not leak its lab (down() is idempotent).
    await Promise.all(labs.map((l) => l.down()));
    const after = snapshot();
    expect(after.links).toEqual(before.links);
    expect(after.children).toEqual(before.children);
  });

  it('50 up/down cycles leave no namespace, root link or process', async () => {
    const ids: string[] = [];
    for (let n = 0; n < 50; n++) {
      const lab = await up();
      ids.push(lab.runId);
      lab.host('a').spawn(['sleep', '30']);
      await lab.down();
      await lab.down(); // idempotent
    }
    const left = netnsList().filter((n) => ids.some((id) => n.includes(id)));
    expect(left).toEqual([]);
    expect(snapshot().links).toEqual(before.links);
    expect(snapshot().children).toEqual(before.children);
    expect((await labStatus()).filter((s) => ids.includes(s.runId))).toEqual([]);
  }, 120_000);

  it('down() also kills processes in the lab it did not start itself', async () => {
    const lab = await up();
    const stray = spawnManaged(['sleep', '30'], { netns: lab.host('b').netns });
    // A detached grandchild in its own session escapes process-group kills, but not the namespace sweep.
    lab
      .host('a')
      .spawn([
        process.execPath,
        '-e',
        'require("child_process").spawn("sleep",["30"],{detached:true,stdio:"ignore"}).unref()',
      ]);
    await new Promise((r) => setTimeout(r, 300));
    const inside = await pidsInNetns([lab.host('a').netns, lab.host('b').netns]);
    expect(inside.length).toBeGreaterThanOrEqual(2);
    await lab.down();
    expect((await stray.exited).signal).toBe('SIGKILL');
    for (const p of inside) expect(pidAlive(p)).toBe(false); // zombies awaiting init count as gone
    expect(snapshot(lab.runId).netns).toEqual([]);
  });

  // The crashing SUT gets a long readiness window: its exit must end the wait, and node's own
  // start-up on a busy machine can take longer than the 500 ms the silent case waits.
  it.each([
    ['crashes', 'crash', 'SUT_EXITED', 30_000],
    ['never becomes ready', 'silent', 'SUT_NOT_READY', 500],
  ])('a SUT in a lab host that %s: clear error, then nothing left', async (_what, mode, code, timeoutMs) => {
    const lab = await up();
    const e = await startSut(
      { command: ['${node}', '${sut}', mode], ready: { stdout: 'listening', timeoutMs } },
      sutOpts(lab.host('a').netns),
    ).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SutError);
    expect((e as SutError).code).toBe(code);
    expect(await pidsInNetns([lab.host('a').netns])).toEqual([]);
    await lab.down();
    expect(snapshot(lab.runId).netns).toEqual([]);
  });

  it('a SUT in a lab host that ignores SIGTERM: lab.down() still removes it and the lab', async () => {
    const lab = await up();
    const h = await startSut(
      { command: ['${node}', '${sut}', 'stubborn'], ready: { stdout: 'ready' } },
      sutOpts(lab.host('a').netns),
    );
    await lab.down();
    expect((await h.process.exited).signal).toBe('SIGKILL');
    expect(snapshot(lab.runId).netns).toEqual([]);
  });

  it('a bring-up aborted mid-way (scenario timeout) leaves nothing', async () => {
    const runId = newRunId();
    const e = await bringUpLab(small, { runId, log: () => {}, signal: AbortSignal.timeout(1) }).catch(
      (x: unknown) => x,
    );
    expect(e).toMatchObject({ code: expect.stringMatching(/EABORT|EIP/) });
    expect(snapshot(runId).netns).toEqual([]);
  });

  it('SIGKILL of the process that brought a lab up, then labGc: everything of that run is removed, nothing else', async () => {
    const bystander = await up();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'bring-up.mts')], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    try {
      const runId = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /up (\w+)/.exec(buf);
          if (m) resolve(m[1]!);
        });
        child.once('exit', (c) => reject(new Error(`bring-up exited ${c}`)));
      });
      const ns = snapshot(runId).netns;
      expect(ns).toHaveLength(3);
      const inside = await pidsInNetns(ns);
      expect(inside.length).toBe(1); // the sleep it spawned
      // gc while the owner lives: leaves it alone.
      expect((await labGc()).removed).toEqual([]);
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      expect(snapshot(runId).netns).toHaveLength(3); // SIGKILL ran no cleanup
      expect(folders(runId).sort()).toEqual(ns.filter((n) => n.startsWith('nc-')).sort());
      const { removed, kept } = await labGc();
      expect(folders(runId)).toEqual([]);
      expect(removed.sort()).toEqual(ns.sort());
      expect(kept).toContain(bystander.runId);
      expect(snapshot(runId).netns).toEqual([]);
      for (const p of inside) expect(pidAlive(p)).toBe(false); // zombies awaiting init count as gone
      expect(snapshot(bystander.runId).netns).toHaveLength(3);
    } finally {
      child.kill('SIGKILL');
      await bystander.down();
    }
  });

  it('labGc removes a lab folder (/etc/netns, private) with no state file and no namespace, nothing else', async () => {
    const lab = await up();
    const stale = `nc-${newRunId()}-gone`;
    mkdirSync(path.join(ETC_NETNS, stale), { recursive: true });
    writeFileSync(path.join(ETC_NETNS, stale, 'hosts'), '127.0.0.1 localhost\n');
    mkdirSync(path.join(PRIVATE_ROOT, stale, 'run'), { recursive: true });
    const { folders: swept } = await labGc();
    expect(swept).toContain(stale);
    expect(hostFileNamespaces()).not.toContain(stale);
    expect(folders(lab.runId)).toHaveLength(2); // a live lab's (hosts a and b) stay
    await lab.down();
    expect(folders(lab.runId)).toEqual([]);
  });

  it.each([
    ['process.exit() without down(): the exit hook', 'exit', undefined],
    ['SIGTERM to a process whose handler calls downAllLabs()', 'sigterm', 'SIGTERM'],
  ] as const)('%s removes the lab and its processes', async (_what, mode, sig) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(FIXTURES, 'bring-up.mts'), mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: process.env,
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    try {
      const runId = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const m = /up (\w+)/.exec(buf);
          if (m) resolve(m[1]!);
        });
        void exited.then(() => setTimeout(() => reject(new Error('exited before up')), 100));
      });
      if (sig) {
        expect(snapshot(runId).netns).toHaveLength(3);
        expect(folders(runId)).toHaveLength(2);
        child.kill(sig);
      }
      const code = await exited;
      expect(code).toBe(mode === 'exit' ? 0 : 143);
      expect(snapshot(runId).netns).toEqual([]);
      expect(folders(runId)).toEqual([]);
      expect(await labGc()).toMatchObject({ removed: [] });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
