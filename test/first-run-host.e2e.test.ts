/**
 * The first run on a Mac: `netconform run` with no profile picks profiles/first-run-host.yaml
 * there (host mode), and with --allow-host-network that profile shows broadcast and multicast
 * matrices on the machine's own interfaces, not only skips. The real run happens on Linux the
 * way test/suites/hostmode.test.ts runs host mode: inside the multi-homed host's namespace of
 * first-run.yaml's lab, where the harness sees three interfaces as a Mac sees en0, en1, …
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultProfileFor, firstLookHint } from '../harness/cli/commands.ts';
import type { MatrixEvidence } from '../harness/model/check.ts';
import { buildHostTopology, runCli } from './helpers/hostmode.ts';
import { labNeeds } from './helpers/requires.ts';
import { repoRoot } from './helpers/cli.ts';

const needs = labNeeds();

describe('the default profile per platform', () => {
  it('is first-run-host.yaml on macOS and first-run.yaml on Linux', () => {
    expect(defaultProfileFor('darwin')).toBe(join(repoRoot, 'profiles', 'first-run-host.yaml'));
    expect(defaultProfileFor('linux')).toBe(join(repoRoot, 'profiles', 'first-run.yaml'));
  });

  it('on macOS the hint names --allow-host-network, not a Linux lab', () => {
    expect(firstLookHint('darwin', 2, 4, false)).toBe(
      'netconform: 2 of 4 scenarios were skipped; with --allow-host-network ' +
        "they send link-local broadcast and multicast on this machine's own interfaces (netconform run --allow-host-network)",
    );
    expect(firstLookHint('darwin', 1, 4, true)).toMatch(/netconform doctor/);
  });
});

describe.skipIf(!needs.ok)(needs.title('first-run-host.yaml in host mode on three interfaces'), () => {
  it('with --allow-host-network shows the broadcast and multicast matrices; without, says how to get them', {
    timeout: 240_000,
  }, async () => {
    const profile = join(repoRoot, 'profiles', 'first-run-host.yaml');
    const t = await buildHostTopology(join(repoRoot, 'profiles', 'first-run.yaml'), 'multi');
    try {
      const netns = t.lab.host('multi').netns;
      const r = await runCli(profile, { netns, args: ['--allow-host-network'] });
      expect(r.exitCode, r.output).toBe(0);
      const byScenario = Object.fromEntries(r.result.scenarios.map((s) => [s.id, s.checks]));
      for (const id of ['loopback-udp', 'requires-so-broadcast', 'broadcast-reach', 'multicast-asymmetry']) {
        expect(
          byScenario[id]!.some((c) => c.verdict === 'pass'),
          `${id}: ${JSON.stringify(byScenario[id])}`,
        ).toBe(true);
      }
      const matrices = (id: string) =>
        byScenario[id]!.flatMap((c) => c.evidence.filter((e): e is MatrixEvidence => e.kind === 'matrix'));
      // One column per interface of the "Mac": the three segments the namespace has.
      expect(matrices('broadcast-reach').some((m) => m.cols.length === 3)).toBe(true);
      expect(matrices('multicast-asymmetry').length).toBeGreaterThan(0);

      const without = await runCli(profile, { netns });
      expect(without.exitCode, without.output).toBe(0);
      const skipped = without.result.scenarios
        .filter((s) => s.checks.every((c) => c.verdict === 'skip'))
        .map((s) => s.id);
      expect(skipped).toEqual(['broadcast-reach', 'multicast-asymmetry']);
    } finally {
      await t.down();
    }
  });
});
