/**
 * The send-safety rule, the one implementation (harness/README.md "The safety rule"). Every
 * send, connect and TLS dial in the harness, the suites and the tunnel tools asks this module
 * first; anything it refuses throws before a socket sees the address, so a bug in a scenario
 * or a typo in a profile cannot spray a real network.
 *
 * Where it lives: harness/net/ sits with lab/, native/ and process/ at the bottom of the
 * import graph (it imports only node:net), so the runner, the lab, the suites and the tunnel
 * tools (separate processes) can all import it without an upward import.
 *
 * Arithmetic is exact: an address is validated by node:net isIP (inet_pton rules) and then
 * turned into a 32-bit number or a 128-bit bigint; a range is a (base, length) pair. No
 * string prefixes. IPv4-mapped IPv6 (::ffff:a.b.c.d, RFC 4291 §2.5.5.2) is judged as the IPv4
 * address it carries, because that is where a dual-stack socket sends it.
 *
 * What may be sent to depends on where the sending socket is (`SendFrom`):
 *
 * | destination                                    | lab | loopback | host | host + --allow-host-network |
 * | ---------------------------------------------- | --- | -------- | ---- | --------------------------- |
 * | loopback 127.0.0.0/8, ::1                      | yes | yes      | yes  | yes |
 * | lab unicast 198.18.0.0/15 (RFC 2544, with its directed broadcasts), 2001:2::/48 (RFC 5180) | yes | yes | yes | yes |
 * | interface-local multicast ff01::/16 (never leaves the node, RFC 4291 §2.7) | yes | yes | yes | yes |
 * | limited broadcast 255.255.255.255 (RFC 919 §7) | yes | yes      | no   | yes |
 * | link-local unicast 169.254.0.0/16 (RFC 3927), fe80::/10 (RFC 4291 §2.5.6) | yes | no | no | yes |
 * | multicast 224.0.0.0/24 (local network control, RFC 5771 §4), 239.0.0.0/8 (administratively scoped, RFC 2365); IPv6 scopes 2 link, 3 realm, 4 admin, 5 site (RFC 4291 §2.7, RFC 7346) | yes | no | no | yes |
 * | every other multicast (224.0.1.0–238.255.255.255, IPv6 scope 8 organisation, e global, reserved/unassigned scopes) | no | no | no | no |
 * | everything else (private ranges, public, unspecified, ULA, documentation, …) | no | no | no | no |
 *
 * `loopback` means a host socket bound to a loopback source address: Linux routes a limited
 * broadcast from a socket bound to 127.0.0.1 out of `lo` (ip_route_output: with a source and
 * no interface, a broadcast goes out of the source's device), so it cannot reach a real link.
 * `host` is this host's namespace; the runner only lets a scenario send there (no lab) with
 * --allow-host-network, and link-scoped destinations (which reach the real LAN) need that
 * flag here too. Lab unicast is allowed from anywhere: the harness only ever assigns those
 * ranges inside the namespaces a run creates, and no real network uses them.
 * A `%zone` is accepted only on link-local unicast and on interface- or link-local multicast.
 */
import { isIP } from 'node:net';

/** Where the sending socket lives. */
export type SendWhere = 'lab' | 'loopback' | 'host';

export interface SendFrom {
  /** lab: a namespace this run created; loopback: this host, bound to a loopback source; host: this host. */
  where: SendWhere;
  /** The run has --allow-host-network (consulted only for `host`). */
  allowHostNetwork?: boolean;
}

/** Tools that only dial unicast (tunnel gateway/client/proxy/prober, TLS cert): loopback and lab unicast. */
export const UNICAST_ONLY: SendFrom = { where: 'host', allowHostNetwork: false };

export type DestinationKind =
  | 'loopback'
  | 'lab'
  | 'interface-local multicast'
  | 'limited broadcast'
  | 'link-local'
  | 'scoped multicast';

export type SafetyCode = 'ERR_UNSAFE_DESTINATION' | 'ERR_INVALID_DESTINATION';

export class UnsafeDestinationError extends Error {
  readonly code: SafetyCode;
  readonly address: string;
  constructor(code: SafetyCode, address: string, why: string, verb = 'send to') {
    super(`refusing to ${verb} ${printable(address)}: ${why}`);
    this.name = 'UnsafeDestinationError';
    this.code = code;
    this.address = address;
  }
}

