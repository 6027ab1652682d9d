/**
 * The one rule every send in these suites goes through (DESIGN.md "Rules that keep it
 * honest"): traffic goes only to loopback, to the lab's ranges (198.18.0.0/15, RFC 2544;
 * 2001:2::/48, RFC 5180), to link-local addresses, to multicast groups, or to the limited
 * broadcast 255.255.255.255 (RFC 919 §7: never forwarded by a router). Anything else throws
 * before a socket sees it, so a bug in a scenario cannot spray a real network.
 */
import { isIP } from 'node:net';

function v4(addr: string): number[] | undefined {
  const parts = addr.split('.').map(Number);
  return parts.length === 4 && parts.every((p) => Number.isInteger(p) && p >= 0 && p <= 255) ? parts : undefined;
}

/** First 16-bit group of an IPv6 address (without a %scope suffix). */
function v6Head(addr: string): number {
  const bare = addr.split('%')[0]!;
  const first = bare.startsWith('::') ? '0' : bare.split(':')[0]!;
  return parseInt(first || '0', 16);
}

function v6Is2001_2(addr: string): boolean {
  const groups = addr.split('%')[0]!.split(':');
  return parseInt(groups[0] || '0', 16) === 0x2001 && parseInt(groups[1] || '0', 16) === 0x0002 && groups.length >= 3;
}

/** Why `addr` is an allowed destination, or undefined when it is not. */
export function safeDestinationKind(addr: string): string | undefined {
  const fam = isIP(addr.split('%')[0]!);
  if (fam === 4) {
    const p = v4(addr)!;
    if (p[0] === 127) return 'loopback';
    if (p[0] === 198 && (p[1] === 18 || p[1] === 19)) return 'lab (198.18.0.0/15)';
    if (p[0] === 169 && p[1] === 254) return 'link-local';
    if (p[0]! >= 224 && p[0]! <= 239) return 'multicast';
    if (addr === '255.255.255.255') return 'limited broadcast';
    return undefined;
  }
  if (fam === 6) {
    const bare = addr.split('%')[0]!;
    if (bare === '::1') return 'loopback';
    const head = v6Head(bare);
    if ((head & 0xff00) === 0xff00) return 'multicast';
    if ((head & 0xffc0) === 0xfe80) return 'link-local';
    if (v6Is2001_2(bare)) return 'lab (2001:2::/48)';
  }
  return undefined;
}

export class UnsafeDestinationError extends Error {
  readonly code = 'ERR_UNSAFE_DESTINATION';
  constructor(addr: string) {
    super(`refusing to send to ${addr}: only loopback, lab (198.18.0.0/15, 2001:2::/48), link-local, multicast and 255.255.255.255 are allowed`);
  }
}

export function assertSafeDestination(addr: string): void {
  if (!safeDestinationKind(addr)) throw new UnsafeDestinationError(addr);
}

/** True for a subnet-directed broadcast that may be sent: only inside the lab range. */
export function isLabAddress4(addr: string): boolean {
  const p = v4(addr);
  return !!p && p[0] === 198 && (p[1] === 18 || p[1] === 19);
}
