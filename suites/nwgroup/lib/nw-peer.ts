/**
 * A Network framework group peer (native/src/nwgroup_darwin.cc, NWConnectionGroup): states
 * and send completions exactly as the framework reports them. A completion only means the
 * framework processed the message — on macOS 15 without local network permission it reports
 * success while nothing is transmitted (Apple TN3179 "Understanding local network privacy"),
 * which is why nwgroup.peers puts a BSD witness beside it.
 */
import { openNwGroup } from '../../../native/index.ts';
import type { NwError, NwGroupEvent } from '../../../native/types.ts';
import { waitForState, type GroupPeerProbe, type PeerOptions, type SendRecord, type StateEvent } from './peer.ts';

export const errorText = (e: NwError | undefined): string | undefined => (e ? `${e.domain} ${e.code}` : undefined);

export function openNwPeer(id: string, opts: PeerOptions, clock: () => number): GroupPeerProbe {
  const states: StateEvent[] = [{ tMs: clock(), state: 'setup' }];
  const sends = new Map<number, SendRecord>();
  const bySendId = new Map<number, number>();
  const listeners: Array<(d: Buffer) => void> = [];
  const wakers = new Set<() => void>();
  let cancelled: () => void = () => undefined;
  const gone = new Promise<void>((r) => (cancelled = r));

  const onEvent = (e: NwGroupEvent): void => {
    if (e.type === 'state') {
      states.push({ tMs: clock(), state: e.state, error: errorText(e.error) ?? e.detail });
      if (e.state === 'cancelled') cancelled();
      for (const w of wakers) w();
    } else if (e.type === 'sent') {
      const seq = bySendId.get(e.id);
      const rec = seq === undefined ? undefined : sends.get(seq);
      if (rec) {
        rec.status = e.error ? 'failed' : 'complete';
        rec.error = errorText(e.error);
      }
    } else {
      for (const l of listeners) l(e.data);
    }
  };
  const handle = openNwGroup(
    { group: opts.group, port: opts.port, interface: opts.iface, ttl: opts.ttl, loopback: true },
    onEvent,
  );
  handle.start();
  let closed = false;
  return {
    id,
    kind: 'nw',
    settle: (timeoutMs, signal) =>
      waitForState(
        () => states,
        (w) => {
          wakers.add(w);
          return () => wakers.delete(w);
        },
        ['ready', 'failed', 'cancelled'],
        timeoutMs,
        signal,
      ),
    send(data, seq) {
      sends.set(seq, { seq, status: 'pending' });
      bySendId.set(handle.send(data), seq);
    },
    onMessage: (cb) => void listeners.push(cb),
    states: () => states,
    sends: () => [...sends.values()],
    async close() {
      if (closed) return;
      closed = true;
      handle.close();
      // `cancelled` is the framework's last event; bounded so a wedged framework cannot hang teardown.
      await Promise.race([gone, new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}
