/**
 * Names the fault behind the cells of a multicast matrix that differ from the expectation.
 * Pure; unit-tested in test/suites/multicast-explain.test.ts.
 */
import { list } from '../../lib/net/matrix.ts';

export interface SendRowOutcome {
  group: string;
  /** `none` (no IP_MULTICAST_IF) or the chosen segment. */
  chosen: string | undefined;
  reached: string[];
  missed: string[];
  extra: string[];
  defaultRoute: string | undefined;
  ttl: number;
  loopback: boolean;
  /** The "self" column (the sender's own receiver) differed. */
  selfDiff?: { expected: boolean; got: boolean };
  sendError?: string;
}

const IF_OPT = (g: string): string => (g.includes(':') ? 'IPV6_MULTICAST_IF' : 'IP_MULTICAST_IF');
const LOOP_OPT = (g: string): string => (g.includes(':') ? 'IPV6_MULTICAST_LOOP' : 'IP_MULTICAST_LOOP');
const TTL_OPT = (g: string): string => (g.includes(':') ? 'IPV6_MULTICAST_HOPS' : 'IP_MULTICAST_TTL');

export function explainSendRow(o: SendRowOutcome): string {
  const g = o.group;
  if (o.sendError) return `send to ${g}${o.chosen ? ` via ${o.chosen}` : ''} failed: ${o.sendError}`;
  const parts: string[] = [];
  const segMissed = o.missed.filter((s) => s !== 'self');
  const segExtra = o.extra.filter((s) => s !== 'self');
  if (segMissed.length || segExtra.length) {
    if (o.chosen === undefined && segMissed.length && o.reached.filter((s) => s !== 'self').length <= 1) {
      const got = o.reached.filter((s) => s !== 'self');
      const via =
        got[0] === o.defaultRoute && got.length
          ? `${got[0]} only (the default route)`
          : got.length
            ? `${got[0]} only`
            : 'no segment';
      parts.push(
        `multicast to ${g} reached ${via}; ${list(segMissed)} got nothing: the sender set no ${IF_OPT(g)}, so the routing table picked one interface (ip(7)); send once per interface with ${IF_OPT(g)} set`,
      );
    } else if (o.ttl === 0 && segExtra.length) {
      parts.push(
        `multicast to ${g} with ${TTL_OPT(g)} 0 left the host onto ${list(segExtra)}: TTL 0 must keep it on the host`,
      );
    } else if (o.chosen !== undefined && segExtra.length) {
      parts.push(
        `multicast to ${g} with ${IF_OPT(g)}=${o.chosen} also appeared on ${list(segExtra)}: the interface choice was not honoured`,
      );
    } else if (o.chosen !== undefined && segMissed.includes(o.chosen)) {
      parts.push(
        `multicast to ${g} with ${IF_OPT(g)}=${o.chosen} did not reach ${o.chosen}${o.ttl === 0 ? ` (${TTL_OPT(g)} is 0)` : ''}`,
      );
    } else {
      parts.push(
        `multicast to ${g}${o.chosen ? ` via ${o.chosen}` : ' (no interface chosen)'} reached ${list(o.reached) || 'nothing'}${segMissed.length ? `; expected also ${list(segMissed)}` : ''}${segExtra.length ? `; not expected on ${list(segExtra)}` : ''}`,
      );
    }
  }
  if (o.selfDiff) {
    parts.push(
      o.selfDiff.expected
        ? `${LOOP_OPT(g)} is ${o.loopback ? 'on' : 'off'} but the sender's own receiver got no copy`
        : `${LOOP_OPT(g)} is ${o.loopback ? 'on' : 'off'} but the sender's own receiver got a copy${o.loopback ? '' : ': loopback was not disabled'}`,
    );
  }
  return parts.join('; ');
}

export interface ReceiveRowOutcome {
  group: string;
  /** Segment the peer sent from. */
  from: string;
  host: string;
  joined: boolean;
  /** Columns (arrival interfaces at the receiving host) that got it. */
  arrivedOn: string[];
}

export function explainReceiveRow(o: ReceiveRowOutcome): string {
  if (o.arrivedOn.length === 0) {
    return o.joined
      ? `${o.group} sent from ${o.from} never reached ${o.host} although it joined on ${o.from}: receive on that interface is broken`
      : `${o.group} sent from ${o.from} never reached ${o.host}: it did not join ${o.group} on ${o.from} (membership is per interface, ip(7) IP_ADD_MEMBERSHIP)`;
  }
  const wrong = o.arrivedOn.filter((s) => s !== o.from);
  if (wrong.length)
    return `${o.group} sent from ${o.from} was reported arriving on ${list(wrong)}: IP_PKTINFO / IPV6_PKTINFO names the wrong interface or the segments are bridged`;
  return `${o.group} sent from ${o.from} arrived at ${o.host} although it did not join on ${o.from}`;
}
