// Each fault does what it says, and says so only once the kernel shows it.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, LabError, netemAvailable, newRunId } from '../../harness/lab/index.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { ipJ, labNeed, isolateState, snapshot, udpReaches } from './helpers.ts';

const routeDev = (ns: string, dst: string): string => ipJ<Array<{ dev: string }>>(ns, 'route', 'get', dst)[0]!.dev;

describe.skipIf(!labNeed.ok)(labNeed.title('lab faults'), () => {
  let lab: Lab;
  const runId = newRunId();
  isolateState();
  beforeAll(async () => {
    lab = await bringUpLab(
      {
        segments: { a: {}, b: {}, c: {} },
        hosts: {
          dut: { links: [{ segment: 'a' }, { segment: 'b' }], defaultRoute: 'a' },
          pa: { links: [{ segment: 'a' }] },
          pb: { links: [{ segment: 'b' }] },
        },
      },
      { runId, log: () => {} },
    );
  });
  afterAll(async () => {
    await lab?.down();
    expect(snapshot(runId).netns).toEqual([]);
  });

  it('link down stops traffic; link up restores it (IPv4 and IPv6 addresses and the default route too)', async () => {
    const to4 = lab.host('dut').iface('a').ipv4!.address;
    const to6 = lab.host('dut').iface('a').ipv6!.address;
    await lab.linkDown('dut', 'a');
    expect(
      ipJ<Array<{ flags: string[] }>>(lab.host('dut').netns, 'link', 'show', lab.host('dut').iface('a').name)[0]!.flags,
    ).not.toContain('UP');
    expect((await udpReaches(lab, 'pa', 'dut', to4)).arrived).toBe(false);
    await lab.linkUp('dut', 'a');
    expect(lab.host('dut').iface('a').ipv6?.address).toBe(to6);
    expect((await udpReaches(lab, 'pa', 'dut', to4)).arrived).toBe(true);
    expect((await udpReaches(lab, 'pa', 'dut', to6)).arrived).toBe(true);
    expect(routeDev(lab.host('dut').netns, '198.19.200.1')).toBe(lab.host('dut').iface('a').name);
  });

  it('a route flip changes the egress: the all-hosts broadcast follows it', async () => {
    const ns = lab.host('dut').netns;
    await lab.setDefaultRoute('dut', 'b');
    expect(routeDev(ns, '198.19.200.1')).toBe(lab.host('dut').iface('b').name);
    expect(ipJ<Array<{ dev: string }>>(ns, '-6', 'route', 'get', '2001:2:ff::1')[0]!.dev).toBe(
      lab.host('dut').iface('b').name,
    );
    expect((await udpReaches(lab, 'dut', 'pb', '255.255.255.255', { broadcast: true })).arrived).toBe(true);
    expect((await udpReaches(lab, 'dut', 'pa', '255.255.255.255', { broadcast: true })).arrived).toBe(false);
    await lab.setDefaultRoute('dut', 'a');
    expect(routeDev(ns, '198.19.200.1')).toBe(lab.host('dut').iface('a').name);
  });

  it('an address change is visible to the kernel, to interfaces() and on the wire', async () => {
    await lab.setAddress('pb', 'b', '198.18.2.77/24');
    const got = ipJ<Array<{ addr_info: Array<{ family: string; local: string }> }>>(
      lab.host('pb').netns,
      'addr',
      'show',
      lab.host('pb').iface('b').name,
    );
    expect(got[0]!.addr_info.filter((a) => a.family === 'inet').map((a) => a.local)).toEqual(['198.18.2.77']);
    expect(lab.host('pb').iface('b').ipv4?.address).toBe('198.18.2.77');
    expect((await udpReaches(lab, 'dut', 'pb', '198.18.2.77')).arrived).toBe(true);
    await expect(lab.setAddress('pb', 'b', '10.0.0.1/24')).rejects.toThrow(/outside 198.18.0.0\/15/);
  });

  it('adds and removes a link at run time', async () => {
    const i = await lab.addLink('pa', 'c');
    expect(lab.segment('c').members).toContain('pa');
    expect(ipJ<Array<{ operstate: string }>>(lab.host('pa').netns, 'link', 'show', i.name)[0]!.operstate).toBe('UP');
    const pb = await lab.addLink('pb', 'c');
    expect((await udpReaches(lab, 'pa', 'pb', pb.ipv4!.address)).arrived).toBe(true);
    await lab.removeLink('pa', 'c');
    expect(() => lab.host('pa').iface('c')).toThrow(/no interface on segment c/);
    expect(ipJ<Array<{ ifname: string }>>(lab.host('pa').netns, 'link', 'show').map((l) => l.ifname)).toEqual([
      'lo',
      lab.host('pa').iface('a').name,
    ]);
    expect((await udpReaches(lab, 'pb', 'pa', i.ipv4!.address)).arrived).toBe(false);
  });

  it('sets MTU and rate (tbf) and removes the shaping again', async () => {
    const dev = lab.host('pa').iface('a').name;
    await lab.setLinkProps('pa', 'a', { mtu: 1300, rate: '5mbit' });
    expect(lab.host('pa').iface('a').mtu).toBe(1300);
    const qd = (): string | undefined =>
      (
        JSON.parse(
          execFileSync('tc', ['-n', lab.host('pa').netns, '-j', 'qdisc', 'show', 'dev', dev], { encoding: 'utf8' }),
        ) as Array<{ kind: string; root?: boolean }>
      ).find((q) => q.root)?.kind;
    expect(qd()).toBe('tbf');
    await lab.setLinkProps('pa', 'a', {});
    expect(qd()).not.toBe('tbf');
  });

  it('netem props either apply or fail with ENETEM, never silently', async () => {
    if (await netemAvailable()) {
      await lab.setLinkProps('pa', 'a', { delayMs: 5 });
      await lab.setLinkProps('pa', 'a', {});
    } else {
      const e = await lab.setLinkProps('pa', 'a', { delayMs: 5 }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(LabError);
      expect(e).toMatchObject({ code: 'ENETEM', message: 'netem is not available in this kernel' });
      await expect(
        bringUpLab(
          { segments: { s: { lossPercent: 1 } }, hosts: { h: { links: [{ segment: 's' }] } } },
          { runId: newRunId(), log: () => {} },
        ),
      ).rejects.toMatchObject({ code: 'ENETEM' });
    }
  });

  it('flaps a link on a schedule and leaves it up, also when aborted', async () => {
    const t0 = Date.now();
    await lab.flap('dut', 'b', { downMs: 30, upMs: 30, count: 3 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 30 + 2 * 30);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await lab.flap('dut', 'b', { downMs: 1000, upMs: 1000, count: 100 }, ac.signal);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(
      ipJ<Array<{ operstate: string }>>(lab.host('dut').netns, 'link', 'show', lab.host('dut').iface('b').name)[0]!
        .operstate,
    ).toBe('UP');
  });
});
