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
import { compilePattern, type LinePattern } from '../util/pattern.ts';
import { renderTemplate } from '../util/template.ts';
import {
  DEFAULT_READY_TIMEOUT_MS,
  type HeldSut,
  type LineListener,
  type ManagedProcess,
  type OutputStream,
  type ProcessExit,
  type StreamChoice,
  type SutHandle,
  type SutSpec,
} from './types.ts';

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
  /** What messages call it when `spec.name` is not set (the scenario's id); else its program's name. */
  name?: string;
  /**
   * A judge of its output: sees every line from the first, subscribed before the program runs
   * (`process.output` keeps only the most recent lines, for the report).
   */
  onLine?: LineListener;
  /** Told of the process as soon as it exists, so its output is accounted for however the start ends. */
  onSpawn?: (proc: ManagedProcess) => void;
}

const TAIL = 20;

function substitute(text: string, vars: Record<string, string>, where: string): string {
  try {
    return renderTemplate(text, vars);
  } catch (err) {
    throw new SutError('SUT_CONFIG', `${where}: ${(err as Error).message}`);
  }
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
async function resolveCommand(
  cmd: string,
  profileDir: string,
  env: Record<string, string | undefined>,
): Promise<string> {
  if (cmd.includes('/')) {
    const p = path.isAbsolute(cmd) ? cmd : path.resolve(profileDir, cmd);
    try {
      await stat(p);
    } catch {
      throw new SutError('SUT_SPAWN', `SUT command not found: ${p}`);
    }
    if (!(await isExecutableFile(p)))
      throw new SutError('SUT_SPAWN', `SUT command is not an executable file: ${p} (chmod +x?)`);
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

/** The ready line's pattern and the stream it is read from (`line` + `stream`, or `stdout`). */
interface ReadyLine {
  pattern: LinePattern;
  stream: StreamChoice;
}

const reads = (choice: StreamChoice, stream: OutputStream): boolean => choice === 'either' || choice === stream;
const streamWords = (choice: StreamChoice): string => (choice === 'either' ? 'stdout or stderr' : choice);

function readyLineOf(spec: SutSpec): ReadyLine | undefined {
  const ready = spec.ready;
  const source = ready?.line ?? ready?.stdout;
  if (source === undefined) return undefined;
  const stream: StreamChoice = ready?.line !== undefined ? (ready.stream ?? 'either') : 'stdout';
  try {
    return { pattern: compilePattern(source), stream };
  } catch (err) {
    const field = ready?.line !== undefined ? 'sut.ready.line' : 'sut.ready.stdout';
    throw new SutError('SUT_CONFIG', `${field} is not a pattern netconform can run: ${(err as Error).message}`);
  }
}

/**
 * Watches the output for the ready line from the first line on (subscribed in the tick the
 * process starts, before any line can arrive), so a line followed by a flood of output, or by the
 * SUT's exit, is never missed.
 */
function watchReadyLine(proc: ManagedProcess, ready: ReadyLine): { seen: () => boolean; matched: Promise<void> } {
  let seen = false;
  let resolve!: () => void;
  const matched = new Promise<void>((r) => {
    resolve = r;
  });
  const unsubscribe = proc.onLine((stream, line) => {
    if (seen || !reads(ready.stream, stream) || !ready.pattern.test(line)) return;
    seen = true;
    unsubscribe();
    resolve();
  });
  return { seen: () => seen, matched };
}

function readyPort(spec: SutSpec, vars: Record<string, string>): number | undefined {
  const port = spec.ready?.port;
  if (port === undefined || typeof port === 'number') return port;
  const text = substitute(port, vars, 'sut.ready.port');
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) {
    throw new SutError('SUT_CONFIG', `sut.ready.port "${port}" is "${text}", not a TCP port (1-65535)`);
  }
  return n;
}

interface Readiness {
  line?: { ready: ReadyLine; seen: () => boolean; matched: Promise<void> };
  port?: number;
  delayMs?: number;
}

/** Resolves when every condition holds; the port poll is bounded by the caller's deadline. */
async function waitReady(proc: ManagedProcess, r: Readiness, until: { over: boolean }): Promise<void> {
  const waits: Array<Promise<void>> = [];
  if (r.line) waits.push(r.line.matched);
  if (r.port !== undefined) {
    const port = r.port;
    waits.push(
      (async () => {
        while (!until.over && !(await listeningTcpPorts(proc.pid)).has(port)) await sleep(50);
      })(),
    );
  }
  if (r.delayMs !== undefined) waits.push(sleep(r.delayMs));
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
  const readyLine = readyLineOf(spec);
  const port = readyPort(spec, opts.vars);
  if (argv.length === 0 || argv[0] === '') throw new SutError('SUT_CONFIG', 'sut.command is empty');
  argv[0] = await resolveCommand(argv[0]!, opts.profileDir, { ...process.env, ...env });
  if (opts.signal?.aborted) throw new SutError('SUT_ABORTED', 'aborted before the SUT started');

  const where = opts.netns ? ` in ${opts.netns}` : '';
  const name = spec.name ?? opts.name ?? path.basename(argv[0]!);
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
  opts.onSpawn?.(proc);
  // Judges subscribe in the tick of the start: no line can have arrived yet.
  if (opts.onLine) proc.onLine(opts.onLine);
  const readiness: Readiness = {
    line: readyLine && { ready: readyLine, ...watchReadyLine(proc, readyLine) },
    port,
    delayMs: spec.ready?.delayMs,
  };
  const graceMs = opts.graceMs;
  if (gated && !(await gateReached(proc))) {
    const stuck = proc.running();
    const exit = await proc.stop(graceMs);
    const tail = proc.output.slice(-TAIL);
    const how = stuck ? 'it never reached its start' : describeExit(exit);
    throw new SutError('SUT_SPAWN', `SUT ${name} could not be set up${where} (${how})${shownTail(tail)}`, tail, exit);
  }
  if (opts.raised) {
    const r = await raiseHeld(proc);
    opts.log(
      r.raised ? `sut: raised (${r.detail})` : `sut: could not be raised (${r.detail}); it runs at normal priority`,
    );
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
      return awaitReady(proc, spec, readiness, { ...opts, graceMs, where, name });
    },
  };
}

const shownTail = (tail: readonly string[]): string =>
  tail.length ? `; last output:\n  ${tail.join('\n  ')}` : '; no output';

async function awaitReady(
  proc: ManagedProcess,
  spec: SutSpec,
  readiness: Readiness,
  opts: StartSutOptions & { where: string; name: string },
): Promise<SutHandle> {
  const { graceMs, where, name } = opts;
  const timeoutMs = spec.ready?.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const until = { over: false };
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  type Outcome = { kind: 'ready' } | { kind: 'exit'; exit: ProcessExit } | { kind: 'timeout' } | { kind: 'abort' };
  const outcome = await Promise.race<Outcome>([
    waitReady(proc, readiness, until).then(() => ({ kind: 'ready' as const })),
    proc.exited.then((exit) => ({ kind: 'exit' as const, exit })),
    new Promise<Outcome>((r) => {
      timer = setTimeout(() => r({ kind: 'timeout' }), timeoutMs);
    }),
    new Promise<Outcome>((r) => {
      onAbort = () => r({ kind: 'abort' });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  until.over = true;
  clearTimeout(timer);
  if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
  // A SUT that printed its ready line was ready, even if it has exited since (its exit arrives
  // only after its output has drained): what the exit means is the scenario's to judge. Only a
  // port or a delay needs it still running.
  const lineOnly = readiness.port === undefined && readiness.delayMs === undefined;
  const readyByLine = lineOnly && readiness.line?.seen();
  if ((outcome.kind === 'ready' && proc.running()) || (outcome.kind !== 'abort' && readyByLine)) {
    opts.log(proc.running() ? `sut: ready (pid ${proc.pid})` : `sut: ready (pid ${proc.pid}), and it has exited since`);
    return { process: proc, stop: () => proc.stop(graceMs) };
  }

  const exit = await proc.stop(graceMs);
  const tail = proc.output.slice(-TAIL);
  const shown = shownTail(tail);
  if (outcome.kind === 'exit' || outcome.kind === 'ready') {
    // `ip netns exec` reports a failed execvp as exit 255 with this message (ip-netns(8)).
    const execFailed = exit.code === 127 || (exit.code === 255 && tail.some((l) => /exec of ".*" failed/.test(l)));
    if (execFailed) throw new SutError('SUT_SPAWN', `SUT ${name} could not be started${where}${shown}`, tail, exit);
    const waited = readiness.line
      ? `; no line on ${streamWords(readiness.line.ready.stream)} matched /${readiness.line.ready.pattern.source}/`
      : '';
    throw new SutError(
      'SUT_EXITED',
      `SUT ${name} exited before it was ready (${describeExit(exit)})${waited}${shown}`,
      tail,
      exit,
    );
  }
  if (outcome.kind === 'abort') throw new SutError('SUT_ABORTED', `SUT ${name} start aborted; stopped it`, tail, exit);
  const line = readiness.line;
  const what = [
    line && !line.seen() ? `a line on ${streamWords(line.ready.stream)} matching /${line.ready.pattern.source}/` : '',
    readiness.port !== undefined ? `TCP port ${readiness.port} listening` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const unsearched =
    line && line.ready.stream !== 'either'
      ? ` (${line.ready.stream === 'stdout' ? 'stderr' : 'stdout'} was not searched)`
      : '';
  throw new SutError(
    'SUT_NOT_READY',
    `SUT ${name} not ready after ${timeoutMs} ms (waited for ${what || 'readiness'}${unsearched}); stopped it${shown}`,
    tail,
    exit,
  );
}
