/**
 * Recorded macOS command output (test/fixtures/darwin/, each file's header says where it comes
 * from) and a reader that turns `ifconfig -a` text into the addon's NetInterface records, as the
 * addon's getifaddrs inventory would list them on that Mac (flags from the hex value's IFF_* bits,
 * <net/if.h>; functional types as the caller assumes them: ifconfig does not print them).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InterfaceAddress, InterfaceType, NetInterface } from '../../native/types.ts';
import { repoRoot } from './cli.ts';

/** The output part of a fixture (after its `---` line). */
export function darwinFixture(name: string): string {
  const text = readFileSync(join(repoRoot, 'test', 'fixtures', 'darwin', name), 'utf8');
  const at = text.indexOf('\n---\n');
  if (at < 0) throw new Error(`${name}: no --- line between header and output`);
  return text.slice(at + 5);
}

// <net/if.h>: IFF_UP 0x1, IFF_BROADCAST 0x2, IFF_LOOPBACK 0x8, IFF_POINTOPOINT 0x10, IFF_RUNNING 0x40,
// IFF_MULTICAST 0x8000.
const bit = (flags: number, mask: number): boolean => (flags & mask) !== 0;
const prefixOfMask = (hex: string): number => Number.parseInt(hex, 16).toString(2).replace(/0+$/, '').length;

export function interfacesFromIfconfig(text: string, types: Record<string, InterfaceType>): NetInterface[] {
  const out: NetInterface[] = [];
  let cur: NetInterface | undefined;
  for (const line of text.split('\n')) {
    const head = /^(\w+): flags=([0-9a-f]+)/.exec(line);
    if (head) {
      const f = Number.parseInt(head[2]!, 16);
      cur = {
        name: head[1]!,
        index: out.length + 1,
        mtu: Number(/mtu (\d+)/.exec(line)?.[1] ?? 0),
        mac: undefined,
        type: types[head[1]!] ?? 'other',
        addresses: [],
        flags: {
          up: bit(f, 0x1),
          broadcast: bit(f, 0x2),
          loopback: bit(f, 0x8),
          pointToPoint: bit(f, 0x10),
          running: bit(f, 0x40),
          multicast: bit(f, 0x8000),
        },
      };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const ether = /^\s+ether ([0-9a-f:]+)/.exec(line);
    if (ether) cur.mac = ether[1];
    const v4 = /^\s+inet (\S+) netmask 0x([0-9a-f]+)(?: broadcast (\S+))?/.exec(line);
    if (v4) {
      const a: InterfaceAddress = { family: 4, address: v4[1]!, prefixLength: prefixOfMask(v4[2]!) };
      if (v4[3]) a.broadcast = v4[3];
      cur.addresses.push(a);
    }
    const v6 = /^\s+inet6 ([0-9a-f:]+)(?:%\w+)? prefixlen (\d+)/.exec(line);
    if (v6) cur.addresses.push({ family: 6, address: v6[1]!, prefixLength: Number(v6[2]) });
  }
  return out;
}
