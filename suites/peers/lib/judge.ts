/**
 * Verdict of one attempt from the observed connections, and the pattern a failure shows. Pure.
 * An attempt passes when exactly `expect.connections` connections are open at the end of the
 * observation, each established at least `holdMs` before it and, with `bidirectional`, having
 * carried payload both ways.
 */
import { openAt, type Connection } from '../../lib/net/tcp-segments.ts';

export interface Side {
  name: string;
  address: string;
}

export interface AttemptJudgement {
  ok: boolean;
  /** Short outcome for the matrix: "ok", "2 established", "0 left", … */
  outcome: string;
  /** The pattern, in words (the failure reason when !ok). */
  pattern: string;
}

export function judgeAttempt(
  conns: Connection[],
  end: number,
  sides: [Side, Side],
  want: { connections: number; holdMs: number; bidirectional: boolean },
): AttemptJudgement {
  const name = (addr: string): string => sides.find((s) => s.address === addr)?.name ?? addr;
  const established = conns.filter((c) => c.establishedAt !== undefined);
  const open = established.filter((c) => openAt(c, end));
  const held = open.filter((c) => end - c.establishedAt! >= want.holdMs);
  const oneWay = held.filter((c) => want.bidirectional && (c.bytesFromInitiator === 0 || c.bytesFromResponder === 0));
  if (open.length === want.connections && held.length === want.connections && oneWay.length === 0) {
    return {
      ok: true,
      outcome: 'ok',
      pattern: `${open.length} established and held (${open.map((c) => `${name(c.initiator)}→${name(c.responder)}`).join(', ') || 'none'})`,
    };
  }
  if (open.length > want.connections) {
    const openers = new Set(open.map((c) => c.initiator));
    if (want.connections === 1 && open.length === 2 && openers.size === 2) {
      return { ok: false, outcome: '2 established', pattern: 'both sides kept their own connection (2 established)' };
    }
    return {
      ok: false,
      outcome: `${open.length} established`,
      pattern: `${open.length} connections established at the end, expected ${want.connections} (${open.map((c) => `${name(c.initiator)}→${name(c.responder)}`).join(', ')})`,
    };
  }
  if (open.length < want.connections) {
    if (established.length === 0) {
      const refused = conns.filter((c) => c.refusedAt !== undefined).length;
      return {
        ok: false,
        outcome: 'never connected',
        pattern: `no connection was ever established (${conns.length} connect(s), ${refused} refused)`,
      };
    }
    const closed = established.filter((c) => !openAt(c, end));
    const byResponder = closed.filter((c) => c.closedBy === c.responder).length;
    const byInitiator = closed.length - byResponder;
    const how =
      closed.length >= 2 && byResponder === closed.length && new Set(closed.map((c) => c.responder)).size === 2
        ? "each side closed the other's as a duplicate"
        : closed.length >= 2 && byInitiator === closed.length && new Set(closed.map((c) => c.initiator)).size === 2
          ? 'each side closed its own connection'
          : `${closed.map((c) => `${name(c.initiator)}→${name(c.responder)} closed by ${name(c.closedBy!)} (${c.closedHow})`).join(', ')}`;
    return { ok: false, outcome: `${open.length} left`, pattern: `${how}: ${open.length} left` };
  }
  const young = open.filter((c) => end - c.establishedAt! < want.holdMs);
  if (young.length) {
    const c = young[0]!;
    return {
      ok: false,
      outcome: 'not held',
      pattern: `the connection ${name(c.initiator)}→${name(c.responder)} was established only ${Math.round(end - c.establishedAt!)} ms before the end of the observation (hold ${want.holdMs} ms): it came late or replaced another`,
    };
  }
  const c = oneWay[0]!;
  const silent = c.bytesFromInitiator === 0 ? name(c.initiator) : name(c.responder);
  return {
    ok: false,
    outcome: 'one-way',
    pattern: `the kept connection ${name(c.initiator)}→${name(c.responder)} carried data one way only: ${silent} sent nothing (${c.bytesFromInitiator}/${c.bytesFromResponder} payload bytes)`,
  };
}

/** "each side closed the other's as a duplicate: 0 left after 3 of 10 attempts (skew 0 ms: 2, 1 ms: 1)". */
export function summarize(failures: Array<{ pattern: string; skewMs: number }>, attempts: number): string {
  const groups = new Map<string, number[]>();
  for (const f of failures) groups.set(f.pattern, [...(groups.get(f.pattern) ?? []), f.skewMs]);
  return [...groups]
    .sort((x, y) => y[1].length - x[1].length)
    .map(([pattern, skews]) => {
      const per = new Map<number, number>();
      for (const s of skews) per.set(s, (per.get(s) ?? 0) + 1);
      return `${pattern} after ${skews.length} of ${attempts} attempts (skew ${[...per].map(([s, n]) => `${s} ms: ${n}`).join(', ')})`;
    })
    .join('; ');
}
