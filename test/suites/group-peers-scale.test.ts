// multicast.group-peers at 32 peers: the count cap is 64; a 32-peer full mesh in one
// lab segment gives a 32 × 32 matrix with every off-diagonal cell complete, says the send rate it
// reached and this process's CPU, keeps the latency samples bounded, and its report renders.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../harness/loader/ajv.ts';
import { run } from '../../harness/runner/run.ts';
import { cdfPlot } from '../../harness/reporters/html/plots/cdf.ts';
import groupPeers from '../../suites/multicast/group-peers.ts';
import { labNeeds } from '../helpers/requires.ts';
import { tempDir } from '../helpers/tmp.ts';
import { checkNamed, matrixOf, scenario } from './helpers-net/run.ts';

const PEERS = 32;
const ROUNDS = 40;

describe('group-peers count cap', () => {
  it('accepts 32 and 64 peers, refuses 65', () => {
    const valid = compile(groupPeers.withSchema as object);
    expect(valid({ count: 32 })).toBe(true);
    expect(valid({ count: 64 })).toBe(true);
    expect(valid({ count: 65 })).toBe(false);
  });

  it('the latency CDF of a 32-peer mesh (992 series × 200 drawn points) renders', () => {
    const series = Array.from({ length: 992 }, (_, k) => ({
      name: `p${k}`,
      samples: Array.from({ length: 400 }, (_, i) => (i % 97) / 10 + k / 1000),
    }));
    const html = cdfPlot({ kind: 'distribution', title: 'one-way latency per pair (CDF)', unit: 'ms', series });
    expect(html).toContain('<svg');
    expect(html).toContain('p991 (400 samples)');
  });
});

const need = labNeeds();
describe.skipIf(!need.ok)(need.title(`group-peers with ${PEERS} peers in a lab`), () => {
  it(`full mesh of ${PEERS}: every pair complete, rate and CPU reported, CDF bounded and drawable`, async () => {
    const hosts = Array.from({ length: PEERS }, (_, k) => `    p${k + 1}: { links: [{ segment: lan }] }`).join('\n');
    const dir = await tempDir('nc-gp32-');
    const file = join(dir, 'gp32.yaml');
    await writeFile(
      file,
      `profile: gp32\nlab:\n  segments: { lan: {} }\n  hosts:\n${hosts}\nscenarios:\n  - id: mesh\n    use: multicast.group-peers\n    timeout: 120s\n    with: { count: ${PEERS}, group: 239.255.0.33, port: 47861, rounds: ${ROUNDS}, warmup: 2, intervalMs: 10 }\n`,
    );
    const { result } = await run({
      files: [file],
      outDir: await tempDir('nc-gp32-out-'),
      reporters: [],
      allowHostNetwork: false,
      interrupt: new AbortController().signal,
    });
    const mesh = checkNamed(scenario(result, 'mesh'), /full mesh/);
    expect(mesh.verdict, mesh.reason).toBe('pass');
    const m = matrixOf(mesh);
    expect(m.rows).toHaveLength(PEERS);
    const counted = ROUNDS - 2;
    // Diagonal: no loopback, so not expected; every other cell: all counted rounds.
    m.cells.forEach((row, r) =>
      row.forEach((cell, c) =>
        expect(cell, `${m.rows[r]} ← ${m.cols[c]}`).toBe(r === c ? '·' : `${counted}/${counted}`),
      ),
    );
    expect(mesh.reason).toMatch(/datagrams\/s per peer of the 100\/s asked/);
    const rate = mesh.evidence.find((e) => e.kind === 'numbers' && e.title.startsWith('send rate'));
    expect(rate?.kind === 'numbers' && rate.values).toMatchObject({
      rounds: ROUNDS,
      asked: 100,
      received: ROUNDS * PEERS * (PEERS - 1),
    });
    expect(rate?.kind === 'numbers' && Number(rate.values.cpuSeconds)).toBeGreaterThan(0);
    const cdf = mesh.evidence.find((e) => e.kind === 'distribution');
    if (cdf?.kind !== 'distribution') throw new Error('no latency distribution evidence');
    expect(cdf.series).toHaveLength(PEERS * (PEERS - 1));
    // 992 pairs share 200,000 samples: at most 201 each here (ROUNDS - 2 = 38 per pair are all kept).
    expect(cdf.series.every((s) => s.samples.length === counted)).toBe(true);
    // ~1,000 series: the plot's axis range is found without spreading every point into Math.min.
    expect(cdfPlot(cdf)).toContain('<svg');
  }, 180_000);
});
