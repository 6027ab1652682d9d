/**
 * lnp.probe in host mode, with a lab host's namespace standing in for "this host" (the CLI
 * runs under `ip netns exec`, so "real interfaces" are the lab's and nothing reaches a real
 * network): the harness's row passes and its datagrams cross the segment (tcpdump witness);
 * the macOS launch contexts are skipped on Linux with the reason; without
 * --allow-host-network the scenario is skipped saying so. Root.
 */
import { execa } from 'execa';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bringUpLab, newRunId } from '../../harness/lab/index.ts';
import { segmentNetns } from '../../harness/lab/names.ts';
import type { Lab } from '../../harness/lab/types.ts';
import type { RunResult } from '../../harness/model/results.ts';
import { bin, readJson, repoRoot, tempOut } from '../helpers/cli.ts';
import { isolateState } from '../lab/helpers.ts';
import { witnessedLabNeeds } from './helpers-net/run.ts';
import { startWitness, type Witness } from './helpers-net/witness.ts';

describe.skipIf(!witnessedLabNeeds.ok)(
  witnessedLabNeeds.title('lnp.probe in host mode (a lab namespace as the host)'),
  () => {
    let lab: Lab;
    let witness: Witness;
    const runId = newRunId();
    isolateState();
    beforeAll(async () => {
      lab = await bringUpLab(
        {
          segments: { a: {} },
          hosts: { box: { links: [{ segment: 'a' }], defaultRoute: 'a' }, other: { links: [{ segment: 'a' }] } },
        },
        { runId, log: () => {} },
      );
      witness = await startWitness(segmentNetns(runId, 'a'), 'udp portrange 47870-47873 or arp');
    });
    afterAll(async () => {
      await witness?.stop();
      await lab?.down();
    });

    const runIn = async (extra: string[]): Promise<RunResult> => {
      const out = await tempOut('nc-lnp-host-');
      await execa(
        'ip',
        [
          'netns',
          'exec',
          lab.host('box').netns,
          process.execPath,
          bin,
          'run',
          'profiles/lnp-host.yaml',
          '--out',
          out,
          ...extra,
        ],
        { cwd: repoRoot, reject: false, timeout: 120_000 },
      );
      return readJson<RunResult>(join(out, 'results.json'));
    };

    it('the harness row passes and its sends cross the segment; launchagent and sudo are skipped on Linux', async () => {
      const r = await runIn(['--allow-host-network']);
      const checks = r.scenarios[0]!.checks;
      expect(checks.map((c) => c.verdict)).toEqual(['pass', 'skip', 'skip']);
      expect(checks[0]!.reason).toContain('unicast, broadcast, multicast v4 and multicast v6 sends went out');
      expect(checks[1]!.reason).toContain('matters only on macOS');
      await new Promise((res) => setTimeout(res, 300));
      const kinds = ['unicast', 'broadcast', 'multicast4', 'multicast6'].filter((k) =>
        witness.packets.some((p) => new RegExp(`NCLNP [0-9a-f]{8} ${k} \\d+ from-agent`).test(p.payload)),
      );
      // Nobody owns 169.254.255.1: the unicast send leaves as an ARP request only (the datagram
      // waits for a neighbour that never answers) — which is why host mode cannot confirm it.
      expect(kinds).toEqual(['broadcast', 'multicast4', 'multicast6']);
      expect(witness.packets.some((p) => /ARP, Request who-has 169\.254\.255\.1 /.test(p.header))).toBe(true);
    });

    it('without --allow-host-network it is skipped, saying so', async () => {
      const r = await runIn([]);
      expect(r.scenarios[0]!.checks.map((c) => c.verdict)).toEqual(['skip']);
      expect(r.scenarios[0]!.checks[0]!.reason).toMatch(/allow-host-network/);
    });
  },
);
