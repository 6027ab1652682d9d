/**
 * Root-only: the addon inside network namespaces this test creates. Topology (names carry a
 * random run id, everything is deleted in afterAll):
 *
 *   netns A                                  netns B
 *   ta1 198.18.1.1/24  <── veth ──>  tb1 198.18.1.2/24
 *   ta2 198.18.2.1/24  <── veth ──>  tb2 198.18.2.2/24      lo: 198.18.9.9/32
 *   (A also holds a bridge and a tun device for the inventory check)
 *
 * A routes 198.18.9.9 via tb1 (metric 10) and via tb2 (metric 100), so without a device
 * binding a send leaves on ta1. Addresses are from 198.18.0.0/15 only; multicast groups
 * are sent only on these veths.
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  createUdpSocket,
  listInterfaces,
  listInterfacesAsync,
  type Datagram,
  type UdpSocket,
} from '../../native/index.ts';
import { labNeeds, requires, sysctl } from '../helpers/requires.ts';

const netns = requires(labNeeds(), sysctl);
const repoRoot = resolve(import.meta.dirname, '../..');

const id = randomBytes(3).toString('hex');
const nsA = `nct-${id}-a`;
const nsB = `nct-${id}-b`;
const ifn = (s: string): string => `nct${id}${s}`; // ≤ 15 bytes
const [ta1, ta2, tb1, tb2, br, tun] = [ifn('a1'), ifn('a2'), ifn('b1'), ifn('b2'), ifn('br'), ifn('tn')];

const ip = (...args: string[]) => execa('ip', args);
const inNs = (ns: string, ...args: string[]) => execa('ip', ['-n', ns, ...args]);

const sockets: UdpSocket[] = [];
function udp(family: 4 | 6, netns: string): UdpSocket {
  const s = createUdpSocket({ family, netns, reuseAddr: true });
  sockets.push(s);
  return s;
}

function receive(s: UdpSocket, ms = 1500): Promise<Datagram[]> {
  const got: Datagram[] = [];
  s.on('message', (d: Datagram) => got.push(d));
  s.startReceiving();
  return new Promise((r) => setTimeout(() => r(got), ms));
}

function indexIn(ns: string, name: string): number {
  const i = listInterfaces({ netns: ns }).find((x) => x.name === name);
  if (!i) throw new Error(`${name} not found in ${ns}`);
  return i.index;
}

describe.skipIf(!netns.ok)(netns.title('native addon in network namespaces'), () => {
  beforeAll(async () => {
    await ip('netns', 'add', nsA);
    await ip('netns', 'add', nsB);
    for (const ns of [nsA, nsB]) {
      await execa('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-q',
        '-w',
        'net.ipv6.conf.all.accept_dad=0',
        'net.ipv6.conf.default.accept_dad=0',
      ]);
      await inNs(ns, 'link', 'set', 'lo', 'up');
    }
    await ip('link', 'add', ta1, 'netns', nsA, 'type', 'veth', 'peer', 'name', tb1, 'netns', nsB);
    await ip('link', 'add', ta2, 'netns', nsA, 'type', 'veth', 'peer', 'name', tb2, 'netns', nsB);
    await inNs(nsA, 'addr', 'add', '198.18.1.1/24', 'dev', ta1);
    await inNs(nsA, 'addr', 'add', '198.18.2.1/24', 'broadcast', '+', 'dev', ta2);
    await inNs(nsB, 'addr', 'add', '198.18.1.2/24', 'dev', tb1);
    await inNs(nsB, 'addr', 'add', '198.18.2.2/24', 'dev', tb2);
    await inNs(nsB, 'addr', 'add', '198.18.9.9/32', 'dev', 'lo');
    for (const [ns, d] of [
      [nsA, ta1],
      [nsA, ta2],
      [nsB, tb1],
      [nsB, tb2],
    ] as const)
      await inNs(ns, 'link', 'set', d, 'up');
    await inNs(nsA, 'route', 'add', '198.18.9.9/32', 'via', '198.18.1.2', 'dev', ta1, 'metric', '10');
    await inNs(nsA, 'route', 'add', '198.18.9.9/32', 'via', '198.18.2.2', 'dev', ta2, 'metric', '100');
    await inNs(nsA, 'link', 'add', br, 'type', 'bridge');
    await inNs(nsA, 'tuntap', 'add', 'mode', 'tun', 'name', tun);
    // IPv6 link-local addresses come up with the links (DAD is off above)
    for (let i = 0; i < 50; i++) {
      const { stdout } = await inNs(nsA, '-6', 'addr', 'show', 'dev', ta2, 'scope', 'link');
      if (stdout.includes('fe80') && !stdout.includes('tentative')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await execa('ip', ['netns', 'del', nsA], { reject: false });
    await execa('ip', ['netns', 'del', nsB], { reject: false });
    const { stdout } = await execa('ip', ['netns', 'list'], { reject: false });
    expect(stdout).not.toContain(`nct-${id}`);
  });

  it("lists a namespace's interfaces with their types (setns around getifaddrs)", async () => {
    const a = listInterfaces({ netns: nsA });
    const byName = new Map(a.map((i) => [i.name, i]));
    expect([...byName.keys()].sort()).toEqual(['lo', ta1, ta2, br, tun].sort());
    expect(byName.get('lo')!.type).toBe('loopback');
    expect(byName.get(ta1)!.type).toBe('veth');
    expect(byName.get(br)!.type).toBe('bridge');
    expect(byName.get(tun)!.type).toBe('tun');
    // ta1 has no broadcast address configured, ta2 has one ('broadcast +')
    expect(byName.get(ta1)!.addresses).toContainEqual({ family: 4, address: '198.18.1.1', prefixLength: 24 });
    expect(byName.get(ta2)!.addresses).toContainEqual({
      family: 4,
      address: '198.18.2.1',
      prefixLength: 24,
      broadcast: '198.18.2.255',
    });
    expect(
      byName
        .get(ta1)!
        .addresses.some((a) => a.family === 6 && a.address.startsWith('fe80:') && a.scopeId === byName.get(ta1)!.index),
    ).toBe(true);
    expect(byName.get(ta1)!.flags).toMatchObject({ up: true, broadcast: true, multicast: true, loopback: false });
    expect(byName.get(ta1)!.mac).toMatch(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
    // the host namespace is untouched and the calling thread is back in it
    expect(listInterfaces().some((i) => i.name === ta1)).toBe(false);
    const viaPool = await listInterfacesAsync({ netns: nsA });
    expect(viaPool.map((i) => i.name).sort()).toEqual([...byName.keys()].sort());
  });

  it('sysfs types agree when run inside the namespace (ip netns exec remounts /sys)', async () => {
    const r = await execa(
      'ip',
      [
        'netns',
        'exec',
        nsA,
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { listInterfaces } from './native/index.ts'; console.log(JSON.stringify(listInterfaces().map((i) => [i.name, i.type])));`,
      ],
      { cwd: repoRoot },
    );
    const types = new Map(JSON.parse(r.stdout) as [string, string][]);
    expect(types.get(ta1)).toBe('veth');
    expect(types.get(br)).toBe('bridge');
    expect(types.get(tun)).toBe('tun');
    expect(types.get('lo')).toBe('loopback');
  });

  it('a socket created in a namespace sends from it, and the receiver sees its address', async () => {
    const rx = udp(4, nsB);
    rx.bind('0.0.0.0', 0);
    const tx = udp(4, nsA);
    const p = receive(rx, 500);
    tx.send(Buffer.from('from A'), '198.18.9.9', rx.address().port);
    const got = await p;
    expect(got).toHaveLength(1);
    expect(got[0]!.address).toBe('198.18.1.1');
    expect(got[0]!.destination).toBe('198.18.9.9');
    expect(got[0]!.ifindex).toBe(indexIn(nsB, tb1));
    // the same address is unreachable from the host namespace: the socket kept its netns
    expect(listInterfaces().some((i) => i.addresses.some((x) => x.address === '198.18.9.9'))).toBe(false);
  });

  it('bindToDevice decides the egress interface', async () => {
    const rx = udp(4, nsB);
    rx.bind('0.0.0.0', 0);
    const port = rx.address().port;
    const p = receive(rx, 800);
    const plain = udp(4, nsA);
    plain.send(Buffer.from('route'), '198.18.9.9', port);
    const byName = udp(4, nsA);
    byName.bindToDevice(ta2);
    byName.send(Buffer.from('name'), '198.18.9.9', port);
    const byIndex = udp(4, nsA);
    byIndex.bindToDevice(indexIn(nsA, ta2));
    byIndex.send(Buffer.from('index'), '198.18.9.9', port);
    const got = await p;
    const arrival = new Map(got.map((d) => [d.data.toString(), d]));
    expect(arrival.get('route')!.ifindex).toBe(indexIn(nsB, tb1));
    expect(arrival.get('route')!.address).toBe('198.18.1.1');
    expect(arrival.get('name')!.ifindex).toBe(indexIn(nsB, tb2));
    expect(arrival.get('name')!.address).toBe('198.18.2.1');
    expect(arrival.get('index')!.ifindex).toBe(indexIn(nsB, tb2));
  });

  for (const family of [4, 6] as const) {
    const group = family === 4 ? '239.255.77.77' : 'ff12::4e43:7477';
    it(`IPv${family}: the multicast interface choice decides which side receives`, async () => {
      const b1 = indexIn(nsB, tb1);
      const b2 = indexIn(nsB, tb2);
      const rx = udp(family, nsB);
      rx.bind(family === 4 ? '0.0.0.0' : '::', 0);
      rx.addMembership(group, b1);
      rx.addMembership(group, b2);
      const port = rx.address().port;
      const p = receive(rx, 800);
      const tx = udp(family, nsA);
      tx.setMulticastTTL(1);
      tx.setMulticastLoopback(false);
      tx.setMulticastInterface(indexIn(nsA, ta1));
      tx.send(Buffer.from('via1'), group, port);
      tx.setMulticastInterface(indexIn(nsA, ta2));
      tx.send(Buffer.from('via2'), group, port);
      const got = await p;
      const arrival = new Map(got.map((d) => [d.data.toString(), d]));
      expect(got).toHaveLength(2);
      expect(arrival.get('via1')!.ifindex).toBe(b1);
      expect(arrival.get('via2')!.ifindex).toBe(b2);
      expect(arrival.get('via1')!.destination).toBe(group);
      if (family === 4) expect(arrival.get('via2')!.address).toBe('198.18.2.1');
      else expect(arrival.get('via2')!.address).toMatch(/^fe80:/);
      // after leaving the group on tb2, only tb1 still receives
      rx.dropMembership(group, b2);
      const after: Datagram[] = [];
      rx.on('message', (d: Datagram) => after.push(d));
      tx.send(Buffer.from('via2-again'), group, port);
      tx.setMulticastInterface(indexIn(nsA, ta1));
      tx.send(Buffer.from('via1-again'), group, port);
      await new Promise((r) => setTimeout(r, 500));
      expect(after.map((d) => d.data.toString())).toEqual(['via1-again']);
    });
  }

  for (const family of [4, 6] as const) {
    const group = family === 4 ? '239.255.77.78' : 'ff12::4e43:7478';
    it(`IPv${family}: multicast loopback (and on IPv4 the TTL) take effect as set`, async () => {
      const any = family === 4 ? '0.0.0.0' : '::';
      const local = udp(family, nsA);
      local.bind(any, 0);
      const port = local.address().port;
      local.addMembership(group, indexIn(nsA, ta1));
      const remote = udp(family, nsB);
      remote.bind(any, port);
      remote.addMembership(group, indexIn(nsB, tb1));
      const [atLocal, atRemote] = [receive(local, 800), receive(remote, 800)];
      const tx = udp(family, nsA);
      tx.setMulticastInterface(indexIn(nsA, ta1));
      // IPv6: Linux puts a hop limit 0 datagram on the link all the same (the receiver's
      // stack does not check it), so only IPv4 can show the TTL by its effect.
      const ttls = family === 4 ? [0, 1] : [1];
      for (const [loop, ttl] of ttls.flatMap(
        (t) =>
          [
            [false, t],
            [true, t],
          ] as const,
      )) {
        tx.setMulticastLoopback(loop);
        tx.setMulticastTTL(ttl);
        tx.send(Buffer.from(`loop=${loop} ttl=${ttl}`), group, port);
      }
      const names = (got: Datagram[]) => got.map((d) => d.data.toString()).sort();
      // The looped-back copy is this host's own delivery, which the TTL does not limit; a
      // TTL of 0 keeps the datagram off the link (ip(7) IP_MULTICAST_TTL, ipv6(7) hops).
      expect(names(await atLocal)).toEqual(ttls.map((t) => `loop=true ttl=${t}`));
      expect(names(await atRemote)).toEqual(['loop=false ttl=1', 'loop=true ttl=1']);
    });
  }

  it('an unprivileged process gets EPERM, and the caller stays in its namespace', async (ctx) => {
    const r = await execa(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        '--inh-caps=-all',
        '--bounding-set=-all',
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createUdpSocket, listInterfaces } from './native/index.ts';
         const out = {};
         try { createUdpSocket({ family: 4, netns: '${nsA}' }); out.created = true; } catch (e) { out.code = e.code; out.syscall = e.syscall; out.message = e.message; }
         out.host = listInterfaces().some((i) => i.name === 'lo');
         console.log(JSON.stringify(out));`,
      ],
      { cwd: repoRoot, reject: false, env: { HOME: '/tmp' } },
    );
    if (r.exitCode !== 0 && /EACCES|permission denied/i.test(r.stderr) && !r.stdout) {
      ctx.skip('the repo is not readable by user nobody on this machine');
    }
    const out = JSON.parse(r.stdout) as { code: string; syscall: string; message: string; host: boolean };
    expect(out).toMatchObject({ code: 'EPERM', syscall: 'setns', host: true });
    expect(out.message).toContain(nsA);
  });
});