/** An address as numbers: IPv4 (mapped IPv6 included) as 32 bits, IPv6 as 128 bits. */
export type ParsedAddress =
  | { family: 4; n: number; mapped: boolean; zone: undefined }
  | { family: 6; n: bigint; zone: string | undefined };

interface Range4 {
  base: number;
  len: number;
  name: string;
}
interface Range6 {
  base: bigint;
  len: number;
  name: string;
}

/** Terminal-safe text of an untrusted string for an error message. */
function printable(s: string): string {
  const t = JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
  return /^"[0-9a-fA-F.:%\w-]*"$/.test(t) ? t.slice(1, -1) : t;
}

function v4ToNumber(s: string): number {
  const p = s.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

/** Groups of a valid (isIP === 6, zone removed) IPv6 literal as one 128-bit number. */
function v6ToBigint(s: string): bigint {
  let text = s;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // Dotted-quad tail (RFC 4291 §2.2 form 3): two groups.
    const v4 = v4ToNumber(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(parseInt(g, 16));
  return n;
}

const ZONE = /^[A-Za-z0-9_.-]{1,15}$/; // an interface name (IFNAMSIZ − 1) or index

/** Parses an IP literal; throws ERR_INVALID_DESTINATION for anything else (hostnames included). */
export function parseAddress(address: unknown): ParsedAddress {
  if (typeof address !== 'string')
    throw new UnsafeDestinationError('ERR_INVALID_DESTINATION', String(address), `not a string (${typeof address})`);
  const pct = address.indexOf('%');
  const bare = pct < 0 ? address : address.slice(0, pct);
  const zone = pct < 0 ? undefined : address.slice(pct + 1);
  const family = isIP(bare);
  if (family === 0) {
    const hostname =
      /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/.test(
        address,
      ) && !/^[\d.]+$/.test(address);
    throw new UnsafeDestinationError(
      'ERR_INVALID_DESTINATION',
      address,
      hostname
        ? 'a hostname; only IP literals are checked and sent to (a name could resolve anywhere)'
        : 'not an IPv4 or IPv6 literal',
    );
  }
  if (zone !== undefined && (family === 4 || !ZONE.test(zone))) {
    throw new UnsafeDestinationError(
      'ERR_INVALID_DESTINATION',
      address,
      family === 4 ? 'an IPv4 address has no %zone' : 'the %zone must be an interface name or index',
    );
  }
  if (family === 4) return { family: 4, n: v4ToNumber(bare), mapped: false, zone: undefined };
  const n = v6ToBigint(bare);
  if (n >> 32n === 0xffffn) {
    if (zone !== undefined)
      throw new UnsafeDestinationError('ERR_INVALID_DESTINATION', address, 'an IPv4-mapped address has no %zone');
    return { family: 4, n: Number(n & 0xffffffffn), mapped: true, zone: undefined };
  }
  return { family: 6, n, zone };
}

function r4(cidr: string, name: string): Range4 {
  const [a, l] = cidr.split('/') as [string, string];
  return { base: v4ToNumber(a), len: Number(l), name };
}
function r6(cidr: string, name: string): Range6 {
  const [a, l] = cidr.split('/') as [string, string];
  return { base: v6ToBigint(a), len: Number(l), name };
}
function in4(r: Range4, n: number): boolean {
  return r.len === 0 || n >>> (32 - r.len) === r.base >>> (32 - r.len);
}
function in6(r: Range6, n: bigint): boolean {
  const shift = BigInt(128 - r.len);
  return n >> shift === r.base >> shift;
}

/** The lab ranges (RFC 2544 benchmarking, RFC 5180): the lab allocator takes its prefixes from them. */
export const LAB_V4_CIDR = '198.18.0.0/15';
export const LAB_V6_CIDR = '2001:2::/48';
/** Schema pattern for an IPv4 address/prefix inside LAB_V4_CIDR (198.18.x.y or 198.19.x.y). */
export const LAB_CIDR4_PATTERN = '^198\\.1[89]\\.[0-9]{1,3}\\.[0-9]{1,3}/[0-9]{1,2}$';
const LAB_V4 = r4(LAB_V4_CIDR, `lab ${LAB_V4_CIDR}`);
const LAB_V6 = r6(LAB_V6_CIDR, `lab ${LAB_V6_CIDR}`);
const LOOPBACK_V4 = r4('127.0.0.0/8', 'loopback');
const LINK_LOCAL_V4 = r4('169.254.0.0/16', 'link-local');
const LOCAL_CONTROL_V4 = r4('224.0.0.0/24', 'local network control multicast');
const ADMIN_SCOPED_V4 = r4('239.0.0.0/8', 'administratively scoped multicast');
const MULTICAST_V4 = r4('224.0.0.0/4', 'multicast');
const LINK_LOCAL_V6 = r6('fe80::/10', 'link-local');
const MULTICAST_V6 = r6('ff00::/8', 'multicast');
const LIMITED_BROADCAST = 0xffffffff;

/** Names for refused ranges, so an error says what the address is (RFC 6890 registry). */
const REFUSED4: Range4[] = [
  r4('0.0.0.0/8', 'unspecified / "this network" (RFC 791)'),
  r4('10.0.0.0/8', 'a private range (10.0.0.0/8, RFC 1918)'),
  r4('172.16.0.0/12', 'a private range (172.16.0.0/12, RFC 1918)'),
  r4('192.168.0.0/16', 'a private range (192.168.0.0/16, RFC 1918)'),
  r4('100.64.0.0/10', 'shared address space (100.64.0.0/10, RFC 6598)'),
  r4('192.0.2.0/24', 'documentation (RFC 5737)'),
  r4('198.51.100.0/24', 'documentation (RFC 5737)'),
  r4('203.0.113.0/24', 'documentation (RFC 5737)'),
  r4('240.0.0.0/4', 'reserved (240.0.0.0/4)'),
];
const REFUSED6: Range6[] = [
  r6('::/128', 'unspecified (::)'),
  r6('fc00::/7', 'unique local (fc00::/7, RFC 4193), a private range'),
  r6('fec0::/10', 'deprecated site-local (fec0::/10, RFC 3879)'),
  r6('2001:db8::/32', 'documentation (RFC 3849)'),
  r6('2001:2::/32', 'outside 2001:2::/48, the only part of 2001:2:: that is the benchmarking block (RFC 5180)'),
  r6('2001::/23', 'IETF protocol assignments (2001::/23)'),
];

/** IPv6 multicast scope (low nibble of the second byte, RFC 4291 §2.7). */
function v6Scope(n: bigint): number {
  return Number((n >> 112n) & 0xfn);
}

const V6_SCOPE_NAMES: Record<number, string> = {
  1: 'interface-local',
  2: 'link-local',
  3: 'realm-local',
  4: 'admin-local',
  5: 'site-local',
  8: 'organization-local',
  14: 'global',
};

interface Classified {
  kind?: DestinationKind;
  /** For refused addresses: what it is. */
  what: string;
}

function classify(a: ParsedAddress): Classified {
  if (a.family === 4) {
    const n = a.n;
    if (in4(LOOPBACK_V4, n)) return { kind: 'loopback', what: 'loopback' };
    if (in4(LAB_V4, n)) return { kind: 'lab', what: LAB_V4.name };
    if (n === LIMITED_BROADCAST) return { kind: 'limited broadcast', what: 'the limited broadcast' };
    if (in4(LINK_LOCAL_V4, n)) return { kind: 'link-local', what: 'IPv4 link-local (169.254.0.0/16)' };
    if (in4(LOCAL_CONTROL_V4, n))
      return { kind: 'scoped multicast', what: 'local network control multicast (224.0.0.0/24)' };
    if (in4(ADMIN_SCOPED_V4, n))
      return { kind: 'scoped multicast', what: 'administratively scoped multicast (239.0.0.0/8)' };
    if (in4(MULTICAST_V4, n))
      return {
        what: 'multicast beyond the local and administratively scoped blocks (only 224.0.0.0/24 and 239.0.0.0/8 are allowed)',
      };
    const named = REFUSED4.find((r) => in4(r, n));
    return { what: named?.name ?? 'outside the lab and loopback ranges' };
  }
  const n = a.n;
  if (n === 1n) return { kind: 'loopback', what: 'loopback' };
  if (in6(LAB_V6, n)) return { kind: 'lab', what: LAB_V6.name };
  if (in6(LINK_LOCAL_V6, n)) return { kind: 'link-local', what: 'IPv6 link-local (fe80::/10)' };
  if (in6(MULTICAST_V6, n)) {
    const scope = v6Scope(n);
    const name = V6_SCOPE_NAMES[scope] ?? `reserved/unassigned scope ${scope.toString(16)}`;
    if (scope === 1) return { kind: 'interface-local multicast', what: 'interface-local multicast (ff01::/16)' };
    if (scope >= 2 && scope <= 5) return { kind: 'scoped multicast', what: `${name} multicast` };
    return { what: `${name} multicast (only scopes 1–5, interface- to site-local, are allowed)` };
  }
  const named = REFUSED6.find((r) => in6(r, n));
  return { what: named?.name ?? 'outside the lab and loopback ranges' };
}

const RULE =
  'allowed: loopback and the lab ranges (198.18.0.0/15, 2001:2::/48) from anywhere; link-local, scoped multicast and 255.255.255.255 inside a lab (harness/README.md "The safety rule")';

const ZONED_KINDS = new Set<DestinationKind>(['link-local', 'interface-local multicast']);

function allowedFrom(kind: DestinationKind, from: SendFrom): boolean {
  switch (kind) {
    case 'loopback':
    case 'lab':
    case 'interface-local multicast':
      return true;
    case 'limited broadcast':
      return from.where !== 'host' || from.allowHostNetwork === true;
    case 'link-local':
    case 'scoped multicast':
      return from.where === 'lab' || (from.where === 'host' && from.allowHostNetwork === true);
  }
}

function whereText(from: SendFrom): string {
  if (from.where === 'lab') return 'from a lab host';
  if (from.where === 'loopback') return 'from a socket bound to loopback';
  return 'from this host without --allow-host-network (it would reach the real network)';
}

/**
 * Why `address` may be sent to from `from`, or throws UnsafeDestinationError:
 * code ERR_INVALID_DESTINATION for anything that is not an IP literal (hostnames, garbage,
 * a misplaced %zone), ERR_UNSAFE_DESTINATION for an address the rule refuses.
 */
export function assertSafeDestination(address: string, from: SendFrom): DestinationKind {
  const a = parseAddress(address);
  const c = classify(a);
  if (a.family === 6 && a.zone !== undefined) {
    const linkScopedMulticast = c.kind === 'scoped multicast' && v6Scope(a.n) === 2;
    if (!(c.kind && (ZONED_KINDS.has(c.kind) || linkScopedMulticast))) {
      throw new UnsafeDestinationError(
        'ERR_INVALID_DESTINATION',
        address,
        'a %zone goes only with a link-local address or an interface-/link-local group',
      );
    }
  }
  if (!c.kind) throw new UnsafeDestinationError('ERR_UNSAFE_DESTINATION', address, `${c.what}; ${RULE}`);
  if (!allowedFrom(c.kind, from))
    throw new UnsafeDestinationError(
      'ERR_UNSAFE_DESTINATION',
      address,
      `${c.what} is not allowed ${whereText(from)}; ${RULE}`,
    );
  return c.kind;
}

const OCTET = '(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
/**
 * JSON Schema patterns for a scenario's multicast group parameter, so a group the rule would
 * refuse in a lab is refused at validate with file:line:col (the rule itself still runs before
 * every send). IPv4: 224.0.0.0/24 and 239.0.0.0/8; IPv6: scopes 1–5 (ffXS, S = 1…5).
 */
export const GROUP4_PATTERN = `^(224\\.0\\.0\\.${OCTET}|239(\\.${OCTET}){3})$`;
export const GROUP6_PATTERN = '^[fF][fF][0-9a-fA-F][1-5]:[0-9a-fA-F:]*$';

/** True when `address` may be sent to from `from` (never throws). */
export function isSafeDestination(address: string, from: SendFrom): boolean {
  try {
    assertSafeDestination(address, from);
    return true;
  } catch {
    return false;
  }
}

/** True for an address inside the lab ranges (198.18.0.0/15, 2001:2::/48), mapped IPv4 included. */
export function isLabAddress(address: string): boolean {
  try {
    return classify(parseAddress(address)).kind === 'lab';
  } catch {
    return false;
  }
}

/**
 * A listen/bind address for the tunnel tools: the wildcard (0.0.0.0, ::), loopback or a lab
 * unicast address. Binding sends nothing, but a tool bound to a real interface's address
 * would be reachable from the real network.
 */
export function assertSafeBindAddress(address: string): void {
  const a = parseAddress(address);
  if ((a.family === 4 && a.n === 0 && !a.mapped) || (a.family === 6 && a.n === 0n && a.zone === undefined)) return;
  const kind = classify(a).kind;
  if (kind === 'loopback' || kind === 'lab') return;
  throw new UnsafeDestinationError(
    'ERR_UNSAFE_DESTINATION',
    address,
    'a listen address must be the wildcard, loopback or a lab address',
    'listen on',
  );
}
