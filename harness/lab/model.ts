/**
 * The concrete lab a spec turns into (names, MACs, addresses) and the iproute2/tc lines that
 * build or change it. Pure: no processes here, so the plan is testable and the bench's shell
 * script can be generated from the same model.
 */
import { broadcast4, formatV4, formatV6, linkLocalFromMac, type Prefix4, type Prefix6 } from './addr.ts';
import { allocate, cidrText4 } from './alloc.ts';
import { bridgeName, hostIfName, hostNetns, macFor, portName, segmentNetns } from './names.ts';
import type { LabSpec, LinkSpecProps } from './schema.ts';
import type { LinkProps } from './types.ts';
import { LabError } from './ip.ts';
import type { LocalNetworkPolicy } from './schema.ts';
import type { PrivateDir } from '../process/netns-exec.ts';

export interface IfModel {
  host: string;
  segment: string;
  name: string;
  port: string;
  mac: string;
  v4: { addr: number; len: number };
  v6: { addr: bigint; len: number };
  linkLocal: string;
  mtu: number;
  /** Shaping currently applied (rate, delay, jitter, loss). */
  shaping: LinkProps;
}
export interface HostModel {
  name: string;
  idx: number;
  netns: string;
  ifs: Map<string, IfModel>;
  defaultRoute: string | undefined;
  localNetwork: LocalNetworkPolicy;
  /** Folders of its own (`hosts.X.private`). */
  privateDirs: PrivateDir[];
}
export interface SegModel {
  name: string;
  idx: number;
  netns: string;
  bridge: string;
  v4: Prefix4;
  v6: Prefix6;
  props: LinkSpecProps;
}
export interface LabModel {
  runId: string;
  hosts: Map<string, HostModel>;
  segments: Map<string, SegModel>;
}

export const DEFAULT_MTU = 1500;

function shapingOf(p: LinkSpecProps): LinkProps {
  const s: LinkProps = {};
  if (p.rate !== undefined) s.rate = p.rate;
  if (p.delayMs !== undefined) s.delayMs = p.delayMs;
  if (p.jitterMs !== undefined) s.jitterMs = p.jitterMs;
  if (p.lossPercent !== undefined) s.lossPercent = p.lossPercent;
  return s;
}

export function newIf(
  m: LabModel,
  host: HostModel,
  seg: SegModel,
  v4: number,
  v6: bigint,
  props: LinkSpecProps,
): IfModel {
  const mac = macFor(m.runId, host.idx, seg.idx);
  return {
    host: host.name,
    segment: seg.name,
    name: hostIfName(m.runId, seg.idx),
    port: portName(m.runId, host.idx),
    mac,
    v4: { addr: v4, len: seg.v4.len },
    v6: { addr: v6, len: seg.v6.len },
    linkLocal: linkLocalFromMac(mac),
    mtu: props.mtu ?? seg.props.mtu ?? DEFAULT_MTU,
    shaping: { ...shapingOf(seg.props), ...shapingOf(props) },
  };
}

export function buildModel(spec: LabSpec, runId: string): LabModel {
  const alloc = allocate(spec);
  if (alloc.issues.length)
    throw new LabError('ESPEC', alloc.issues.map((i) => `lab.${i.path.join('.')}: ${i.message}`).join('\n'));
  const m: LabModel = { runId, hosts: new Map(), segments: new Map() };
  Object.entries(spec.segments).forEach(([name, s], idx) => {
    const plan = alloc.segments.get(name)!;
    m.segments.set(name, {
      name,
      idx,
      netns: segmentNetns(runId, name),
      bridge: bridgeName(runId),
      v4: plan.v4,
      v6: plan.v6,
      props: s,
    });
  });
  Object.entries(spec.hosts).forEach(([name, h], idx) => {
    const host: HostModel = {
      name,
      idx,
      netns: hostNetns(runId, name),
      ifs: new Map(),
      defaultRoute: h.defaultRoute,
      localNetwork: h.localNetwork ?? 'allowed',
      privateDirs: [...(h.private ?? [])],
    };
    for (const l of h.links) {
      const a = alloc.links.get(name)!.get(l.segment)!;
      host.ifs.set(l.segment, newIf(m, host, m.segments.get(l.segment)!, a.v4, a.v6, l));
    }
    m.hosts.set(name, host);
  });
  return m;
}

// ---- command lines (ip(8) batch syntax) ----

/** Root-namespace batch: every namespace, every bridge, every veth pair (created straight into its namespaces). */
export function createLines(m: LabModel): string[] {
  const lines: string[] = [];
  for (const s of m.segments.values()) lines.push(`netns add ${s.netns}`);
  for (const h of m.hosts.values()) lines.push(`netns add ${h.netns}`);
  // mcast_snooping 0: groups flood as on a simple switch, so a missing IGMP/MLD join never hides traffic.
  for (const s of m.segments.values()) lines.push(`link add ${s.bridge} netns ${s.netns} type bridge mcast_snooping 0`);
  for (const h of m.hosts.values())
    for (const i of h.ifs.values()) lines.push(vethLine(i, h.netns, m.segments.get(i.segment)!.netns));
  return lines;
}

