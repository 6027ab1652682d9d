/**
 * The observer: tcpdump inside one host's namespace, on its interface to the other, printing
 * every TCP segment between the two addresses (peers.symmetric-connect, darkwake.churn with your
 * own gateway, keepalive.honoured with your own client). Chosen over polling `ss` because a connection the
 * SUT opens and closes within a poll interval (a close-both SUT does so within a millisecond) would
 * never be seen by a poll; the wire shows every SYN, SYN-ACK, FIN, RST and payload length, so
 * connects, accepts, closes and bytes each way come from the packets, not from the SUT's word.
 * tcpdump(8): -tt epoch timestamps, -n no names, -l line-buffered, --immediate-mode no batching,
 * -S absolute sequence numbers (not needed, keeps lines stable).
 */
import type { ScenarioContext } from '../../../harness/model/scenario.ts';
import type { ManagedProcess } from '../../../harness/process/types.ts';
import { waitUntil } from './timing.ts';
import { parseTcpdumpLine, type Segment } from './tcp-segments.ts';

export interface Capture {
  readonly segments: Segment[];
  /** Lines tcpdump printed that are not TCP segments between the pair (for the report). */
  readonly unparsed: string[];
  readonly process: ManagedProcess;
  stop(): Promise<void>;
}

export class CaptureError extends Error {
  override readonly name = 'CaptureError';
  constructor(
    readonly code: 'CAPTURE_NOT_STARTED',
    message: string,
  ) {
    super(message);
  }
}

export interface CaptureOptions {
  /** Only segments to or from this TCP port (e.g. the server's). */
  port?: number;
  /** Called with every segment as tcpdump prints it (a live reader). */
  onSegment?: (s: Segment) => void;
}

/** Starts tcpdump in `host` on `iface` for TCP between `a` and `b`; resolves once it is listening. */
export async function startCapture(
  ctx: ScenarioContext,
  host: string,
  iface: string,
  a: string,
  b: string,
  signal: AbortSignal,
  o: CaptureOptions = {},
): Promise<Capture> {
  const segments: Segment[] = [];
  const unparsed: string[] = [];
  // Scenario time = epoch ms − this offset (tcpdump stamps in epoch seconds).
  const offset = Date.now() - ctx.elapsedMs();
  const proc = ctx.spawn(
    [
      'tcpdump',
      '-i',
      iface,
      '-n',
      '-l',
      '-tt',
      '-S',
      '--immediate-mode',
      `tcp and host ${a} and host ${b}${o.port === undefined ? '' : ` and port ${o.port}`}`,
    ],
    {
      host,
      onLine: (stream, line) => {
        if (stream !== 'stdout') return;
        const s = parseTcpdumpLine(line, offset);
        if (s) {
          segments.push(s);
          o.onSegment?.(s);
        } else if (unparsed.length < 50) unparsed.push(line);
      },
    },
  );
  const listening = (): boolean => proc.output.some((l) => l.startsWith('[stderr] ') && l.includes('listening on'));
  await waitUntil(() => listening() || !proc.running(), 10_000, signal);
  if (!listening()) {
    await proc.stop(500);
    throw new CaptureError(
      'CAPTURE_NOT_STARTED',
      `tcpdump did not start in ${host} on ${iface}: ${proc.output.slice(-5).join(' | ') || 'no output'}`,
    );
  }
  return {
    segments,
    unparsed,
    process: proc,
    stop: async () => {
      await proc.stop(1000);
    },
  };
}
