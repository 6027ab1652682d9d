/**
 * From TCP segments on the wire to connections: who connected (SYN), who accepted (SYN-ACK: the
 * kernel's accept; the application's accept() is not visible on the wire), when it was
 * established, who closed it (FIN) or reset it (RST), and payload bytes each way. Pure; the
 * packets come from tcp-capture.ts.
 */

export interface Segment {
  /** Scenario time, ms. */
  t: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** tcpdump's flag letters: S, F, R, P, '.' = ACK (tcpdump(8) "TCP Packets"). */
  flags: string;
  length: number;
}

// "1733090000.123456 IP 198.18.1.2.40000 > 198.18.1.3.47900: Flags [S.], seq 1, ack 2, win 5, length 0"
const LINE =
  /^(\d+\.\d+) IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): Flags \[([^\]]*)\].*?length (\d+)/;

export function parseTcpdumpLine(line: string, epochOffsetMs: number): Segment | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return {
    t: Number(m[1]) * 1000 - epochOffsetMs,
    src: m[2]!,
    sport: Number(m[3]),
    dst: m[4]!,
    dport: Number(m[5]),
    flags: m[6]!,
    length: Number(m[7]),
  };
}

export interface Connection {
  /** "198.18.1.2:40000>198.18.1.3:47900", initiator first. */
  key: string;
  initiator: string;
  responder: string;
  responderPort: number;
  connectAt: number;
  /** The responder answered the SYN with RST: nobody listening yet. */
  refusedAt?: number;
  acceptedAt?: number;
  establishedAt?: number;
  /** First FIN or RST after the handshake, and who sent it. */
  closedAt?: number;
  closedBy?: string;
  closedHow?: 'FIN' | 'RST';
  /** Payload bytes (up to the window's end). */
  bytesFromInitiator: number;
  bytesFromResponder: number;
}

/** A change `ConnectionTracker.add` saw: a connection established or closed (FIN or RST). */
export interface ConnectionChange {
  kind: 'established' | 'closed';
  connection: Connection;
}

/**
 * Connections built one segment at a time, in capture order (a live reader, e.g. a night that
 * waits for the first established connection); `connections` below is the same over a list.
 */
export class ConnectionTracker {
  private readonly byKey = new Map<string, Connection>();

  /** `from`: a SYN before it is not a connection of this window. */
  constructor(private readonly from = -Infinity) {}

  /** Every connection whose SYN was seen, in the order of their SYNs. */
  all(): Connection[] {
    return [...this.byKey.values()];
  }

  /** Takes the next segment; returns what it changed (an ACK with FIN can establish and close). */
  add(s: Segment): ConnectionChange[] {
    const byKey = this.byKey;
    const fwd = `${s.src}:${s.sport}>${s.dst}:${s.dport}`;
    const rev = `${s.dst}:${s.dport}>${s.src}:${s.sport}`;
    const syn = s.flags.includes('S');
    const ack = s.flags.includes('.');
    if (syn && !ack) {
      if (s.t < this.from || byKey.has(fwd)) return []; // a retransmitted SYN is the same connect
      byKey.set(fwd, {
        key: fwd,
        initiator: s.src,
        responder: s.dst,
        responderPort: s.dport,
        connectAt: s.t,
        bytesFromInitiator: 0,
        bytesFromResponder: 0,
      });
      return [];
    }
    const c = byKey.get(fwd) ?? byKey.get(rev);
    if (!c) return [];
    const fromInitiator = s.src === c.initiator && `${s.src}:${s.sport}>${s.dst}:${s.dport}` === c.key;
    if (syn && ack) {
      c.acceptedAt ??= s.t;
      return [];
    }
    if (s.flags.includes('R') && c.establishedAt === undefined) {
      if (!fromInitiator) c.refusedAt ??= s.t;
      return [];
    }
    const changes: ConnectionChange[] = [];
    if (c.acceptedAt !== undefined && c.establishedAt === undefined && fromInitiator && ack) {
      c.establishedAt = s.t;
      changes.push({ kind: 'established', connection: c });
    }
    if (s.length > 0) {
      if (fromInitiator) c.bytesFromInitiator += s.length;
      else c.bytesFromResponder += s.length;
    }
    if ((s.flags.includes('F') || s.flags.includes('R')) && c.closedAt === undefined && c.establishedAt !== undefined) {
      c.closedAt = s.t;
      c.closedBy = s.src;
      c.closedHow = s.flags.includes('R') ? 'RST' : 'FIN';
      changes.push({ kind: 'closed', connection: c });
    }
    return changes;
  }
}

/** Connections whose SYN fell in [from, until], their later packets up to `until`. */
export function connections(segs: readonly Segment[], from: number, until: number): Connection[] {
  const tracker = new ConnectionTracker(from);
  for (const s of segs) if (s.t <= until) tracker.add(s);
  return tracker.all();
}

/** Established by `at` and neither side has sent FIN or RST by then. */
export function openAt(c: Connection, at: number): boolean {
  return c.establishedAt !== undefined && c.establishedAt <= at && (c.closedAt === undefined || c.closedAt > at);
}

/**
 * Keepalive probes (tcp(7)): a bare ACK with no payload sent after the connection was silent
 * both ways for at least KEEPALIVE_SILENCE_MS. TCP_KEEPIDLE is whole seconds (at least 1), and
 * a delayed ACK follows the data it acknowledges within 200 ms (RFC 1122 4.2.3.2 allows 500), so
 * an ACK after that much silence acknowledges nothing new: a probe (or an unanswered probe's
 * repeat; the answer to one follows it at once and is not counted).
 */
export const KEEPALIVE_SILENCE_MS = 900;

/** Bare ACKs sent after KEEPALIVE_SILENCE_MS of silence on their connection, with their sender's address. */
export function keepaliveProbes(segs: readonly Segment[]): Array<{ t: number; from: string; key: string }> {
  const last = new Map<string, number>();
  const out: Array<{ t: number; from: string; key: string }> = [];
  for (const s of segs) {
    const key = [`${s.src}:${s.sport}`, `${s.dst}:${s.dport}`].sort().join('|');
    const prev = last.get(key);
    last.set(key, s.t);
    if (prev !== undefined && s.flags === '.' && s.length === 0 && s.t - prev >= KEEPALIVE_SILENCE_MS)
      out.push({ t: s.t, from: s.src, key });
  }
  return out;
}
