/**
 * darkwake.churn against your own gateway: the sessions read from the wire on the gateway's
 * link (suites/lib/net/tcp-capture.ts), not from any program's word. A session is one TCP
 * connection from the client to the gateway's port: its SYN/SYN-ACK/ACK is the handshake, a FIN
 * or RST from the gateway is the gateway's dead-peer decision (`dpd-drop` on the timeline, as
 * the emulator names it), one from the client a `disconnect`. The events go into the night's
 * EventLog as they are captured, so the night starts on the first established connection and
 * countChurn (./churn-count.ts) counts them as it counts the emulator's.
 * Keepalive probes are counted as suites/lib/net/tcp-segments.ts `keepaliveProbes` says.
 */
import type { MatrixEvidence } from '../../../harness/model/check.ts';
import {
  ConnectionTracker,
  keepaliveProbes,
  KEEPALIVE_SILENCE_MS,
  openAt,
  type Connection,
  type Segment,
} from '../../lib/net/tcp-segments.ts';
import type { EventLog } from '../../lib/tunnel/launch.ts';
import type { PhaseMark } from './churn-count.ts';
import type { Phase } from './schedule.ts';

export class WireSessions {
  private readonly tracker = new ConnectionTracker();
  private readonly ids = new Map<string, number>();
  readonly segments: Segment[] = [];

  /**
   * `epochOffsetMs`: epoch ms − scenario ms (EventLog events carry both). `gateway` and `port`:
   * the server's address and port; a connection to anything else is not a session.
   */
  constructor(
    private readonly log: EventLog,
    private readonly epochOffsetMs: number,
    private readonly gateway: { address: string; port: number },
  ) {}

  /** The capture's per-segment callback. */
  readonly onSegment = (s: Segment): void => {
    this.segments.push(s);
    for (const ch of this.tracker.add(s)) {
      const c = ch.connection;
      if (c.responder !== this.gateway.address || c.responderPort !== this.gateway.port) continue;
      if (ch.kind === 'established') {
        const id = this.ids.size + 1;
        this.ids.set(c.key, id);
        this.add(
          c.establishedAt!,
          'handshake',
          id,
          `${c.initiator} → ${c.responder}:${c.responderPort} (SYN, SYN-ACK, ACK on the wire)`,
        );
      } else {
        const id = this.ids.get(c.key);
        if (id === undefined) continue;
        const byGateway = c.closedBy === c.responder;
        this.add(
          c.closedAt!,
          byGateway ? 'dpd-drop' : 'disconnect',
          id,
          `${byGateway ? 'the gateway' : 'the client'} sent ${c.closedHow} (on the wire)`,
        );
      }
    }
  };

  private add(t: number, event: string, session: number, detail: string): void {
    this.log.add({ ts: t + this.epochOffsetMs, t, src: 'gateway', who: 'wire', event, session, detail });
  }

  /** The sessions (connection ids) open at `t`. */
  openAt(t: number): number[] {
    return this.sessions()
      .filter(({ c }) => openAt(c, t))
      .map(({ id }) => id);
  }

  /** Established connections to the gateway with their session ids. */
  sessions(): Array<{ id: number; c: Connection }> {
    return this.tracker.all().flatMap((c) => {
      const id = this.ids.get(c.key);
      return id === undefined ? [] : [{ id, c }];
    });
  }
}

export interface WireWindowInput {
  phases: Phase[];
  marks: PhaseMark[];
  nightEndMs: number;
  sessions: Array<{ id: number; c: Connection }>;
  segments: readonly Segment[];
  gatewayAddress: string;
  /** Dark-wake rows whose new connections exceed it are marked. */
  maxReconnectsPerDarkWake: number;
}

const COLS = [
  'open at start',
  'open at end',
  'new',
  'closed by gateway',
  'closed by client',
  'data segments client → gateway',
  'data segments gateway → client',
  'keepalive probes client / gateway',
];

/**
 * Per phase of the night, what the wire showed: which sessions were open when it began and when
 * it ended (the one that rode through a dark wake is in both), the new ones, who closed which,
 * and the application data and keepalive probes each way.
 */
export function wireMatrix(x: WireWindowInput): MatrixEvidence {
  const probes = keepaliveProbes(x.segments);
  const rows: string[] = [];
  const cells: string[][] = [];
  const mismatches: Array<[number, number]> = [];
  const ids = (list: Array<{ id: number | string }>): string =>
    list.length ? list.map((s) => `#${s.id}`).join(' ') : '–';
  x.marks.forEach((m, i) => {
    const from = m.startMs;
    const to = x.marks[i + 1]?.startMs ?? x.nightEndMs;
    const inside = (t: number | undefined): boolean => t !== undefined && t >= from && t < to;
    const segs = x.segments.filter((s) => inside(s.t) && s.length > 0);
    const fresh = x.sessions.filter(({ c }) => inside(c.establishedAt));
    const closed = x.sessions.filter(({ c }) => inside(c.closedAt));
    const probesIn = probes.filter((p) => inside(p.t));
    const fromGateway = probesIn.filter((p) => p.from === x.gatewayAddress).length;
    rows.push(x.phases[i]?.label ?? m.kind);
    cells.push([
      ids(x.sessions.filter(({ c }) => openAt(c, from))),
      ids(x.sessions.filter(({ c }) => openAt(c, to - 0.001))),
      ids(fresh),
      ids(closed.filter(({ c }) => c.closedBy === c.responder).map(({ id, c }) => ({ id: `${id} (${c.closedHow})` }))),
      ids(closed.filter(({ c }) => c.closedBy !== c.responder).map(({ id, c }) => ({ id: `${id} (${c.closedHow})` }))),
      String(segs.filter((s) => s.dst === x.gatewayAddress).length),
      String(segs.filter((s) => s.src === x.gatewayAddress).length),
      `${probesIn.length - fromGateway} / ${fromGateway}`,
    ]);
    if (m.kind === 'darkwake' && fresh.length > x.maxReconnectsPerDarkWake) mismatches.push([rows.length - 1, 2]);
  });
  return {
    kind: 'matrix',
    title: 'sessions on the wire (gateway link), per phase',
    rowLabel: 'phase',
    colLabel: 'seen on the wire',
    rows,
    cols: COLS,
    cells,
    ...(mismatches.length ? { mismatches } : {}),
    legend:
      '#n = the n-th TCP connection to the gateway (a session); ' +
      `a keepalive probe is a bare ACK after ≥ ${KEEPALIVE_SILENCE_MS} ms of silence on its connection`,
  };
}
