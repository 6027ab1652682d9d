/**
 * Tracked child processes. Each runs in its own process group (execa `detached`, i.e.
 * setsid(2)) so suspend/resume/stop reach the process and everything it forked, via
 * kill(2) with a negative pid. In a lab host it runs as `ip netns exec NS argv…`, which
 * setns(2)es and then execvp(3)s, so the pid we hold is the program's own (ip-netns(8)).
 * Never a shell: argv goes to execve as is.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { netnsExecArgv } from './netns-exec.ts';
import { statFields } from './procfs.ts';
import { LINE_MAX_BYTES, LineSplitter, PROCESS_OUTPUT_MAX_BYTES, TailLines, noCut } from '../util/bounded-lines.ts';
import type { LineListener, ManagedProcess, ProcessExit } from './types.ts';

export interface SpawnManagedOptions {
  /** Network namespace (name under /run/netns) to run in. */
  netns?: string;
  env?: Record<string, string>;
  cwd?: string;
  onLine?: LineListener;
  /**
   * cgroup v2 directory to start the process in (before it runs a single instruction): a lab
   * host's own programs run under its local network policy (harness/lab/local-network.ts).
   */
  cgroup?: string;
  /**
   * Set up but held: everything up to the program's own exec happens now (the fork, the cgroup,
   * `ip netns exec`), then a shell waits on a pipe (`read`) and `release()` lets the program run.
   */
  held?: boolean;
}

/** The last shell before a held program: it waits for one line on stdin, then execs argv as is. */
const HELD_SCRIPT = 'read -r _ && exec "$@"';
const HELD_NAME = 'netconform-held';

/** After exit, how long to wait for the pipes to drain (a grandchild may hold them open). */
const DRAIN_MS = 250;
export const DEFAULT_GRACE_MS = 3_000;

const live = new Map<number, ManagedProcess>();

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  if (pgid <= 0) return;
  try {
    process.kill(-pgid, sig);
  } catch {
    // ESRCH: the group is gone, which is what we wanted.
  }
}

let exitHookInstalled = false;
/**
 * Safety net: if the harness exits without stopping its children (an uncaught error, a
 * signal handler calling process.exit), kill their groups synchronously. execa's own
 * `cleanup` does not apply to detached children.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live.keys()) {
      signalGroup(pid, 'SIGCONT');
      signalGroup(pid, 'SIGKILL');
    }
  });
}

/**
 * Reads one pipe as lines, each cut to LINE_MAX_BYTES (a 50 MB line costs 4 KiB), into the
 * process's bounded `output` (util/bounded-lines.ts): a chatty SUT must not exhaust memory.
 */