export function vethLine(i: IfModel, hostNs: string, segNs: string): string {
  return `link add ${i.name} netns ${hostNs} address ${i.mac} mtu ${i.mtu} type veth peer name ${i.port} netns ${segNs} mtu ${i.mtu}`;
}

/** Switch-namespace batch. addrgenmode none: the switch gets no IPv6 link-local, so it sends nothing of its own. */
export function segmentLines(s: SegModel, ports: IfModel[]): string[] {
  const lines = [`link set ${s.bridge} addrgenmode none`];
  for (const p of ports) lines.push(...portLines(s, p));
  lines.push(`link set ${s.bridge} up`);
  return lines;
}

export function portLines(s: SegModel, p: IfModel): string[] {
  return [`link set ${p.port} addrgenmode none`, `link set ${p.port} master ${s.bridge} up`];
}

export const v4Text = (i: IfModel): string => `${formatV4(i.v4.addr)}/${i.v4.len}`;
export const v6Text = (i: IfModel): string => `${formatV6(i.v6.addr)}/${i.v6.len}`;

/**
 * Host-side configuration of one interface. The kernel would run DAD on IPv6 addresses and
 * make them usable only after ~1 s; addrgenmode none + explicit EUI-64 link-local + `nodad`
 * (ip-address(8)) make every address usable at once, with no sysctl process per namespace.
 */
export function ifUpLines(i: IfModel, isDefault: boolean, verb: 'add' | 'replace' = 'add'): string[] {
  const lines = [
    `link set ${i.name} addrgenmode none`,
    `link set ${i.name} up`,
    `addr ${verb} ${v4Text(i)} broadcast + dev ${i.name}`,
    `addr ${verb} ${v6Text(i)} dev ${i.name} nodad`,
    `addr ${verb} ${i.linkLocal}/64 dev ${i.name} nodad`,
  ];
  if (isDefault) lines.push(...defaultRouteLines(i));
  return lines;
}

/** On-link defaults (no gateway): off-segment traffic and 255.255.255.255 leave on this interface. */
export function defaultRouteLines(i: IfModel): string[] {
  return [`route replace 0.0.0.0/0 dev ${i.name}`, `route replace ::/0 dev ${i.name}`];
}

export function hostLines(h: HostModel): string[] {
  const lines = ['link set lo up'];
  for (const i of h.ifs.values()) lines.push(...ifUpLines(i, h.defaultRoute === i.segment));
  return lines;
}

/** Bytes per second for a tc rate string (tc(8) units: bit, kbit, mbit, gbit are powers of 1000). */
export function rateBytes(rate: string): number {
  const m = /^([0-9.]+)(bit|kbit|mbit|gbit)$/.exec(rate);
  if (!m) throw new LabError('ESPEC', `bad rate "${rate}" (e.g. 10mbit)`);
  const mult = { bit: 1, kbit: 1e3, mbit: 1e6, gbit: 1e9 }[m[2] as 'bit'];
  return (Number(m[1]) * mult) / 8;
}

export const needsNetem = (s: LinkProps): boolean =>
  s.delayMs !== undefined || s.jitterMs !== undefined || s.lossPercent !== undefined;

/**
 * tc lines that make `dev` shape as `s` (root qdisc replaced, or deleted when `s` is empty).
 * tbf burst must hold at least one MTU-sized packet and ~10 ms of rate (tc-tbf(8)).
 */
export function shapingLines(dev: string, s: LinkProps, mtu: number): string[] {
  if (needsNetem(s)) {
    const parts = [`qdisc replace dev ${dev} root netem`];
    if (s.delayMs !== undefined || s.jitterMs !== undefined)
      parts.push(`delay ${s.delayMs ?? 0}ms${s.jitterMs ? ` ${s.jitterMs}ms` : ''}`);
    if (s.lossPercent !== undefined) parts.push(`loss ${s.lossPercent}%`);
    if (s.rate !== undefined) parts.push(`rate ${s.rate}`);
    return [parts.join(' ')];
  }
  if (s.rate !== undefined) {
    const burst = Math.max(Math.ceil(rateBytes(s.rate) / 100), 2 * (mtu + 64), 3200);
    return [`qdisc replace dev ${dev} root tbf rate ${s.rate} burst ${burst} latency 50ms`];
  }
  return [`qdisc del dev ${dev} root`];
}

export const hasShaping = (s: LinkProps): boolean => s.rate !== undefined || needsNetem(s);

export function segmentText(s: SegModel): { ipv4: string; ipv6: string } {
  return { ipv4: cidrText4(s.v4), ipv6: `${formatV6(s.v6.base)}/${s.v6.len}` };
}

export function broadcastText(i: IfModel): string {
  return formatV4(
    broadcast4({
      base: (i.v4.addr & (i.v4.len === 0 ? 0 : (0xffffffff << (32 - i.v4.len)) >>> 0)) >>> 0,
      len: i.v4.len,
    }),
  );
}
