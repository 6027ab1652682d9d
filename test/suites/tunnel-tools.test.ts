/**
 * How the tunnel tools (gateway, client, proxy, prober) are started: with V8's memory reducer
 * off (suites/lib/tunnel/launch.ts TOOL_NODE_FLAGS), whose idle-time collections 8 s after
 * start-up fell in a night's dark wakes 5-7 and made the client wait for a CPU under load; and
 * this node accepts the flag (a node that dropped it would refuse to start every tool).
 */
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { TOOL_NODE_FLAGS, toolArgv } from '../../suites/lib/tunnel/launch.ts';

describe('tunnel tools', () => {
  it('every tool starts with the memory reducer off', () => {
    for (const tool of ['gateway', 'client', 'proxy', 'prober'] as const) {
      const argv = toolArgv(tool, ['--x']);
      expect(argv.slice(1, 1 + TOOL_NODE_FLAGS.length)).toEqual(['--no-memory-reducer']);
      expect(argv.at(-1)).toBe('--x');
    }
  });

  it('this node accepts the flags', async () => {
    const r = await execa(
      process.execPath,
      [...TOOL_NODE_FLAGS, '-e', 'process.stdout.write(process.execArgv.join(" "))'],
      { reject: false },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.split(' ')[0]).toBe('--no-memory-reducer');
  });
});
