// A lab at the size limits' scale (250 hosts, 64 segments) comes up as planned, carries
// traffic on its largest and its last segment, and teardown removes every namespace it made
// — judged by this run's own id, since other runs' labs may exist on the machine meanwhile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import type { LabSpec } from '../../harness/lab/schema.ts';
import type { Lab } from '../../harness/lab/types.ts';
import { ipJ, isolateState, labNeed, snapshot, udpReaches } from './helpers.ts';

const HOSTS = 250;
const SEGMENTS = 64;

/** Host k has one link, on segment k mod `segments` (so 3 or 4 hosts per segment). */
function bigSpec(hosts = HOSTS, segments = SEGMENTS): LabSpec {
  const spec: LabSpec = { segments: {}, hosts: {} };
  for (let s = 0; s < segments; s++) spec.segments[`s${s}`] = {};
  for (let k = 0; k < hosts; k++) spec.hosts[`h${k}`] = { links: [{ segment: `s${k % segments}` }] };
  return spec;
}

describe.skipIf(!labNeed.ok)(labNeed.title(`lab of ${HOSTS} hosts and ${SEGMENTS} segments`), () => {
  let lab: Lab | undefined;
  const runId = newRunId();
  isolateState();

  beforeAll(async () => {
    lab = await bringUpLab(bigSpec(), { runId, log: () => {} });
  }, 240_000);
  afterAll(async () => {
    await lab?.down();
  }, 240_000);

  it('creates one namespace per host and per segment, all carrying its run id', () => {
    const mine = snapshot(runId).netns;
    expect(mine.length).toBe(HOSTS + SEGMENTS);
    expect(mine.filter((n) => n.startsWith(`nc-${runId}-h`)).length).toBe(HOSTS);
    expect(mine.filter((n) => n.startsWith(`ncs-${runId}-s`)).length).toBe(SEGMENTS);
  });

  it('gives the last host its planned address and a bridge port per member on its segment', () => {
    const last = lab!.host(`h${HOSTS - 1}`);
    const seg = lab!.segment(`s${(HOSTS - 1) % SEGMENTS}`);
    // Host number k is preferred on every segment (alloc.ts): h249 is .250 on its /24.
    expect(last.iface(seg.name).ipv4?.address).toBe(`${seg.ipv4Prefix.split('.').slice(0, 3).join('.')}.${HOSTS}`);
    const ports = ipJ<Array<{ ifname: string; master?: string; operstate: string }>>(
      `ncs-${runId}-${seg.name}`,
      'link',
      'show',
    ).filter((l) => l.master !== undefined);
    expect(ports.length).toBe(seg.members.length);
    expect(ports.every((p) => p.operstate === 'UP')).toBe(true);
  });

  it('every interface came up with an IPv4, an IPv6 and a link-local address', () => {
    const missing = lab!.hosts.flatMap((h) =>
      h
        .interfaces()
        .filter((i) => !i.ipv4 || !i.ipv6 || !i.linkLocal6)
        .map((i) => `${h.name}/${i.segment}`),
    );
    expect(missing).toEqual([]);
    expect(lab!.hosts.flatMap((h) => h.interfaces()).length).toBe(HOSTS);
  });

  it("each host's read-back is its own: every host shows its own planned address (none swapped between namespaces)", () => {
    // Host number k is .k on its segment's /24 (alloc.ts); the cache comes from each namespace's `addr show`.
    const wrong = lab!.hosts.flatMap((h, k) => {
      const seg = lab!.segment(`s${k % SEGMENTS}`);
      const want = `${seg.ipv4Prefix.split('.').slice(0, 3).join('.')}.${k + 1}`;
      const got = h.iface(seg.name).ipv4?.address;
      return got === want ? [] : [`${h.name}: ${got ?? 'none'} (want ${want})`];
    });
    expect(wrong).toEqual([]);
    // And the kernel agrees for a host in the middle and the last one.
    for (const k of [HOSTS >> 1, HOSTS - 1]) {
      const h = lab!.host(`h${k}`);
      const addrs = ipJ<Array<{ addr_info?: Array<{ local: string }> }>>(h.netns, 'addr', 'show')
        .flatMap((l) => l.addr_info ?? [])
        .map((a) => a.local);
      expect(addrs).toContain(h.interfaces()[0]!.ipv4!.address);
    }
  });

  it('carries traffic between the first and the last member of the last segment', async () => {
    const seg = lab!.segment(`s${SEGMENTS - 1}`);
    const [a, b] = [seg.members[0]!, seg.members[seg.members.length - 1]!];
    expect(a).not.toBe(b);
    const r = await udpReaches(lab!, a, b, lab!.host(b).iface(seg.name).ipv4!.address);
    expect(r.arrived, r.sendResult).toBe(true);
  }, 60_000);

  it('tears down every namespace of this run', async () => {
    await lab!.down();
    expect(snapshot(runId).netns).toEqual([]);
  }, 240_000);
});
