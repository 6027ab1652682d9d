// Managed processes and the SUT: output, process groups, suspend/resume, stop escalation,
// readiness, and clear errors that leave nothing running.
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  liveManaged,
  prepareSut,
  spawnManaged,
  startSut,
  stopAllManaged,
  SutError,
} from '../../harness/process/index.ts';
import { gateReached } from '../../harness/process/spawn.ts';
import { pidAlive } from '../../harness/process/procfs.ts';
import { FIXTURES, childPids } from './helpers.ts';

const SUT = path.join(FIXTURES, 'sut.mjs');
const node = process.execPath;
const procState = (pid: number): string => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[0]!;
const sutOpts = (log: string[] = []) => ({
  profileDir: FIXTURES,
  vars: { node, sut: SUT },
  log: (l: string) => log.push(l),
});
const until = async (cond: () => boolean, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
};

describe('spawnManaged', () => {
  afterAll(async () => {
    await stopAllManaged();
    expect(liveManaged()).toEqual([]);
  });

  it('captures lines from stdout and stderr, tagged, and calls onLine', async () => {
    const seen: string[] = [];
    const p = spawnManaged([node, '-e', 'console.log("a"); console.error("b"); console.log("c")'], {
      onLine: (s, l) => seen.push(`${s}:${l}`),
    });
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.output.filter((l) => l.startsWith('[stdout]'))).toEqual(['[stdout] a', '[stdout] c']);
    expect(p.output).toContain('[stderr] b');
    expect(seen.sort()).toEqual(['stderr:b', 'stdout:a', 'stdout:c']);
    expect(p.running()).toBe(false);
  });

  it('suspends and resumes the whole process group, and stop() continues a stopped process', async () => {
    const p = spawnManaged([node, SUT, 'forker']);
    await until(() => p.output.some((l) => l.startsWith('[stdout] child ')));
    const child = Number(p.output.find((l) => l.startsWith('[stdout] child '))!.split(' ')[2]);
    p.suspend();
    await until(() => procState(p.pid) === 'T' && procState(child) === 'T');
    expect([procState(p.pid), procState(child)]).toEqual(['T', 'T']);
    p.resume();
    await until(() => procState(p.pid) !== 'T' && procState(child) !== 'T');
    expect(procState(child)).not.toBe('T');
    p.suspend();
    const e = await p.stop(2000);
    expect(e.signal).toBe('SIGTERM');
    await until(() => !pidAlive(child));
    expect(pidAlive(child)).toBe(false);
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const p = spawnManaged([node, SUT, 'stubborn']);
    await until(() => p.output.includes('[stdout] ready'));
    const t0 = Date.now();
    const e = await p.stop(300);
    expect(e.signal).toBe('SIGKILL');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(p.output).toContain('[stdout] ignoring SIGTERM');
  });

  it('a held process waits at its gate, its program unstarted, until release(); the program then reads end-of-file on stdin', async () => {
    const p = spawnManaged(
      [
        node,
        '-e',
        'process.stdin.on("data", () => console.log("data")).on("end", () => console.log("eof")); console.log("ran")',
      ],
      { held: true },
    );
    expect(await gateReached(p)).toBe(true);
    await new Promise((r) => setTimeout(r, 200));
    expect(p.output).toEqual([]);
    expect(procState(p.pid)).toBe('S');
    p.release();
    expect(await p.exited).toEqual({ code: 0, signal: null });
    expect(p.output).toEqual(['[stdout] ran', '[stdout] eof']);
  });

  it('a held process stopped without a release never runs its program', async () => {
    const p = spawnManaged([node, '-e', 'console.log("ran")'], { held: true });
    expect(await gateReached(p)).toBe(true);
    await p.stop(500);
    expect(p.output).toEqual([]);
  });

  it('reports a program that cannot be started as exit 127, never a throw', async () => {
    const p = spawnManaged(['/nonexistent/netconform-sut']);
    expect((await p.exited).code).toBe(127);
    expect(p.output.join(' ')).toMatch(/cannot start/);
  });
});

