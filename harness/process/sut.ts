/**
 * Starting the system under test: `${var}` substitution, argv[0] resolution, readiness
 * (stdout line, TCP listen inside its namespace, delay), and errors that say what went wrong.
 * On every failure the process is stopped and reaped before the error is thrown.
 */
import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import path from 'node:path';
import { gateReached, spawnManaged } from './spawn.ts';
import { raiseHeld } from './priority.ts';
import { listeningTcpPorts } from './procfs.ts';
import { DEFAULT_READY_TIMEOUT_MS, type HeldSut, type ManagedProcess, type ProcessExit, type SutHandle, type SutSpec } from './types.ts';

export { DEFAULT_READY_TIMEOUT_MS };

export type SutErrorCode = 'SUT_EXITED' | 'SUT_NOT_READY' | 'SUT_SPAWN' | 'SUT_CONFIG' | 'SUT_ABORTED';

export class SutError extends Error {
  override readonly name = 'SutError';
  constructor(
    readonly code: SutErrorCode,
    message: string,
    /** The SUT's last output lines, for the report. */
    readonly output: string[] = [],
    readonly exit?: ProcessExit,
  ) {
    super(message);
  }
}

export interface StartSutOptions {
  netns?: string;
  profileDir: string;
  vars: Record<string, string>;
  log: (line: string) => void;
  signal?: AbortSignal;
  /** Grace between SIGTERM and SIGKILL when the SUT is stopped. */
  graceMs?: number;
  /** cgroup v2 directory of its lab host's own programs (local network policy). */
  cgroup?: string;
  /** `--sut-priority raised`: raised at its gate, before its program runs (./priority.ts raiseHeld). */
  raised?: boolean;
}

const TAIL = 20;

function substitute(text: string, vars: Record<string, string>, where: string): string {
  return text.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined) {
      const known = Object.keys(vars).join(', ') || 'none';
      throw new SutError('SUT_CONFIG', `unknown variable \${${name}} in ${where} (known: ${known})`);
    }
    return v;
  });
}

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    await access(p, constants.X_OK);
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

/** argv[0] with a slash is a path (relative ones against the profile's folder); else PATH. */
async function resolveCommand(cmd: string, profileDir: string, env: Record<string, string | undefined>): Promise<string> {
  if (cmd.includes('/')) {
    const p = path.isAbsolute(cmd) ? cmd : path.resolve(profileDir, cmd);
    try {
      await stat(p);
    } catch {
      throw new SutError('SUT_SPAWN', `SUT command not found: ${p}`);
    }
    if (!(await isExecutableFile(p))) throw new SutError('SUT_SPAWN', `SUT command is not an executable file: ${p} (chmod +x?)`);
    return p;
  }
  for (const dir of (env.PATH ?? '').split(':').filter(Boolean)) {
    if (await isExecutableFile(path.join(dir, cmd))) return cmd;
  }
  throw new SutError('SUT_SPAWN', `SUT command not found on PATH: ${cmd}`);
}

