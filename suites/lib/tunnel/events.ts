/**
 * The line protocol between the tunnel tools (gateway, client, proxy, prober: separate
 * processes in lab hosts) and the scenario: one JSON object per stdout line. Timestamps are
 * epoch milliseconds (performance.timeOrigin + performance.now(), sub-millisecond), so events
 * from different processes on this machine share one clock; the scenario maps them onto its
 * own timeline. Lines that are not events (a SUT's own logging) are ignored.
 */

/** `harness` marks are the scenario's own (a blackhole, a probe); tools never claim it. */
export type ToolSource = 'gateway' | 'client' | 'proxy' | 'prober' | 'tls-server' | 'sut' | 'harness';

export interface ToolEvent {
  /** Epoch milliseconds when it happened, in the emitting process. */
  ts: number;
  src: ToolSource;
  event: string;
  /** Gateway session id (one per handshake) where it applies. */
  session?: number;
  detail?: string;
  /** Numeric facts (ms, counts, applied keepalive values). */
  n?: Record<string, number>;
}

export function epochNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Writes one event line on stdout (used by the tool processes). */
export function emitEvent(src: ToolSource, event: string, extra: Omit<ToolEvent, 'ts' | 'src' | 'event'> = {}): void {
  const e: ToolEvent = { ts: epochNowMs(), src, event, ...extra };
  process.stdout.write(`${JSON.stringify(e)}\n`);
}

const SOURCES = new Set<string>(['gateway', 'client', 'proxy', 'prober', 'tls-server', 'sut']);

/** Parses a line into an event; undefined for anything else (never throws). */
export function parseEventLine(line: string, fallbackSrc?: ToolSource): ToolEvent | undefined {
  const s = line.trim();
  if (!s.startsWith('{')) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o.event !== 'string') return undefined;
  const src = typeof o.src === 'string' && SOURCES.has(o.src) ? (o.src as ToolSource) : fallbackSrc;
  if (!src) return undefined;
  const e: ToolEvent = { ts: typeof o.ts === 'number' ? o.ts : epochNowMs(), src, event: o.event };
  if (typeof o.session === 'number') e.session = o.session;
  if (typeof o.detail === 'string') e.detail = o.detail;
  if (typeof o.n === 'object' && o.n !== null) {
    const n: Record<string, number> = {};
    for (const [k, x] of Object.entries(o.n as Record<string, unknown>)) if (typeof x === 'number') n[k] = x;
    e.n = n;
  }
  return e;
}

/** Minimal `--key value` / `--flag` parser for the tool processes (no dependency, no shell). */
export function parseArgs(argv: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const next = argv[i + 1];
    if (next === undefined || next.startsWith('--')) out.set(a.slice(2), 'true');
    else {
      out.set(a.slice(2), next);
      i++;
    }
  }
  return out;
}

export function numArg(args: Map<string, string>, key: string, dflt: number): number {
  const v = args.get(key);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${key} must be a non-negative number, got ${v}`);
  return n;
}

/** "idle,interval,count" in seconds (tcp(7) TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT). */
export function keepaliveArg(
  v: string | undefined,
): { idleSec: number; intervalSec: number; count: number } | undefined {
  if (v === undefined) return undefined;
  const [idleSec, intervalSec, count] = v.split(',').map(Number);
  if (![idleSec, intervalSec, count].every((x) => Number.isInteger(x) && x! > 0))
    throw new Error(`--keepalive wants idle,interval,count (positive integers), got ${v}`);
  return { idleSec: idleSec!, intervalSec: intervalSec!, count: count! };
}
