/**
 * Host mode (no `lab:`, what a macOS user runs), exercised on Linux: the harness runs inside a
 * lab host's namespace, sees only that host's interfaces, and measures each segment through a
 * peer agent in another namespace. Its verdicts and matrices must equal the lab-mode run of the
 * same topology, cell by cell (modulo generated interface names). Needs root.
 * Timeouts are generous: each case starts the CLI twice (tsx compiles the harness each time),
 * which took 30–110 s per case while the full suite ran on this 2-core machine.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import {
  buildHostTopology,
  comparable,
  hostProfile,
  ifaceSegments,
  runCli,
  writeProfile,
  type HostTopology,
} from '../helpers/hostmode.ts';
import { labNeeds } from '../helpers/requires.ts';
import { netnsOfRuns, repoRoot } from './helpers-net/run.ts';

const needs = labNeeds();

async function compareModes(profile: string, host: string, rename: (t: HostTopology) => Record<string, string>) {
  const file = resolve(repoRoot, profile);
  const t = await buildHostTopology(file, host);
  try {
    const hostFile = await writeProfile(hostProfile(await readFile(file, 'utf8'), t));
    const [hm, lm] = [
      await runCli(hostFile, { netns: t.lab.host(host).netns, args: ['--allow-host-network'] }),
      await runCli(file),
    ];
    const hostSide = comparable(hm.result, ifaceSegments([t.lab.describe()]), rename(t));
    const labSide = comparable(lm.result, ifaceSegments(lm.result.labs.map((l) => l.interfaces)));
    return { hm, lm, hostSide, labSide, topology: t, runIds: [t.lab.runId, ...lm.result.labs.map((l) => l.runId)] };
  } finally {
    await t.down();
  }
}

describe.skipIf(!needs.ok)(needs.title('host mode inside a namespace vs the same topology as a lab'), () => {
  it('broadcast.reach and broadcast.requires-so-broadcast: same verdicts and matrices, cell by cell', {
    timeout: 240_000,
  }, async () => {
    const r = await compareModes('profiles/broadcast.yaml', 'multi', () => ({}));
    expect(r.lm.exitCode, r.lm.output).toBe(0);
    expect(r.hm.exitCode, r.hm.output).toBe(0);
    expect(r.hostSide).toEqual(r.labSide);
    // Not vacuous: every segment measured, the known-bad case failing the same two cells in both.
    expect(r.hostSide.filter((c) => c.verdict === 'skip')).toEqual([]);
    const bad = r.hostSide.find((c) => c.scenario === 'reach-all-unbound')!;
    expect(bad.verdict).toBe('xfail');
    expect(bad.matrices[0]!.mismatches).toEqual(['unbound@lan-b', 'unbound@lan-c']);
    expect(r.hostSide.filter((c) => c.scenario === 'requires-so-broadcast').map((c) => c.verdict)).toEqual(
      Array(9).fill('pass'),
    );
    // The host-mode listeners were the agents, not this host's loopback copies.
    const reach = r.hm.result.scenarios.find((s) => s.id === 'reach')!;
    expect(reach.log.join('\n')).toMatch(/peer-b\/nc[a-z0-9]{5}i1 \(peer agent 198\.18\.2\.\d+\)/);
    expect(netnsOfRuns(r.runIds)).toEqual([]);
    expect(r.topology.agentProcesses).toHaveLength(3);
    expect(r.topology.agentProcesses.filter((p) => p.running()).map((p) => p.pid)).toEqual([]);
  });

  it('multicast.asymmetry (IPv4, ff02::, ff05::, loopback, TTL 0, join one): same verdicts and matrices', async () => {
    const r = await compareModes('profiles/multicast-asymmetry.yaml', 'multi', () => ({}));
    expect(r.lm.exitCode, r.lm.output).toBe(0);
    expect(r.hm.exitCode, r.hm.output).toBe(0);
    expect(r.hostSide).toEqual(r.labSide);
    const receive = r.hostSide.filter((c) => c.name.startsWith('receive '));
    expect(receive.length).toBeGreaterThanOrEqual(3);
    expect(receive.every((c) => c.verdict === 'pass')).toBe(true);
    expect(r.hostSide.find((c) => c.scenario === 'expect-all-unset')!.verdict).toBe('xfail');
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  }, 240_000);

  it('multicast.group-peers: this host plus agents form the same N×N matrices as the lab peers', {
    timeout: 240_000,
  }, async () => {
    const r = await compareModes('profiles/group-peers.yaml', 'p4', () => ({ 'this host': 'p4' }));
    expect(r.lm.exitCode, r.lm.output).toBe(0);
    expect(r.hm.exitCode, r.hm.output).toBe(0);
    expect(r.hostSide).toEqual(r.labSide);
    const two = r.hostSide.find((c) => c.scenario === 'two-segments' && c.name === 'full mesh')!;
    expect(two.matrices[0]!.rows).toEqual(['p1', 'p2', 'p3', 'p4', 'p5']);
    expect(two.matrices[0]!.cells[4]).toEqual(['·', '·', '·', '8/8', '·']); // p5 hears only p4, the bridge
    expect(netnsOfRuns(r.runIds)).toEqual([]);
  });
});

describe.skipIf(!needs.ok)(needs.title('host mode: honest without agents, clear about bad peers'), () => {
  let t: HostTopology;
  beforeAll(async () => {
    t = await buildHostTopology(resolve(repoRoot, 'profiles/broadcast.yaml'), 'multi');
  }, 120_000);
  afterAll(async () => {
    await t?.down();
  });

  it('without with.peers: reach reports egress (loopback copies) and says delivery was not measured; receive is skipped; local-only mesh says so', {
    timeout: 120_000,
  }, async () => {
    const yaml = `profile: host-alone
scenarios:
  - { id: reach, use: broadcast.reach, with: { port: 47850 } }
  - { id: asym, use: multicast.asymmetry, with: { port: 47851, families: [4] } }
  - { id: mesh, use: multicast.group-peers, with: { port: 47852, rounds: 5 } }
`;
    const r = await runCli(await writeProfile(yaml), {
      netns: t.lab.host('multi').netns,
      args: ['--allow-host-network'],
    });
    expect(r.exitCode, r.output).toBe(0);
    const checks = r.result.scenarios.flatMap((s) => s.checks);
    const unbound = checks.find((c) => c.name === 'all-hosts broadcast, unbound')!;
    expect(unbound.verdict).toBe('pass');
    expect(unbound.reason).toContain('delivery to the segment was not measured');
    const receive = checks.find((c) => c.name.startsWith('receive 239.255.0.1'))!;
    expect(receive.verdict).toBe('skip');
    expect(receive.reason).toContain('name peer agents in with.peers');
    expect(checks.find((c) => c.name === 'full mesh')!.reason).toContain(
      "the kernel's loopback delivery, not the network",
    );
  });

  it('a named peer that runs no agent is an error naming it; one outside the safe ranges is never contacted', {
    timeout: 120_000,
  }, async () => {
    const yaml = `profile: host-bad-peers
scenarios:
  - { id: silent, use: broadcast.reach, with: { port: 47853, peers: [198.18.2.250] } }
  - { id: unsafe, use: multicast.asymmetry, with: { port: 47854, peers: [192.0.2.7] } }
`;
    const r = await runCli(await writeProfile(yaml), {
      netns: t.lab.host('multi').netns,
      args: ['--allow-host-network'],
    });
    expect(r.exitCode).toBe(1);
    const [silent, unsafe] = ['silent', 'unsafe'].map((id) => r.result.scenarios.find((s) => s.id === id)!.checks[0]!);
    expect(silent!.verdict).toBe('error');
    expect(silent!.reason).toMatch(
      /peer agent 198\.18\.2\.250:47800 did not answer hello .*is netconform agent running there\?/,
    );
    expect(unsafe!.verdict).toBe('error');
    expect(unsafe!.reason).toContain('192.0.2.7 is outside the addresses netconform sends to');
  });

  it('requires-so-broadcast with peers refuses without --allow-host-network', { timeout: 120_000 }, async () => {
    const yaml = `profile: host-so\nscenarios:\n  - { id: so, use: broadcast.requires-so-broadcast, with: { port: 47855, peers: [198.18.2.3] } }\n`;
    const r = await runCli(await writeProfile(yaml), { netns: t.lab.host('multi').netns });
    const c = r.result.scenarios[0]!.checks[0]!;
    expect(c.verdict).toBe('skip');
    expect(c.reason).toContain('refusing without --allow-host-network');
  });
});
