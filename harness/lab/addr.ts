/**
 * Small IPv4/IPv6 prefix arithmetic for the lab allocator. Labs use only the RFC 2544
 * benchmarking range 198.18.0.0/15 and the RFC 5180 range 2001:2::/48, so nothing a lab
 * sends can be routed to a real network even if it escaped its namespace.
 */

import { LAB_V4_CIDR, LAB_V6_CIDR } from '../net/safety.ts';

export interface Prefix4 {
  base: number;
  len: number;
}
export interface Prefix6 {
  base: bigint;
  len: number;
}

export function parseV4(addr: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask4(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** "198.18.1.0/24" → prefix (host bits must be zero when `strict`). */
export function parseCidr4(cidr: string, strict = true): { addr: number; prefix: Prefix4 } | undefined {
  const [a, l] = cidr.split('/');
  const addr = a === undefined ? undefined : parseV4(a);
  const len = Number(l);
  if (addr === undefined || l === undefined || !/^\d{1,2}$/.test(l) || len > 32) return undefined;
  const base = (addr & mask4(len)) >>> 0;
  if (strict && base !== addr) return undefined;
  return { addr, prefix: { base, len } };
}

export function contains4(p: Prefix4, addr: number): boolean {
  return (addr & mask4(p.len)) >>> 0 === p.base;
}

export function overlap4(a: Prefix4, b: Prefix4): boolean {
  return contains4(a.len <= b.len ? a : b, (a.len <= b.len ? b : a).base);
}

export function broadcast4(p: Prefix4): number {
  return (p.base | (~mask4(p.len) >>> 0)) >>> 0;
}

export function parseV6(addr: string): bigint | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(addr) || addr.split('::').length > 2) return undefined;
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const missing = 8 - h.length - t.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const groups = [...h, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...t];
  let n = 0n;
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    n = (n << 16n) | BigInt(parseInt(g, 16));
  }
  return n;
}

/** RFC 5952 text form (longest zero run compressed). */
export function formatV6(n: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function mask6(len: number): bigint {
  const all = (1n << 128n) - 1n;
  return len === 0 ? 0n : (all << BigInt(128 - len)) & all;
}

export function parseCidr6(cidr: string, strict = true): { addr: bigint; prefix: Prefix6 } | undefined {
  const [a, l] = cidr.split('/');
  const addr = a === undefined ? undefined : parseV6(a);
  const len = Number(l);
  if (addr === undefined || l === undefined || !/^\d{1,3}$/.test(l) || len > 128) return undefined;
  const base = addr & mask6(len);
  if (strict && base !== addr) return undefined;
  return { addr, prefix: { base, len } };
}

export function contains6(p: Prefix6, addr: bigint): boolean {
  return (addr & mask6(p.len)) === p.base;
}

export function overlap6(a: Prefix6, b: Prefix6): boolean {
  return contains6(a.len <= b.len ? a : b, (a.len <= b.len ? b : a).base);
}

export const labV4 = parseCidr4(LAB_V4_CIDR)!.prefix;
export const labV6 = parseCidr6(LAB_V6_CIDR)!.prefix;

/** EUI-64 link-local address for a MAC (RFC 4291 §2.5.1: flip the U/L bit, insert ff:fe). */
export function linkLocalFromMac(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const eui = [b[0]! ^ 2, b[1]!, b[2]!, 0xff, 0xfe, b[3]!, b[4]!, b[5]!];
  let n = 0xfe80n << 112n;
  for (let i = 0; i < 8; i++) n |= BigInt(eui[i]!) << BigInt((7 - i) * 8);
  return formatV6(n);
}
