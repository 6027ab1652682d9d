// The example profile's topology comes up as written (read back with `ip -j`) and traffic
// crosses exactly the links it describes.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import type { LabSpec } from '../../harness/lab/schema.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { addonStatus } from '../../native/index.ts';
import type { Datagram } from '../../native/types.ts';
import { ipJ, labNeed, isolateState, snapshot, udpReaches } from './helpers.ts';

function rootQdisc(ns: string, dev: string): string | undefined {
  const q = JSON.parse(
    execFileSync('tc', ['-n', ns, '-j', 'qdisc', 'show', 'dev', dev], { encoding: 'utf8' }),
  ) as Array<{ kind: string; root?: boolean }>;
  return q.find((x) => x.root)?.kind;
}

interface J {
  ifname: string;
  operstate: string;
  mtu: number;
  flags: string[];
  master?: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

describe.skipIf(!labNeed.ok)(labNeed.title('lab-example topology'), () => {
  let lab: Lab;
  const runId = newRunId();
  const spec = (
    parse(readFileSync(new URL('../../profiles/lab-example.yaml', import.meta.url), 'utf8')) as { lab: LabSpec }
  ).lab;

  isolateState();
  beforeAll(async () => {
    lab = await bringUpLab(spec, { runId, log: () => {} });
  });
  afterAll(async () => {
    await lab?.down();
    expect(snapshot(runId).netns).toEqual([]);
  });

  it('creates one namespace per host and per segment, nothing in the root namespace', () => {
    const s = snapshot(runId);
    expect(s.netns.sort()).toEqual([
      `nc-${runId}-dut`,
      `nc-${runId}-peer-a`,
      `nc-${runId}-peer-b`,
      `nc-${runId}-peer-c`,
      `ncs-${runId}-lan-a`,
      `ncs-${runId}-lan-b`,
      `ncs-${runId}-lan-c`,
    ]);
    expect(s.links).toEqual([]);
  });

  it('gives the DUT three interfaces with the profile’s addresses, MTUs and no DAD delay', () => {
    const links = ipJ<J[]>(lab.host('dut').netns, 'addr', 'show').filter((l) => l.ifname !== 'lo');
    expect(links.map((l) => l.ifname)).toEqual(['lan-a', 'lan-b', 'lan-c'].map((s) => lab.describe().dut![s]));
    const bySeg = (seg: string): J => links.find((l) => l.ifname === lab.host('dut').iface(seg).name)!;
    expect(bySeg('lan-b').addr_info!.find((a) => a.family === 'inet')).toMatchObject({
      local: '198.18.2.10',
      prefixlen: 24,
    });
    expect(bySeg('lan-a').addr_info!.find((a) => a.family === 'inet')).toMatchObject({
      local: '198.18.1.1',
      prefixlen: 24,
    });
    expect(bySeg('lan-b').mtu).toBe(1400);
    for (const l of links) {
      expect(l.operstate).toBe('UP');
      expect(l.ifname).not.toMatch(/^(eth|en|wlan)\d/);
      const v6 = l.addr_info!.filter((a) => a.family === 'inet6');
      expect(v6.map((a) => a.scope).sort()).toEqual(['global', 'link']);
      // No "tentative" flag anywhere: usable at once.
      expect(JSON.stringify(v6)).not.toContain('tentative');
    }
    // The cached view scenarios use matches the kernel.
    expect(
      lab
        .host('dut')
        .interfaces()
        .map((i) => [i.name, i.ipv4?.address, i.mtu]),
    ).toEqual(links.map((l) => [l.ifname, l.addr_info!.find((a) => a.family === 'inet')!.local, l.mtu]));
  });

  it('routes: prefix routes per interface, default (v4 and v6) on the profile’s segment only', () => {
    const ns = lab.host('dut').netns;
    const a = lab.host('dut').iface('lan-a').name;
    const v4 = ipJ<Array<{ dst: string; dev: string }>>(ns, 'route', 'show');
    expect(v4.filter((r) => r.dst === 'default')).toEqual([expect.objectContaining({ dev: a })]);
    expect(v4.map((r) => r.dst).sort()).toEqual(['198.18.1.0/24', '198.18.2.0/24', '198.18.3.0/24', 'default']);
    expect(ipJ<Array<{ dev: string }>>(ns, '-6', 'route', 'show', 'default')).toEqual([
      expect.objectContaining({ dev: a }),
    ]);
    expect(ipJ<unknown[]>(lab.host('peer-a').netns, 'route', 'show', 'default')).toEqual([]);
  });

  it('builds each segment as a bridge with multicast snooping off and one port per member', () => {
    const ns = `ncs-${runId}-lan-a`;
    const br = ipJ<Array<{ ifname: string; linkinfo: { info_data: { mcast_snooping: number } } }>>(
      ns,
      '-d',
      'link',
      'show',
      'type',
      'bridge',
    );
    expect(br).toHaveLength(1);
    expect(br[0]!.linkinfo.info_data.mcast_snooping).toBe(0);
    const ports = ipJ<J[]>(ns, 'link', 'show', 'master', br[0]!.ifname);
    expect(ports.map((p) => p.operstate)).toEqual(['UP', 'UP']);
  });

  it('shapes lan-c with tbf on both ends', () => {
    expect(lab.segment('lan-c').members.sort()).toEqual(['dut', 'peer-c']);
    const dut = lab.host('dut').iface('lan-c').name;
    expect(rootQdisc(lab.host('dut').netns, dut)).toBe('tbf');
    expect(rootQdisc(`ncs-${runId}-lan-c`, `p-${runId}-0`)).toBe('tbf');
    expect(rootQdisc(lab.host('dut').netns, lab.host('dut').iface('lan-a').name)).not.toBe('tbf');
  });

  it('carries a datagram between two hosts on one segment (IPv4, IPv6, link-local)', async () => {
    const dut = lab.host('dut');
    expect((await udpReaches(lab, 'peer-a', 'dut', dut.iface('lan-a').ipv4!.address)).arrived).toBe(true);
    expect((await udpReaches(lab, 'peer-b', 'dut', dut.iface('lan-b').ipv6!.address)).arrived).toBe(true);
    const ll = `${lab.host('peer-c').iface('lan-c').linkLocal6}%${dut.iface('lan-c').name}`;
    expect((await udpReaches(lab, 'dut', 'peer-c', ll)).arrived).toBe(true);
  });

  it('does not carry one between segments: the DUT does not route', async () => {
    const r = await udpReaches(lab, 'peer-a', 'peer-b', lab.host('peer-b').iface('lan-b').ipv4!.address);
    expect(r.arrived).toBe(false);
    expect(r.sendResult).toMatch(/ENETUNREACH/); // peer-a has no route off its segment
    // A directed broadcast for lan-a stays on lan-a: the DUT's lan-c peer never sees it.
    const b = await udpReaches(lab, 'dut', 'peer-c', '198.18.1.255', { broadcast: true });
    expect(b.arrived).toBe(false);
  });

  it('sends an all-hosts broadcast where the default route points, and only there', async () => {
    expect((await udpReaches(lab, 'dut', 'peer-a', '255.255.255.255', { broadcast: true })).arrived).toBe(true);
    expect((await udpReaches(lab, 'dut', 'peer-b', '255.255.255.255', { broadcast: true })).arrived).toBe(false);
  });

  it.skipIf(!addonStatus().loaded)(
    'host.socket() is a native socket inside the host: arrival interface is the host’s own',
    async () => {
      const rx = lab.host('dut').socket({ family: 4 });
      const tx = lab.host('peer-b').socket({ family: 4 });
      try {
        rx.bind('0.0.0.0', 40123);
        const got = new Promise<Datagram>((r) => rx.once('message', r));
        rx.startReceiving();
        tx.send(Buffer.from('x'), '198.18.2.10', 40123);
        const d = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 2000))]);
        expect(d?.address).toBe(lab.host('peer-b').iface('lan-b').ipv4!.address);
        expect(d?.ifindex).toBe(lab.host('dut').iface('lan-b').index);
      } finally {
        rx.close();
        tx.close();
      }
    },
  );
});