function pump(
  stream: Readable | null,
  name: 'stdout' | 'stderr',
  output: TailLines,
  listeners: readonly LineListener[],
): Promise<void> {
  if (!stream) return Promise.resolve();
  return new Promise((resolve) => {
    const lines = new LineSplitter((line, cutBytes) => {
      if (cutBytes > 0) {
        output.cut.cutLines++;
        output.cut.cutBytes += cutBytes;
      }
      output.push(`[${name}] ${line}`);
      // Every listener sees every line as it arrives; `output` is only what the report keeps.
      for (const listener of [...listeners]) {
        try {
          listener(name, line);
        } catch {
          // A faulty listener must not kill the pump or starve the others.
        }
      }
    }, LINE_MAX_BYTES);
    stream.on('data', (chunk: Buffer | string) => lines.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    stream.once('close', () => {
      lines.end();
      resolve();
    });
    stream.once('error', () => {
      lines.end();
      resolve();
    });
  });
}

/**
 * argv that joins the cgroup `dir` and then the namespace: `sh -c 'echo $$ > DIR/cgroup.procs &&
 * exec "$@"' … ip netns exec NS argv…`. The program's argv is passed as positional parameters,
 * never parsed by the shell. Joining happens before `ip netns exec`, which remounts /sys
 * (ip-netns(8)) so the cgroup tree is not reachable from inside; exec keeps the pid and the
 * cgroup. If joining fails the program never starts (sh exits non-zero).
 */
export function argvInCgroup(dir: string, netns: string | undefined, argv: string[]): string[] {
  const inner = netns ? netnsExecArgv(netns, argv) : argv;
  return ['/bin/sh', '-c', 'echo $$ > "$1/cgroup.procs" && shift && exec "$@"', 'netconform-cgroup', dir, ...inner];
}

/**
 * Resolves true once a held process waits at its gate (Linux: its command line is the gate
 * shell's and it sleeps, /proc/PID/cmdline and stat, proc(5)), false if it exits first or not
 * within `timeoutMs`. Elsewhere (no procfs) true at once: a release then also covers the
 * shell's own start.
 */
export async function gateReached(proc: ManagedProcess, timeoutMs = 10_000): Promise<boolean> {
  if (process.platform !== 'linux') return proc.running();
  const until = performance.now() + timeoutMs;
  while (proc.running() && performance.now() < until) {
    try {
      const cmd = readFileSync(`/proc/${proc.pid}/cmdline`, 'utf8').split('\0');
      if (cmd[2] === HELD_SCRIPT && cmd[3] === HELD_NAME && statFields(proc.pid)?.[0] === 'S') return true;
    } catch {
      return false; // it is gone
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  return false;
}

export function spawnManaged(argv: string[], opts: SpawnManagedOptions = {}): ManagedProcess {
  if (argv.length === 0) throw new Error('spawnManaged: empty argv');
  installExitHook();
  const program = opts.held ? ['/bin/sh', '-c', HELD_SCRIPT, HELD_NAME, ...argv] : argv;
  const full = opts.cgroup
    ? argvInCgroup(opts.cgroup, opts.netns, program)
    : opts.netns
      ? netnsExecArgv(opts.netns, program)
      : program;
  const [file, args] = [full[0]!, full.slice(1)];
  const sub = execa(file, args, {
    detached: true,
    // A held program's gate reads its one line here; after the release the pipe is closed, so the
    // program reads end-of-file on stdin, as from /dev/null.
    stdin: opts.held ? 'pipe' : 'ignore',
    buffer: false,
    reject: false,
    env: opts.env,
    cwd: opts.cwd,
    // Output lines are ours to read; keep execa from decoding/stripping anything.
    stripFinalNewline: false,
  });
  const pid = sub.pid ?? -1;
  const output: string[] = [];
  const outputCut = noCut();
  const kept = new TailLines(output, outputCut, PROCESS_OUTPUT_MAX_BYTES);
  const listeners: LineListener[] = opts.onLine ? [opts.onLine] : [];
  const drained = Promise.all([
    pump(sub.stdout, 'stdout', kept, listeners),
    pump(sub.stderr, 'stderr', kept, listeners),
  ]);
  let done = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    const finish = (e: ProcessExit): void => {
      if (done) return;
      done = true;
      live.delete(pid);
      const timer = setTimeout(() => resolve(e), DRAIN_MS);
      void drained.then(() => {
        clearTimeout(timer);
        resolve(e);
      });
    };
    sub.once('exit', (code, signal) => finish({ code, signal }));
    // Spawn failures (ENOENT, EACCES) never emit 'exit'; execa resolves with the error.
    void sub.then((r) => {
      if (r.failed && r.exitCode === undefined && r.signal === undefined) {
        kept.push(`[stderr] cannot start ${argv[0]}: ${r.code ?? r.originalMessage ?? 'spawn failed'}`);
        finish({ code: 127, signal: null });
      } else {
        finish({ code: r.exitCode ?? null, signal: r.signal ?? null });
      }
    });
  });

  const proc: ManagedProcess = {
    pid,
    argv: [...argv],
    ...(opts.cgroup ? { cgroup: opts.cgroup } : {}),
    output,
    outputCut,
    onLine: (listener) => {
      listeners.push(listener);
      return () => {
        const i = listeners.indexOf(listener);
        if (i >= 0) listeners.splice(i, 1);
      };
    },
    exited,
    running: () => !done,
    release: () => {
      if (!opts.held || !sub.stdin || sub.stdin.destroyed) return;
      sub.stdin.on('error', () => undefined); // EPIPE: it died at the gate; its exit says so
      sub.stdin.end('\n');
    },
    suspend: () => {
      if (!done) signalGroup(pid, 'SIGSTOP');
    },
    resume: () => {
      if (!done) signalGroup(pid, 'SIGCONT');
    },
    stop: async (graceMs = DEFAULT_GRACE_MS) => {
      if (!done) {
        // A stopped process cannot act on SIGTERM: continue it first (signal(7)).
        signalGroup(pid, 'SIGCONT');
        signalGroup(pid, 'SIGTERM');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          exited.then(() => false),
          new Promise<boolean>((r) => {
            timer = setTimeout(() => r(true), Math.max(0, graceMs));
          }),
        ]);
        clearTimeout(timer);
        if (timedOut) signalGroup(pid, 'SIGKILL');
      }
      const e = await exited;
      // Whatever the leader left in its group (forked helpers) goes too.
      signalGroup(pid, 'SIGKILL');
      return e;
    },
  };
  if (pid > 0) live.set(pid, proc);
  return proc;
}

/** Live managed processes (for teardown accounting and tests). */
export function liveManaged(): ManagedProcess[] {
  return [...live.values()];
}

/** Stops every live managed process in parallel; for the runner's SIGINT/SIGTERM path. */
export async function stopAllManaged(graceMs = 1_000): Promise<void> {
  await Promise.all([...live.values()].map((p) => p.stop(graceMs)));
}
