/**
 * Address plan for a lab spec: segment prefixes (explicit or carved from the benchmarking
 * ranges) and one IPv4 + one IPv6 address per link. Host number k (1-based position of the
 * host in `hosts:`) is preferred on every segment, so `dut` is .1 everywhere when it is first.
 */
import {
  broadcast4,
  contains4,
  contains6,
  labV4,
  labV6,
  overlap4,
  overlap6,
  parseCidr4,
  parseCidr6,
  type Prefix4,
  type Prefix6,
} from './addr.ts';
import type { LabSpec, LabSpecIssue } from './schema.ts';

export interface SegmentPlan {
  v4: Prefix4;
  v6: Prefix6;
}
export interface LinkAddr {
  v4: number;
  v6: bigint;
}
export interface Allocation {
  segments: Map<string, SegmentPlan>;
  /** host → segment → addresses */
  links: Map<string, Map<string, LinkAddr>>;
  issues: LabSpecIssue[];
}

/** First free host address in `p`, trying `preferred` first; undefined when full. */
export function pickV4(p: Prefix4, used: Set<number>, preferred: number): number | undefined {
  const bcast = broadcast4(p);
  const size = bcast - p.base;
  const ok = (n: number): boolean => n > p.base && n < bcast && !used.has(n);
  if (size > 1 && preferred < size && ok(p.base + preferred)) return p.base + preferred;
  for (let n = p.base + 1; n < bcast && n - p.base <= 4096; n++) if (ok(n)) return n;
  return undefined;
}

export function pickV6(p: Prefix6, used: Set<bigint>, preferred: number): bigint | undefined {
  const size = 1n << BigInt(128 - p.len);
  for (let k = BigInt(preferred), i = 0; i < 4096; k++, i++) {
    const n = p.base + (k % size);
    if (n !== p.base && !used.has(n)) return n;
  }
  return undefined;
}

function carve4(taken: Prefix4[]): Prefix4 | undefined {
  // /24s inside 198.18.0.0/15, skipping 198.18.0.0/24 (reads like a network address).
  for (let i = 1; i < 512; i++) {
    const p = { base: labV4.base + i * 256, len: 24 };
    if (!taken.some((t) => overlap4(t, p))) return p;
  }
  return undefined;
}

function carve6(taken: Prefix6[]): Prefix6 | undefined {
  for (let i = 1n; i < 4096n; i++) {
    const p = { base: labV6.base + (i << 64n), len: 64 };
    if (!taken.some((t) => overlap6(t, p))) return p;
  }
  return undefined;
}

