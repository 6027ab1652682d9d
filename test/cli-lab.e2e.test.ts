/**
 * The CLI with a lab: SIGINT, SIGTERM, SIGHUP and SIGQUIT mid-run tear the lab down and stop child
 * processes, also when a hang-up took the console with it;
 * and the default profile runs as an ordinary user (labs skipped, never failed).
 */
import { execa } from 'execa';
import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../harness/model/results.ts';
import { bin, childPidsAlive, cli, readJson, repoRoot, tempOut } from './helpers/cli.ts';
import { labNeeds, setpriv } from './helpers/requires.ts';

const lab = labNeeds();

async function namespacesOf(runId: string): Promise<string[]> {
  const all = await readdir('/run/netns').catch(() => [] as string[]);
  return all.filter((n) => n.includes(`-${runId}-`));
}

describe.skipIf(!lab.ok)(lab.title('CLI with a lab (root)'), () => {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const) {
    it(`${signal} mid-run: exit 130, lab torn down, processes gone, reports interrupted`, async () => {
      const out = await tempOut();
      const child = cli(['run', 'test/fixtures/profiles/lab-hang.yaml', '--out', out]);
      let seen = '';
      let runId = '';
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`scenario never started:\n${seen}`)), 90_000);
        child.stdout!.on('data', (d: Buffer) => {
          seen += d.toString();
          runId ||= /lab (\w{5}): bringing up/.exec(seen)?.[1] ?? '';
          if (seen.includes('sleeper (fixture.hang)')) {
            clearTimeout(t);
            resolve();
          }
        });
      });
      expect(runId).toMatch(/^[a-z][a-z0-9]{4}$/);
      expect((await namespacesOf(runId)).length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 300));
      child.kill(signal);
      const r = await child;
      expect(r.exitCode, r.all).toBe(130);
      expect(await namespacesOf(runId)).toEqual([]);
      const res = await readJson<RunResult>(join(out, 'results.json'));
      expect(childPidsAlive(res)).toEqual([]);
      expect(res.interrupted).toBe(true);
      expect(res.labs[0]!.runId).toBe(runId);
    }, 120_000);
  }

  it('SIGHUP after the console went away (a pipe reader gone: EPIPE on every write): still torn down, reports written', async () => {
    const out = await tempOut();
    const child = execa('node', [bin, 'run', 'test/fixtures/profiles/lab-hang.yaml', '--out', out], {
      cwd: repoRoot,
      reject: false,
      timeout: 120_000,
    });
    let seen = '';
    let runId = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`scenario never started:\n${seen}`)), 90_000);
      child.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        runId ||= /lab (\w{5}): bringing up/.exec(seen)?.[1] ?? '';
        if (seen.includes('sleeper (fixture.hang)')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    expect((await namespacesOf(runId)).length).toBeGreaterThan(0);
    // As `netconform run | tee log` when the terminal closes: the reader is gone before the harness writes again.
    child.stdout!.destroy();
    child.stderr!.destroy();
    await new Promise((r) => setTimeout(r, 200));
    child.kill('SIGHUP');
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(await namespacesOf(runId)).toEqual([]);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.interrupted).toBe(true);
    expect(childPidsAlive(res)).toEqual([]);
  }, 120_000);

  it('runs the default profile as an ordinary user: exit 0, lab-only checks skipped with the reason', async ({
    skip,
  }) => {
    const out = await tempOut();
    await chmod(out, 0o777);
    if (!setpriv().ok) skip(setpriv().reason);
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    // A checkout under a root-only folder cannot be run by anyone else: nothing to test then.
    const readable = await execa(asNobody[0]!, [...asNobody.slice(1), 'test', '-r', bin], { reject: false });
    if (readable.exitCode !== 0) skip(`uid 65534 cannot read ${bin} (the checkout sits under a root-only folder)`);
    const r = await execa(asNobody[0]!, [...asNobody.slice(1), 'node', bin, 'run', '--out', out], {
      cwd: repoRoot,
      reject: false,
      all: true,
      env: { HOME: out },
    });
    expect(r.exitCode, r.all).toBe(0);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    expect(res.environment.root).toBe(false);
    // The default profile (profiles/first-run.yaml): loopback runs for anyone; its lab scenarios are skipped, saying why.
    const byId = (id: string) => res.scenarios.find((s) => s.id === id)!;
    expect(byId('loopback-udp').checks.every((c) => c.verdict === 'pass')).toBe(true);
    for (const id of ['broadcast-reach', 'broadcast-unbound-mistake', 'multicast-asymmetry']) {
      const checks = byId(id).checks;
      expect(checks.length).toBeGreaterThan(0);
      for (const c of checks) {
        expect(c.verdict).toBe('skip');
        expect(c.reason).toMatch(/root|lab/);
      }
    }
  });
});
