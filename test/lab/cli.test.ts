// `lab up / status / down / gc` through registerLabCommands on a throwaway commander program.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse } from 'yaml';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { registerLabCommands } from '../../harness/cli/lab.ts';
import { labDown } from '../../harness/lab/index.ts';
import { CliError, ExitCode } from '../../harness/util/exit-codes.ts';
import { labNeed, isolateState, snapshot } from './helpers.ts';

async function run(...args: string[]): Promise<string> {
  const program = new Command('netconform').exitOverride();
  registerLabCommands(program, {
    loadProfileForLab: async (file) => ({ lab: (parse(readFileSync(file, 'utf8')) as { lab: unknown }).lab, file }),
  });
  const lines: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return lines.join('');
}

describe.skipIf(!labNeed.ok)(labNeed.title('lab CLI'), () => {
  const runId = `tcli${String.fromCharCode(97 + (process.pid % 26))}`;
  isolateState();
  afterAll(async () => {
    await labDown(runId, { force: true });
  });

  it('lab up keeps the lab, status shows it, gc leaves it, down removes it', async () => {
    const upOut = await run('lab', 'up', 'profiles/lab-example.yaml', '--run-id', runId);
    expect(upOut).toContain(`lab ${runId} is up`);
    expect(upOut).toContain(`ip netns exec nc-${runId}-dut bash`);
    expect(snapshot(runId).netns).toHaveLength(7);
    const st = await run('lab', 'status');
    expect(st).toContain(`lab ${runId}`);
    expect(st).toMatch(/198\.18\.2\.10\/24/);
    expect(st).toContain(`ip netns exec nc-${runId}-peer-c bash`);
    const json = JSON.parse(await run('lab', 'status', '--json')) as Array<{ runId: string; hosts: unknown[] }>;
    expect(json.find((l) => l.runId === runId)?.hosts).toHaveLength(4);
    // gc removes only dead owners' leftovers (dead probes of other runs may be among them): not this lab.
    expect(await run('lab', 'gc')).not.toContain(`gc: lab ${runId}`);
    expect(snapshot(runId).netns).toHaveLength(7);
    expect(await run('lab', 'down')).toContain(`lab ${runId}: removed`);
    expect(snapshot(runId).netns).toEqual([]);
    expect(await run('lab', 'status')).toContain('no labs');
  });

  it('lab down <profile> takes down the lab lab up made from it; nothing matching is exit 2', async () => {
    await run('lab', 'up', 'profiles/lab-example.yaml', '--run-id', runId);
    expect(snapshot(runId).netns).toHaveLength(7);
    expect(await run('lab', 'down', 'profiles/lab-example.yaml')).toContain(`lab ${runId}: removed`);
    expect(snapshot(runId).netns).toEqual([]);
    for (const target of ['profiles/lab-example.yaml', runId, 'no/such/profile.yaml']) {
      const err = await run('lab', 'down', target).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(ExitCode.usage);
      expect((err as CliError).message).toMatch(/^no lab/);
    }
  });
});