export function allocate(spec: LabSpec): Allocation {
  const issues: LabSpecIssue[] = [];
  const segments = new Map<string, SegmentPlan>();
  const fixed4: Array<[string, Prefix4]> = [];
  const fixed6: Array<[string, Prefix6]> = [];
  for (const [s, seg] of Object.entries(spec.segments)) {
    if (seg.ipv4 !== undefined) {
      const c = parseCidr4(seg.ipv4);
      if (!c)
        issues.push({
          path: ['segments', s, 'ipv4'],
          message: `"${seg.ipv4}" is not an IPv4 prefix (host bits must be 0)`,
        });
      else if (c.prefix.len < labV4.len || !contains4(labV4, c.prefix.base))
        issues.push({
          path: ['segments', s, 'ipv4'],
          message: `${seg.ipv4} is outside 198.18.0.0/15, the only range a lab may use`,
        });
      else if (c.prefix.len > 30)
        issues.push({ path: ['segments', s, 'ipv4'], message: `${seg.ipv4} is too small (at most /30)` });
      else {
        const clash = fixed4.find(([, p]) => overlap4(p, c.prefix));
        if (clash) issues.push({ path: ['segments', s, 'ipv4'], message: `${seg.ipv4} overlaps segment ${clash[0]}` });
        fixed4.push([s, c.prefix]);
      }
    }
    if (seg.ipv6 !== undefined) {
      const c = parseCidr6(seg.ipv6);
      if (!c)
        issues.push({
          path: ['segments', s, 'ipv6'],
          message: `"${seg.ipv6}" is not an IPv6 prefix (host bits must be 0)`,
        });
      else if (c.prefix.len < labV6.len || !contains6(labV6, c.prefix.base))
        issues.push({
          path: ['segments', s, 'ipv6'],
          message: `${seg.ipv6} is outside 2001:2::/48, the only range a lab may use`,
        });
      else if (c.prefix.len > 120)
        issues.push({ path: ['segments', s, 'ipv6'], message: `${seg.ipv6} is too small (at most /120)` });
      else {
        const clash = fixed6.find(([, p]) => overlap6(p, c.prefix));
        if (clash) issues.push({ path: ['segments', s, 'ipv6'], message: `${seg.ipv6} overlaps segment ${clash[0]}` });
        fixed6.push([s, c.prefix]);
      }
    }
  }
  const taken4 = fixed4.map(([, p]) => p);
  const taken6 = fixed6.map(([, p]) => p);
  for (const s of Object.keys(spec.segments)) {
    const v4 = fixed4.find(([n]) => n === s)?.[1] ?? carve4(taken4);
    const v6 = fixed6.find(([n]) => n === s)?.[1] ?? carve6(taken6);
    if (!v4 || !v6) {
      issues.push({ path: ['segments', s], message: 'no free prefix left in the lab ranges' });
      continue;
    }
    taken4.push(v4);
    taken6.push(v6);
    segments.set(s, { v4, v6 });
  }

  const used4 = new Map<string, Set<number>>();
  const used6 = new Map<string, Set<bigint>>();
  for (const s of segments.keys()) {
    used4.set(s, new Set());
    used6.set(s, new Set());
  }
  // Fixed addresses first, so automatic ones never take them.
  const fixed = new Map<string, { v4?: number; v6?: bigint }>();
  for (const [h, host] of Object.entries(spec.hosts)) {
    host.links.forEach((l, i) => {
      const seg = segments.get(l.segment);
      if (!seg) return;
      const got: { v4?: number; v6?: bigint } = {};
      if (l.address !== undefined) {
        const c = parseCidr4(l.address, false);
        const path = ['hosts', h, 'links', i, 'address'];
        if (!c) issues.push({ path, message: `"${l.address}" is not an IPv4 address/prefix-length` });
        else if (c.prefix.len !== seg.v4.len || !contains4(seg.v4, c.addr))
          issues.push({ path, message: `${l.address} is not inside segment ${l.segment} (${cidrText4(seg.v4)})` });
        else if (c.addr === seg.v4.base || c.addr === broadcast4(seg.v4))
          issues.push({ path, message: `${l.address} is the network or broadcast address of ${l.segment}` });
        else if (used4.get(l.segment)!.has(c.addr))
          issues.push({ path, message: `${l.address} is used twice on segment ${l.segment}` });
        else {
          got.v4 = c.addr;
          used4.get(l.segment)!.add(c.addr);
        }
      }
      if (l.address6 !== undefined) {
        const c = parseCidr6(l.address6, false);
        const path = ['hosts', h, 'links', i, 'address6'];
        if (!c) issues.push({ path, message: `"${l.address6}" is not an IPv6 address/prefix-length` });
        else if (c.prefix.len !== seg.v6.len || !contains6(seg.v6, c.addr))
          issues.push({ path, message: `${l.address6} is not inside segment ${l.segment}` });
        else if (used6.get(l.segment)!.has(c.addr))
          issues.push({ path, message: `${l.address6} is used twice on segment ${l.segment}` });
        else {
          got.v6 = c.addr;
          used6.get(l.segment)!.add(c.addr);
        }
      }
      fixed.set(`${h}\0${l.segment}`, got);
    });
  }
  const links = new Map<string, Map<string, LinkAddr>>();
  Object.entries(spec.hosts).forEach(([h, host], hi) => {
    const m = new Map<string, LinkAddr>();
    links.set(h, m);
    host.links.forEach((l, i) => {
      const seg = segments.get(l.segment);
      if (!seg) return;
      const f = fixed.get(`${h}\0${l.segment}`) ?? {};
      const v4 = f.v4 ?? pickV4(seg.v4, used4.get(l.segment)!, hi + 1);
      const v6 = f.v6 ?? pickV6(seg.v6, used6.get(l.segment)!, hi + 1);
      if (v4 === undefined || v6 === undefined) {
        issues.push({ path: ['hosts', h, 'links', i], message: `segment ${l.segment} has no free address left` });
        return;
      }
      used4.get(l.segment)!.add(v4);
      used6.get(l.segment)!.add(v6);
      m.set(l.segment, { v4, v6 });
    });
  });
  return { segments, links, issues };
}

export function cidrText4(p: Prefix4): string {
  return `${[p.base >>> 24, (p.base >>> 16) & 255, (p.base >>> 8) & 255, p.base & 255].join('.')}/${p.len}`;
}