describe('startSut', () => {
  it('substitutes ${vars}, resolves a relative argv[0] against the profile folder, waits for a stdout line', async () => {
    const log: string[] = [];
    const h = await startSut(
      { command: ['${node}', '${sut}', 'ready'], env: { MODE: '${node}' }, ready: { stdout: '^listening$' } },
      sutOpts(log),
    );
    expect(h.process.running()).toBe(true);
    expect(log).toContain('sut stdout: listening');
    expect((await h.stop()).signal).toBe('SIGTERM');
    // ./relative path: resolved against profileDir (the fixture is not executable → SUT_SPAWN, naming the path).
    await expect(startSut({ command: ['./sut.mjs'] }, sutOpts())).rejects.toMatchObject({
      code: 'SUT_SPAWN',
      message: expect.stringContaining(path.join(FIXTURES, 'sut.mjs')),
    });
  });

  it('names an unknown variable', async () => {
    await expect(startSut({ command: ['${node}', '${nope}'] }, sutOpts())).rejects.toMatchObject({
      code: 'SUT_CONFIG',
      message: expect.stringContaining('${nope}'),
    });
  });

  it('waits for a TCP port to listen', async () => {
    const port = 30000 + (process.pid % 10000);
    const h = await startSut(
      { command: ['${node}', '${sut}', 'listen', String(port)], ready: { port, timeoutMs: 5000 } },
      sutOpts(),
    );
    expect(h.process.output).toContain('[stdout] bound');
    await h.stop();
  });

  it('SUT that exits early: SUT_EXITED with exit code and last lines; nothing left', async () => {
    const before = childPids().length;
    const e = await startSut({ command: ['${node}', '${sut}', 'crash'], ready: { stdout: 'never' } }, sutOpts()).catch(
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(SutError);
    expect(e).toMatchObject({ code: 'SUT_EXITED', exit: { code: 3, signal: null } });
    expect((e as SutError).message).toMatch(/exit code 3.*\n.*fatal: cannot open config/);
    expect(childPids().length).toBe(before);
  });

  it('SUT that never becomes ready: SUT_NOT_READY after the timeout, stopped and reaped', async () => {
    const e = await startSut(
      { command: ['${node}', '${sut}', 'silent'], ready: { stdout: 'ready', timeoutMs: 400 } },
      sutOpts(),
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SUT_NOT_READY', message: expect.stringContaining('not ready after 400 ms') });
    expect(liveManaged()).toEqual([]);
  });

  it('SUT that ignores SIGTERM is killed', async () => {
    const before = childPids().length;
    const h = await startSut(
      { command: ['${node}', '${sut}', 'stubborn'], ready: { stdout: 'ready' } },
      { ...sutOpts(), graceMs: 300 },
    );
    expect((await h.stop()).signal).toBe('SIGKILL');
    expect(childPids().length).toBe(before);
  });

  it('prepareSut: set up and held, ready only after release, the readiness timeout counted from the release', async () => {
    const log: string[] = [];
    const held = await prepareSut(
      { command: ['${node}', '${sut}', 'ready'], ready: { stdout: '^listening$', timeoutMs: 2000 } },
      sutOpts(log),
    );
    await expect(held.ready()).rejects.toMatchObject({ code: 'SUT_CONFIG' });
    await new Promise((r) => setTimeout(r, 2500)); // longer than the readiness timeout: it has not started counting
    expect(held.process.output).toEqual([]);
    held.release();
    const h = await held.ready();
    expect(h.process.running()).toBe(true);
    expect(log).toContain('sut stdout: listening');
    expect((await h.stop()).signal).toBe('SIGTERM');
  });

  it('prepareSut in a namespace that does not exist: SUT_SPAWN naming it, nothing left', async () => {
    const e = await prepareSut(
      { command: ['${node}', '${sut}', 'ready'] },
      { ...sutOpts(), netns: 'nc-no-such-netns' },
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'SUT_SPAWN',
      message: expect.stringContaining('could not be set up in nc-no-such-netns'),
    });
    expect(liveManaged()).toEqual([]);
  });

  it('a ready line followed by a flood of output is seen: judges read the stream, not the bounded tail', async () => {
    // 400,000 lines after the ready line: the kept output (256 KiB) has long dropped it.
    const flood =
      'console.log("ready now"); for (let i = 0; i < 400000; i++) console.log("flood " + i); setInterval(() => {}, 1000)';
    const seen: string[] = [];
    const h = await startSut(
      { command: ['${node}', '-e', flood], ready: { line: '^ready now$', timeoutMs: 20000 } },
      {
        ...sutOpts(),
        onLine: (_s, l) => {
          if (seen.length < 3) seen.push(l);
        },
      },
    );
    expect(seen[0]).toBe('ready now');
    await until(() => h.process.outputCut.droppedLines > 0, 20000);
    expect(h.process.output.some((l) => l.includes('ready now'))).toBe(false);
    await h.stop();
  }, 40_000);

  it("a SUT that prints its ready line and exits at once was ready: the exit is the scenario's to judge", async () => {
    for (let i = 0; i < 5; i++) {
      const h = await startSut(
        { command: ['${node}', '-e', 'console.log("ready"); process.exit(4)'], ready: { stdout: '^ready$' } },
        sutOpts(),
      );
      expect(await h.process.exited).toEqual({ code: 4, signal: null });
    }
  });

  it('readiness on stderr (stream either by default, or stderr); a stdout-only pattern says what it did not search', async () => {
    const log = 'console.error("daemon: listening on 7"); setInterval(() => {}, 1000)';
    const either = await startSut({ command: ['${node}', '-e', log], ready: { line: 'listening on \\d+' } }, sutOpts());
    await either.stop();
    const stderr = await startSut(
      { command: ['${node}', '-e', log], ready: { line: 'listening', stream: 'stderr' } },
      sutOpts(),
    );
    await stderr.stop();
    const e = await startSut(
      { command: ['${node}', '-e', log], ready: { stdout: 'listening', timeoutMs: 4000 } },
      sutOpts(),
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SUT_NOT_READY' });
    expect((e as SutError).message).toMatch(
      /waited for a line on stdout matching \/listening\/ \(stderr was not searched\)/,
    );
    expect((e as SutError).message).toContain('[stderr] daemon: listening on 7');
  });

  it('a pattern runs in linear time: one that backtracks exponentially in RegExp is answered at once', async () => {
    const t0 = performance.now();
    const e = await startSut(
      {
        command: ['${node}', '-e', 'console.log("a".repeat(40) + "!"); setInterval(() => {}, 1000)'],
        ready: { stdout: '^(a|a)*$', timeoutMs: 1500 },
      },
      sutOpts(),
    ).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'SUT_NOT_READY' });
    // Its own timeout fired: the event loop was never blocked (RegExp would take minutes here).
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('$${ is a literal ${; ${constructor} is no variable; ready.port takes a template', async () => {
    const log: string[] = [];
    const h = await startSut(
      {
        command: ['${node}', '-e', 'console.log(process.argv[1]); setInterval(() => {}, 1000)', '$${HOME}'],
        ready: { stdout: '^\\$\\{HOME\\}$' },
      },
      sutOpts(log),
    );
    expect(log).toContain('sut stdout: ${HOME}');
    await h.stop();
    await expect(startSut({ command: ['${node}', '${constructor}'] }, sutOpts())).rejects.toMatchObject({
      code: 'SUT_CONFIG',
      message: expect.stringContaining('unknown variable ${constructor}'),
    });
    const port = 30000 + ((process.pid + 7) % 10000);
    const p = await startSut(
      { command: ['${node}', '${sut}', 'listen', '${port}'], ready: { port: '${port}', timeoutMs: 5000 } },
      { ...sutOpts(), vars: { node, sut: SUT, port: String(port) } },
    );
    await p.stop();
    await expect(startSut({ command: ['${node}'], ready: { port: '${node}' } }, sutOpts())).rejects.toMatchObject({
      code: 'SUT_CONFIG',
      message: expect.stringContaining('not a TCP port'),
    });
  });

  it('missing command: SUT_SPAWN before anything runs', async () => {
    await expect(startSut({ command: ['no-such-netconform-sut'] }, sutOpts())).rejects.toMatchObject({
      code: 'SUT_SPAWN',
      message: expect.stringContaining('not found on PATH'),
    });
  });
});