function describeExit(e: ProcessExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves when every condition in `ready` holds; polls are bounded by the caller's deadline. */
async function waitReady(proc: ManagedProcess, spec: SutSpec, pattern: RegExp | undefined, until: { over: boolean }): Promise<void> {
  const ready = spec.ready ?? {};
  const waits: Array<Promise<void>> = [];
  if (pattern) {
    waits.push((async () => {
      // Lines already captured count too: the SUT may print before we look.
      while (!until.over && !proc.output.some((l) => l.startsWith('[stdout] ') && pattern.test(l.slice(9)))) await sleep(20);
    })());
  }
  if (ready.port !== undefined) {
    const port = ready.port;
    waits.push((async () => {
      while (!until.over && !(await listeningTcpPorts(proc.pid)).has(port)) await sleep(50);
    })());
  }
  if (ready.delayMs !== undefined) waits.push(sleep(ready.delayMs));
  await Promise.all(waits);
}

/** Starts the SUT and resolves once it is ready; on any failure it is stopped and a SutError thrown. */
export async function startSut(spec: SutSpec, opts: StartSutOptions): Promise<SutHandle> {
  return (await launch(spec, opts, false)).ready();
}

/**
 * The SUT set up in its host but held before its own program runs (spawnManaged `held`):
 * `release()` lets it run — one pipe write, so two releases are as far apart as the caller
 * means them, whatever forking a process costs on a busy machine — and `ready()` then waits
 * for its readiness, the timeout counted from the release.
 */
export async function prepareSut(spec: SutSpec, opts: StartSutOptions): Promise<HeldSut> {
  return launch(spec, opts, true);
}

async function launch(spec: SutSpec, opts: StartSutOptions, held: boolean): Promise<HeldSut> {
  const argv = spec.command.map((a, i) => substitute(a, opts.vars, `sut.command[${i}]`));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env ?? {})) env[k] = substitute(v, opts.vars, `sut.env.${k}`);
  let pattern: RegExp | undefined;
  if (spec.ready?.stdout !== undefined) {
    try { pattern = new RegExp(spec.ready.stdout); } catch (e) {
      throw new SutError('SUT_CONFIG', `sut.ready.stdout is not a valid regular expression: ${(e as Error).message}`);
    }
  }
  if (argv.length === 0 || argv[0] === '') throw new SutError('SUT_CONFIG', 'sut.command is empty');
  argv[0] = await resolveCommand(argv[0]!, opts.profileDir, { ...process.env, ...env });
  if (opts.signal?.aborted) throw new SutError('SUT_ABORTED', 'aborted before the SUT started');

  const where = opts.netns ? ` in ${opts.netns}` : '';
  opts.log(`sut: ${held ? 'setting up (held)' : 'starting'} ${JSON.stringify(argv)}${where}`);
  // Raised, it is held at its gate either way: raised there, its program starts raised whole.
  const gated = held || opts.raised === true;
  const proc = spawnManaged(argv, {
    netns: opts.netns,
    cgroup: opts.cgroup,
    held: gated,
    env,
    cwd: opts.profileDir,
    onLine: (stream, line) => opts.log(`sut ${stream}: ${line}`),
  });
  const graceMs = opts.graceMs;
  const name = path.basename(argv[0]!);
  if (gated && !(await gateReached(proc))) {
    const stuck = proc.running();
    const exit = await proc.stop(graceMs);
    const tail = proc.output.slice(-TAIL);
    throw new SutError('SUT_SPAWN', `SUT ${name} could not be set up${where} (${stuck ? 'it never reached its start' : describeExit(exit)})${tail.length ? `; last output:\n  ${tail.join('\n  ')}` : ''}`, tail, exit);
  }
  if (opts.raised) {
    const r = await raiseHeld(proc);
    opts.log(r.raised ? `sut: raised (${r.detail})` : `sut: could not be raised (${r.detail}); it runs at normal priority`);
  }
  if (!held) proc.release();
  let released = !held;
  return {
    process: proc,
    release: () => {
      if (released) return;
      released = true;
      proc.release();
      opts.log(`sut: released (pid ${proc.pid})`);
    },
    ready: () => {
      if (!released) return Promise.reject(new SutError('SUT_CONFIG', 'ready() before release()'));
      return awaitReady(proc, spec, pattern, { ...opts, graceMs, where, name });
    },
  };
}

async function awaitReady(proc: ManagedProcess, spec: SutSpec, pattern: RegExp | undefined, opts: StartSutOptions & { where: string; name: string }): Promise<SutHandle> {
  const { graceMs, where, name } = opts;
  const timeoutMs = spec.ready?.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const until = { over: false };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  type Outcome = { kind: 'ready' } | { kind: 'exit'; exit: ProcessExit } | { kind: 'timeout' } | { kind: 'abort' };
  const outcome = await Promise.race<Outcome>([
    waitReady(proc, spec, pattern, until).then(() => ({ kind: 'ready' as const })),
    proc.exited.then((exit) => ({ kind: 'exit' as const, exit })),
    new Promise<Outcome>((r) => { timer = setTimeout(() => r({ kind: 'timeout' }), timeoutMs); }),
    new Promise<Outcome>((r) => {
      onAbort = () => r({ kind: 'abort' });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  until.over = true;
  clearTimeout(timer);
  if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  // The ready condition may win the race in the same tick the SUT dies: check again.
  if (outcome.kind === 'ready' && proc.running()) {
    opts.log(`sut: ready (pid ${proc.pid})`);
    return { process: proc, stop: () => proc.stop(graceMs) };
  }

  const exit = await proc.stop(graceMs);
  const tail = proc.output.slice(-TAIL);
  const shown = tail.length ? `; last output:\n  ${tail.join('\n  ')}` : '; no output';
  if (outcome.kind === 'exit' || outcome.kind === 'ready') {
    // `ip netns exec` reports a failed execvp as exit 255 with this message (ip-netns(8)).
    const execFailed = exit.code === 127 || (exit.code === 255 && tail.some((l) => /exec of ".*" failed/.test(l)));
    if (execFailed) throw new SutError('SUT_SPAWN', `SUT ${name} could not be started${where}${shown}`, tail, exit);
    throw new SutError('SUT_EXITED', `SUT ${name} exited before it was ready (${describeExit(exit)})${shown}`, tail, exit);
  }
  if (outcome.kind === 'abort') throw new SutError('SUT_ABORTED', `SUT ${name} start aborted; stopped it`, tail, exit);
  const what = [
    pattern ? `a stdout line matching /${spec.ready?.stdout}/` : '',
    spec.ready?.port !== undefined ? `TCP port ${spec.ready.port} listening` : '',
  ].filter(Boolean).join(' and ');
  throw new SutError('SUT_NOT_READY', `SUT ${name} not ready after ${timeoutMs} ms (waited for ${what || 'readiness'}); stopped it${shown}`, tail, exit);
}
