/**
 * profiles/lnp.yaml through the real runner in a real lab (root): exits 0 with no skips, the
 * naive SUT an xfail; tcpdump in each segment's switch namespace witnesses what left each host
 * — the probe agent's datagrams only from the allowed host, the peers' datagrams to every host
 * (receiving works), the naive SUT only in its control run under allowed, the good SUT after the
 * grant on both segments.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cgroup2Mount } from '../../harness/lab/local-network.ts';
import { probeCapabilities } from '../../harness/runner/capabilities.ts';
import { checkNamed, matrixOf, netnsOfRuns, runWitnessed, scenario, witnessedLabNeeds } from './helpers-net/run.ts';
import type { Witness } from './helpers-net/witness.ts';

const KINDS = ['unicast', 'broadcast', 'multicast4', 'multicast6'];
// Beyond a witnessed lab: the 'lnp' capability (cgroup v2 + BPF), probed as the runner does.
const caps = witnessedLabNeeds.ok ? await probeCapabilities() : undefined;
const skip = !witnessedLabNeeds.ok ? witnessedLabNeeds.reason : !caps!.lnp.ok ? caps!.lnp.reason : undefined;

const kindsOnWire = (w: Witness, token: string, from: 'agent' | 'peer'): string[] =>
  KINDS.filter((k) => w.packets.some((p) => new RegExp(`NCLNP ${token} ${k} \\d+ from-${from}`).test(p.payload)));

describe.skipIf(skip !== undefined)(`lnp in a lab${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('profiles/lnp.yaml exits 0, 0 skips, naive SUT xfail; the witness agrees with every verdict', async () => {
    const r = await runWitnessed(['profiles/lnp.yaml'], {
      filter: 'udp and portrange 47870-47886',
      segments: ['lan-a', 'lan-b'],
    });
    expect(r.exitCode).toBe(0);
    expect(r.result.summary).toMatchObject({ failed: 0, errors: 0, skipped: 0, xfail: 2 });
    const lanA = r.segments.get(r.runIds[0]!)!.get('lan-a')!;

    const probe = scenario(r.result, 'probe');
    const token = (host: string): string =>
      /token ([0-9a-f]{8})/.exec(matrixOf(checkNamed(probe, new RegExp(`from ${host} `))).title)![1]!;
    expect(checkNamed(probe, /from mac-denied /).reason).toContain('send denied (EHOSTUNREACH) while receive works');
    expect(checkNamed(probe, /from mac-silent /).reason).toContain(
      'send said yes but the peer saw nothing (silently dropped) while receive works',
    );
    expect(kindsOnWire(lanA, token('mac'), 'agent')).toEqual(KINDS);
    expect(kindsOnWire(lanA, token('mac-denied'), 'agent')).toEqual([]);
    expect(kindsOnWire(lanA, token('mac-silent'), 'agent')).toEqual([]);
    for (const h of ['mac', 'mac-denied', 'mac-silent']) expect(kindsOnWire(lanA, token(h), 'peer')).toEqual(KINDS);

    const naive = scenario(r.result, 'naive-detects-denial');
    // The control run under allowed comes first: neither SUT reports a denial there.
    expect(naive.checks.map((c) => c.verdict)).toEqual(['pass', 'xfail', 'xfail']);
    expect(naive.checks[0]!.name).toBe('SUT reports no denial when the network is allowed (control)');
    expect(naive.checks[1]!.reason).toContain(
      'the SUT never told the user within 3000 ms although its sends failed with EHOSTUNREACH',
    );
    expect(naive.checks[2]!.reason).toContain('its sends said yes and nothing left the host');
    expect(scenario(r.result, 'good-detects-denial').checks.map((c) => c.verdict)).toEqual(['pass', 'pass', 'pass']);
    for (const id of ['good-recovers', 'good-recovers-silent'])
      expect(scenario(r.result, id).checks.map((c) => c.verdict)).toEqual(['pass', 'pass']);

    const segs = r.segments.get(r.runIds[0]!)!;
    const carried = (tag: string): string[] =>
      ['lan-a', 'lan-b'].filter((s) => segs.get(s)!.packets.some((p) => p.payload.includes(`DISCOVER ${tag}`)));
    // The naive SUT ran under allowed only, as the control: there its discovery reached both segments.
    expect(carried('example-lnp-naive')).toEqual(['lan-a', 'lan-b']);
    expect(carried('example-lnp-good')).toEqual(['lan-a', 'lan-b']);
    expect(r.root.packets.filter((p) => /NCLNP|DISCOVER/.test(p.payload))).toEqual([]);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
    const mount = cgroup2Mount()!;
    for (const h of ['mac', 'mac-denied', 'mac-silent'])
      expect(existsSync(join(mount, `nc-${r.runIds[0]}-${h}`))).toBe(false);
  }, 120_000);

  it('judges the whole window and every line: a late claim fails, a denial reported under allowed proves nothing, chatter hides no report', async () => {
    const r = await runWitnessed([judgedProfile], { filter: 'udp and port 47890', segments: ['lan-a'] });
    expect(r.exitCode).toBe(1);
    const late = scenario(r.result, 'claims-after-report');
    expect(late.checks.map((c) => c.verdict)).toEqual(['fail']);
    expect(late.checks[0]!.reason).toMatch(
      /^the SUT claimed success under denied \("found 3 devices" at \+\d+ ms\), after it reported the denial/,
    );
    const always = scenario(r.result, 'always-denied');
    expect(always.checks.map((c) => c.verdict)).toEqual(['fail', 'error']);
    expect(always.checks[0]!.reason).toMatch(
      /^the SUT reported a denial although local network access was allowed \(printed "local network access denied" at/,
    );
    expect(always.checks[1]!.reason).toMatch(
      /but it reported a denial under allowed too \(control\), so this report proves nothing/,
    );
    // 30,000 lines (over 500 KiB with their prefixes) before the report, on stderr: past the 256 KiB the report keeps.
    const chatty = scenario(r.result, 'chatty');
    expect(chatty.checks.map((c) => c.verdict)).toEqual(['pass']);
    expect(chatty.checks[0]!.reason).toMatch(/^the SUT printed "local network access denied" at \+\d+ ms/);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  }, 120_000);
});

const judgedProfile = `profile: lnp-judged
lab:
  segments: { lan-a: {} }
  hosts:
    mac: { links: [{ segment: lan-a }], defaultRoute: lan-a }
    peer-a: { links: [{ segment: lan-a }] }
scenarios:
  - id: claims-after-report
    use: lnp.sut-detects-denial
    sut: { host: mac, command: [python3, -c, "import time; print('starting', flush=True); print('local network access denied', flush=True); time.sleep(0.4); print('found 3 devices', flush=True); time.sleep(30)"], ready: { line: '^starting' } }
    with: { port: 47890, withinMs: 2000, policies: [denied], control: false }
  - id: always-denied
    use: lnp.sut-detects-denial
    sut: { host: mac, command: [python3, -c, "import time; print('starting', flush=True); print('local network access denied', flush=True); time.sleep(30)"], ready: { line: '^starting' } }
    with: { port: 47890, withinMs: 2000, policies: [denied] }
  - id: chatty
    use: lnp.sut-detects-denial
    sut: { host: mac, ready: { line: '^starting' }, command: [python3, -c, "import sys, time\\nprint('starting', flush=True)\\nfor i in range(30000): print('chatter line %d' % i)\\nsys.stdout.flush(); print('local network access denied', file=sys.stderr, flush=True); time.sleep(30)"] }
    with: { port: 47890, withinMs: 8000, policies: [denied], control: false }
`;
