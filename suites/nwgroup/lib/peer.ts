/**
 * The two kinds of group peer nwgroup.* puts side by side on one host: a Network framework
 * NWConnectionGroup peer (nw-peer.ts) and a BSD-socket peer (bsd-peer.ts). Both record what
 * a verdict needs — group state over time, each send's completion, every datagram received —
 * so the judging (judge.ts) is pure and can be tested with a fake (test/helpers/nwgroup-fake.ts).
 */
export type PeerKind = 'nw' | 'bsd';

/** The group's state as Network framework names it; BSD peers are `ready` once joined. */
export type GroupState = 'setup' | 'waiting' | 'ready' | 'failed' | 'cancelled' | 'invalid';

export interface StateEvent {
  /** Milliseconds since the exchange started. */
  tMs: number;
  state: GroupState;
  /** "posix 65" (nw_error_t domain and code), or the framework's refusal text. */
  error?: string;
}

export interface SendRecord {
  seq: number;
  /** `pending` until the completion handler ran (BSD: sendto returned). */
  status: 'pending' | 'complete' | 'failed';
  error?: string;
}

export interface PeerOptions {
  group: string;
  port: number;
  /** Interface name the peer must use; undefined: the system's choice (NW) / the first LAN (BSD). */
  iface: string | undefined;
  ttl: number;
}

export interface GroupPeerProbe {
  readonly id: string;
  readonly kind: PeerKind;
  /** Resolves when the group is ready, failed, or `timeoutMs` passed; with the state then. */
  settle(timeoutMs: number, signal: AbortSignal): Promise<GroupState>;
  send(data: Buffer, seq: number): void;
  onMessage(cb: (data: Buffer) => void): void;
  states(): StateEvent[];
  sends(): SendRecord[];
  close(): Promise<void>;
}

export interface PeerFactory {
  /** Why NW peers cannot run here (e.g. "Network framework is macOS-only"), or undefined. */
  nwUnavailable(): string | undefined;
  /** The interface BSD peers and the witness join on (its name, for the reasons). */
  bsdInterface(want: string | undefined): { name: string; index: number } | { problem: string };
  open(kind: PeerKind, id: string, opts: PeerOptions, clock: () => number): GroupPeerProbe;
}

/** Waits for the first of: a state in `done`, the timeout, the abort. */
export function waitForState(
  states: () => StateEvent[],
  subscribe: (wake: () => void) => () => void,
  done: GroupState[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<GroupState> {
  const last = (): GroupState => states().at(-1)?.state ?? 'setup';
  if (done.includes(last())) return Promise.resolve(last());
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', finish);
      resolve(last());
    };
    const timer = setTimeout(finish, timeoutMs);
    const unsubscribe = subscribe(() => {
      if (done.includes(last())) finish();
    });
    signal.addEventListener('abort', finish, { once: true });
  });
}
