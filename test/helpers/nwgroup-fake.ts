/**
 * A fake PeerFactory for nwgroup.* logic tests on Linux: an in-memory group where every send
 * of a delivering peer reaches every other ready member (the witness included), with the NW
 * failure modes from the field reproduced on the NW peers only.
 */
import type {
  GroupPeerProbe,
  GroupState,
  PeerFactory,
  PeerKind,
  SendRecord,
  StateEvent,
} from '../../suites/nwgroup/lib/peer.ts';

export type FakeMode =
  | 'healthy'
  /** The framework completes every NW send; nothing is transmitted (local network privacy, TN3179). */
  | 'sends-complete-nothing-arrives'
  /** NW groups stay `waiting` (no usable path). */
  | 'never-ready'
  /** NW peers hear the group; their sends fail (posix 65 EHOSTUNREACH). */
  | 'receive-only';

export function fakeFactory(mode: FakeMode, iface = 'fake0'): PeerFactory {
  const members: Array<{ p: GroupPeerProbe; deliver: (d: Buffer) => void }> = [];
  const isReady = (p: GroupPeerProbe): boolean => p.states().at(-1)?.state === 'ready';
  return {
    nwUnavailable: () => undefined,
    bsdInterface: () => ({ name: iface, index: 7 }),
    open(kind: PeerKind, id, _opts, clock) {
      const states: StateEvent[] = [{ tMs: clock(), state: 'setup' }];
      const sends: SendRecord[] = [];
      const listeners: Array<(d: Buffer) => void> = [];
      const nw = kind === 'nw';
      if (nw && mode === 'never-ready') states.push({ tMs: clock(), state: 'waiting', error: 'posix 50' });
      else states.push({ tMs: clock(), state: 'ready' });
      const p: GroupPeerProbe = {
        id,
        kind,
        settle: async (): Promise<GroupState> => states.at(-1)!.state,
        send(data, seq) {
          if (nw && mode === 'receive-only') return void sends.push({ seq, status: 'failed', error: 'posix 65' });
          sends.push({ seq, status: 'complete' });
          if (nw && mode === 'sends-complete-nothing-arrives') return;
          for (const m of members) if (m.p !== p && isReady(m.p)) setImmediate(() => m.deliver(data));
        },
        onMessage: (cb) => void listeners.push(cb),
        states: () => states,
        sends: () => sends,
        close: async () => {
          if (states.at(-1)!.state !== 'cancelled') states.push({ tMs: clock(), state: 'cancelled' });
        },
      };
      members.push({ p, deliver: (d) => listeners.forEach((l) => l(d)) });
      return p;
    },
  };
}
