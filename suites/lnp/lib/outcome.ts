/**
 * What one probe run says, per kind of traffic: did the send go out (the peer saw it), fail
 * with an errno (denied), or say yes while nothing arrived (silently dropped)? Did receiving
 * work? Pure: classification, expectation per policy, matrix and the reason naming the pattern
 * (unit-tested in test/suites/lnp-logic.test.ts).
 */
import type { LocalNetworkPolicy } from '../../../harness/lab/types.ts';
import type { MatrixEvidence } from '../../../harness/model/check.ts';
import { list } from '../../lib/net/matrix.ts';
import { KIND_LABEL, TRAFFIC_KINDS, type AgentEvent, type TrafficKind } from './plan.ts';

export type SendState = 'allowed' | 'denied' | 'dropped' | 'sent-unconfirmed' | 'not-run';
export type ReceiveState = 'works' | 'nothing' | 'not-measured';

export interface KindOutcome {
  kind: TrafficKind;
  send: SendState;
  /** errno code of a refused send (EHOSTUNREACH on macOS without permission). */
  code?: string;
  sent: number;
  /** Datagrams the peer (a harness instrument) saw; undefined when no peer could watch. */
  peerSaw: number | undefined;
  receive: ReceiveState;
  received: number;
}

/** Classifies the agent's events plus what the peer saw (undefined = no peer to confirm). */
export function outcomes(
  events: AgentEvent[],
  peerSaw: Partial<Record<TrafficKind, number>> | undefined,
  measuredReceive: readonly TrafficKind[],
): KindOutcome[] {
  return TRAFFIC_KINDS.map((kind) => {
    const s = events.find((e): e is Extract<AgentEvent, { event: 'send' }> => e.event === 'send' && e.kind === kind);
    const saw = peerSaw ? (peerSaw[kind] ?? 0) : undefined;
    const received = events.filter((e) => e.event === 'recv' && e.kind === kind).length;
    let send: SendState = 'not-run';
    if (s?.code) send = 'denied';
    else if (s && s.sent > 0) send = saw === undefined ? 'sent-unconfirmed' : saw > 0 ? 'allowed' : 'dropped';
    const receive: ReceiveState = !measuredReceive.includes(kind) ? 'not-measured' : received > 0 ? 'works' : 'nothing';
    return { kind, send, code: s?.code, sent: s?.sent ?? 0, peerSaw: saw, receive, received };
  });
}

export type PolicyName = LocalNetworkPolicy;

/** Whether a send outcome is what the policy makes of it (macOS: denied = EHOSTUNREACH). */
export function sendMatches(o: KindOutcome, policy: PolicyName | 'any'): boolean {
  if (policy === 'any') return true;
  if (policy === 'allowed') return o.send === 'allowed' || o.send === 'sent-unconfirmed';
  if (policy === 'denied') return o.send === 'denied' && o.code === 'EHOSTUNREACH';
  return o.send === 'dropped';
}

export function sendCell(o: KindOutcome): string {
  switch (o.send) {
    case 'allowed':
      return `✓ allowed (peer saw ${o.peerSaw}/${o.sent})`;
    case 'denied':
      return `✗ denied ${o.code}`;
    case 'dropped':
      return `∅ silently dropped (sent ${o.sent}, peer saw 0)`;
    case 'sent-unconfirmed':
      return `✓ sent ${o.sent} (no peer to confirm)`;
    case 'not-run':
      return 'n/a';
  }
}

export function receiveCell(o: KindOutcome): string {
  if (o.receive === 'works') return `✓ received ${o.received}`;
  if (o.receive === 'nothing') return '— nothing';
  return 'n/a';
}

export function outcomeMatrix(
  title: string,
  os: KindOutcome[],
  policy: PolicyName | 'any',
  receiveMustWork: boolean,
): MatrixEvidence {
  const mismatches: Array<[number, number]> = [];
  os.forEach((o, r) => {
    if (o.send !== 'not-run' && !sendMatches(o, policy)) mismatches.push([r, 0]);
    if (receiveMustWork && o.receive === 'nothing') mismatches.push([r, 1]);
  });
  return {
    kind: 'matrix',
    title,
    rowLabel: 'traffic',
    colLabel: 'direction',
    rows: os.map((o) => KIND_LABEL[o.kind]),
    cols: ['send', 'receive'],
    cells: os.map((o) => [sendCell(o), receiveCell(o)]),
    mismatches,
    legend: `expected sends: ${policy === 'any' ? 'anything (report only)' : policy === 'silent' ? 'silently dropped' : policy === 'denied' ? 'denied with EHOSTUNREACH' : 'allowed'}; receiving must ${receiveMustWork ? 'work' : 'not be checked'}`,
  };
}

const labels = (os: KindOutcome[]): string => list(os.map((o) => KIND_LABEL[o.kind]));

/**
 * The pattern, in words: e.g. "multicast v4 send denied (EHOSTUNREACH) while receive works:
 * local network privacy denies this process". `who` names the process or host; `hint` says
 * what to do (macOS: grant, or sudo on a macos-15 runner).
 */
export function describePattern(os: KindOutcome[], who: string, hint: string): string {
  const denied = os.filter((o) => o.send === 'denied');
  const dropped = os.filter((o) => o.send === 'dropped');
  const ok = os.filter((o) => o.send === 'allowed' || o.send === 'sent-unconfirmed');
  const recvWorks = os.filter((o) => o.receive === 'works');
  const recvNothing = os.filter((o) => o.receive === 'nothing');
  const recv =
    recvWorks.length && !recvNothing.length
      ? ' while receive works'
      : recvNothing.length
        ? `; receiving got nothing for ${labels(recvNothing)}`
        : '';
  const parts: string[] = [];
  if (denied.length) {
    const codes = [...new Set(denied.map((o) => o.code))].join('/');
    parts.push(`${labels(denied)} send denied (${codes})${recv}: local network privacy denies ${who}`);
  }
  if (dropped.length)
    parts.push(
      `${labels(dropped)} send said yes but the peer saw nothing (silently dropped)${denied.length ? '' : recv}: ${who} cannot reach the local network and is not told`,
    );
  if (!denied.length && !dropped.length)
    parts.push(
      `${ok.length ? `${labels(ok)} sends went out` : 'nothing was sent'}${recv}: ${who} may use the local network`,
    );
  return `${parts.join('; ')}${(denied.length || dropped.length) && hint ? `; ${hint}` : ''}`;
}
