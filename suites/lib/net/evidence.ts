/** Evidence pieces shared by the broadcast, multicast and discovery scenarios. */
import type { TextEvidence } from '../../../harness/model/check.ts';
import type { Arrival } from './arrivals.ts';

const MAX_LINES = 80;

/** One line per datagram: row, sequence, who heard it, arrival interface (index), source → destination (kind). */
export function arrivalsEvidence(title: string, arrivals: Arrival[]): TextEvidence {
  const lines = arrivals
    .slice(0, MAX_LINES)
    .map(
      (a) =>
        `${a.probe.row} #${a.probe.seq} → ${a.listener} on ${a.ifname} (ifindex ${a.ifindex}) from ${a.source} to ${a.destination} (${a.kind})`,
    );
  if (arrivals.length > MAX_LINES) lines.push(`… ${arrivals.length - MAX_LINES} more`);
  if (arrivals.length === 0) lines.push('no datagram arrived anywhere');
  return { kind: 'text', title, text: lines.join('\n') };
}

/** "sendto failed with EACCES" from a NativeError, or the message. */
export function errText(err: unknown): string {
  const e = err as { code?: string; syscall?: string; message?: string };
  return e.code ? `${e.syscall ?? 'syscall'} failed with ${e.code}` : String(e.message ?? err);
}

export function errCode(err: unknown): string {
  return (err as { code?: string }).code ?? 'error';
}
