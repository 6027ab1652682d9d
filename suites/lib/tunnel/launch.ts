/**
 * Starting the tunnel tools (gateway, client, proxy, prober) as tracked processes in lab hosts,
 * and collecting their JSON-line events onto the scenario's timeline.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TimelineEvent, TimelineEvidence } from '../../../harness/model/check.ts';
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ManagedProcess } from '../../../harness/process/types.ts';
import { raisePriority } from '../../../harness/process/priority.ts';
import { epochNowMs, parseEventLine, type ToolEvent, type ToolSource } from './events.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../..');
const MAX_EVENTS = 20_000;

export type Tool = 'gateway' | 'client' | 'proxy' | 'prober';

/**
 * V8 flags for every tool. `--no-memory-reducer`: V8's memory reducer runs extra garbage
 * collections, with concurrent marking threads, once a process has been idle a while after
 * start-up (`--gc-memory-reducer-start-delay-ms`, 8000 by default: `node --v8-options`). In a
 * scaled night that is dark wakes 5-7, and on a busy machine those threads waited for a CPU:
 * 4 loaded runs of three darkwake strategies read 546 ms of client wait over 96 dark wakes,
 * 60 ms at worst, almost all of it in dark wakes 5-7; with the flag, 39 ms, 6 ms at worst. The
 * tools are short-lived stand-ins and instruments, so idle-time collection buys them nothing;
 * a SUT runs as its own command line, untouched.
 */
export const TOOL_NODE_FLAGS = ['--no-memory-reducer'];

/** argv for a tool: this node, with tsx, so the tool is one process (SIGSTOP freezes it whole). */
export function toolArgv(tool: Tool, args: string[]): string[] {
  return [process.execPath, ...TOOL_NODE_FLAGS, '--import', 'tsx', resolve(here, `${tool}.ts`), ...args];
}

/** An event with `t` on the scenario's clock (ms since the attempt started). */
export interface TimedEvent extends ToolEvent {
  t: number;
  /** Which process instance ("gateway", "gateway-hb", "client"). */
  who: string;
}

type Waiter = { pred: (e: TimedEvent) => boolean; resolve: (e: TimedEvent | undefined) => void };

export class EventLog {
  readonly events: TimedEvent[] = [];
  private readonly epochZero: number;
  private waiters: Waiter[] = [];

  constructor(ctx: Pick<ScenarioContext, 'elapsedMs'>) {
    this.epochZero = epochNowMs() - ctx.elapsedMs();
  }

  /** A line from a process; returns the event if it was one. */
  line(who: string, src: ToolSource, line: string): TimedEvent | undefined {
    const e = parseEventLine(line, src === 'sut' ? 'sut' : undefined);
    if (!e) return undefined;
    return this.add({ ...e, src: src === 'sut' ? 'sut' : e.src, t: e.ts - this.epochZero, who });
  }

  add(e: TimedEvent): TimedEvent {
    if (this.events.length < MAX_EVENTS) this.events.push(e);
    for (const w of [...this.waiters]) {
      if (w.pred(e)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(e);
      }
    }
    return e;
  }

  /** First event (already seen or future) matching `pred`, or undefined after `timeoutMs` / abort. */
  waitFor(pred: (e: TimedEvent) => boolean, timeoutMs: number, signal: AbortSignal): Promise<TimedEvent | undefined> {
    const seen = this.events.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolveWait) => {
      const w: Waiter = {
        pred,
        resolve: (e) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolveWait(e);
        },
      };
      const onAbort = (): void => {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(undefined);
      };
      const timer = setTimeout(onAbort, timeoutMs);
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(w);
    });
  }

  /** A mark of the scenario's own on the timeline (e.g. "blackhole"). */
  mark(who: string, event: string, detail?: string): TimedEvent {
    const ts = epochNowMs();
    return this.add({ ts, t: ts - this.epochZero, src: 'harness', who, event, ...(detail ? { detail } : {}) });
  }

  timelineEvidence(title: string, filter: (e: TimedEvent) => boolean = () => true): TimelineEvidence {
    return { kind: 'timeline', title, events: this.timeline((e) => e.event !== 'status' && filter(e)) };
  }

  of(who: string, event?: string): TimedEvent[] {
    return this.events.filter((e) => e.who === who && (event === undefined || e.event === event));
  }

  /** Timeline entries for the report. */
  timeline(filter: (e: TimedEvent) => boolean = () => true): TimelineEvent[] {
    return this.events.filter(filter).map((e) => ({
      t: Math.round(e.t),
      source: e.who,
      event: e.session !== undefined ? `${e.event} #${e.session}` : e.event,
      ...(e.detail ? { detail: e.detail } : {}),
    }));
  }
}

export interface Started {
  proc: ManagedProcess;
  /** The `listening` event's port (gateway, proxy). */
  port?: number;
}

/**
 * Spawns a tool in a lab host; when `readyEvent` is given, waits for it (or for `fatal` /
 * exit, which throw with the tool's last output).
 */
export async function startTool(
  ctx: ScenarioContext,
  log: EventLog,
  o: {
    who: string;
    tool: Tool;
    host: string;
    args: string[];
    readyEvent?: string;
    timeoutMs?: number;
    signal: AbortSignal;
    /**
     * The harness's own helper whose timing is measurement (gateway, prober): its main thread is
     * raised (harness/process/priority.ts) once it is ready. Not before: a thread inherits its
     * creator's nice value, so raised at spawn every thread of the tool (V8's compiler and GC
     * workers, tsx's loader) ran at nice −10, and its start-up took the CPU in 30–60 ms runs
     * (ftrace, one busy loop per core) from everything at normal priority, the client included.
     */
    timely?: boolean;
    /** The tool stands for the program under test (a reference client or proxy): it runs as its host's own program (SpawnOptions.app), so its CPU wait is read from its cgroup. */
    app?: boolean;
  },
): Promise<Started> {
  const proc = ctx.spawn(toolArgv(o.tool, o.args), {
    host: o.host,
    cwd: repoRoot,
    app: o.app,
    onLine: (stream, line) => {
      const e = stream === 'stdout' ? log.line(o.who, o.tool, line) : undefined;
      if (!e) ctx.log(`${o.who} ${stream}: ${line}`);
    },
  });
  const raise = (): void => {
    if (o.timely && proc.pid > 0 && !raisePriority(proc.pid))
      ctx.log(`${o.who}: could not raise its scheduling priority (not root?); its lateness is still measured`);
  };
  if (!o.readyEvent) {
    raise();
    return { proc };
  }
  const ready = o.readyEvent;
  const ev = await Promise.race([
    log.waitFor((e) => e.who === o.who && (e.event === ready || e.event === 'fatal'), o.timeoutMs ?? 15_000, o.signal),
    proc.exited.then(() => undefined),
  ]);
  if (!ev || ev.event === 'fatal') {
    const why = ev?.detail ?? (proc.running() ? `no "${ready}" within ${o.timeoutMs ?? 15_000} ms` : 'it exited');
    await proc.stop(1000);
    throw new Error(
      `${o.who} (${o.tool}) did not start in host ${o.host}: ${why}; output: ${proc.output.slice(-5).join(' | ') || 'none'}`,
    );
  }
  raise();
  return { proc, port: ev.n?.port };
}
