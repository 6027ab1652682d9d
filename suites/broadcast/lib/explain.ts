/**
 * Turns the cells of the broadcast matrix that differ from the expectation into one sentence
 * that names the fault. Pure (unit-tested in test/suites/broadcast-explain.test.ts).
 */
import { list } from '../../lib/net/matrix.ts';

/** The send modes, in the order broadcast.reach runs them. */
export const MODES = ['unbound', 'bound', 'directed'] as const;
export type Mode = (typeof MODES)[number];

export interface RowOutcome {
  row: string;
  mode: Mode;
  /** Segment the row is tied to (bound / directed). */
  own?: string;
  /** Destination address of the row. */
  dest: string;
  reached: string[];
  missed: string[];
  extra: string[];
  sendError?: string;
}

/** One sentence per differing row. `defaultRoute` = where the kernel routes 255.255.255.255. */
export function explainRow(o: RowOutcome, defaultRoute: string | undefined): string {
  const dr = defaultRoute ? `${defaultRoute}, the default route` : 'no default route';
  if (o.sendError) {
    if (o.mode === 'unbound' && /ENETUNREACH/.test(o.sendError)) {
      return `all-hosts broadcast was not sent (${o.sendError}): with no default route an unbound send to 255.255.255.255 has nowhere to go; bind one socket per interface`;
    }
    if (/EACCES/.test(o.sendError)) return `${o.row}: ${o.sendError}: the socket lacks SO_BROADCAST (socket(7))`;
    return `${o.row}: ${o.sendError}`;
  }
  switch (o.mode) {
    case 'unbound':
      if (o.missed.length && o.reached.length === 1 && o.reached[0] === defaultRoute) {
        return `all-hosts broadcast left only via ${dr}; bind one socket per interface to reach ${list(o.missed)}`;
      }
      if (o.missed.length && o.reached.length === 0)
        return `all-hosts broadcast reached no segment (expected ${list(o.missed)}; ${dr})`;
      if (o.extra.length && !o.missed.length) {
        return `all-hosts broadcast reached ${list(o.reached)}, not only ${dr}: the kernel sent 255.255.255.255 on more than the routed interface`;
      }
      break;
    case 'bound':
      if (o.extra.length)
        return `a send bound to ${o.own} (SO_BINDTODEVICE / IP_BOUND_IF) also appeared on ${list(o.extra)}: the interface binding was not honoured`;
      if (o.missed.includes(o.own ?? ''))
        return `a send bound to ${o.own} did not reach ${o.own}: the bound interface did not carry the broadcast`;
      break;
    case 'directed':
      if (o.extra.length)
        return `directed broadcast to ${o.dest} leaked onto ${list(o.extra)}: subnet broadcasts must stay on their own segment (RFC 922, RFC 2644)`;
      if (o.missed.includes(o.own ?? ''))
        return `directed broadcast to ${o.dest} did not reach ${o.own}: wrong prefix or broadcast address for that interface`;
      break;
  }
  const parts = [`${o.row} reached ${o.reached.length ? list(o.reached) : 'nothing'}`];
  if (o.missed.length) parts.push(`expected also ${list(o.missed)}`);
  if (o.extra.length) parts.push(`not expected on ${list(o.extra)}`);
  return parts.join('; ');
}
