/**
 * Lab size scaling: bring-up + teardown of 4, 32, 128 and 250 hosts (one link each,
 * spread over up to 64 segments), each run in a child process of its own so peak RSS is that
 * lab's. Target: 250 hosts ≤ 5 s up + down, growing linearly (the ratio column is the time per
 * namespace against the 4-host lab's: ≈ 1 is linear).
 */
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { stats } from './stats.ts';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

const CHILD = fileURLToPath(new URL('./lab-scale/child.ts', import.meta.url));
const SIZES: Array<[hosts: number, segments: number]> = [
  [4, 2],
  [32, 8],
  [128, 32],
  [250, 64],
];

interface ChildResult {
  upMs: number;
  downMs: number;
  maxRssMb: number;
  cpuS: number;
  childCpuS: number;
  left: number;
}

const suite: BenchSuite = {
  name: 'lab-scale',
  async run({ quick, log }): Promise<BenchSection> {
    if (process.getuid?.() !== 0)
      return { name: 'lab size scaling', rows: [], notes: ['skipped: needs root (network namespaces)'] };
    const runs = quick ? 1 : 3;
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    let perNsRef: number | undefined;
    for (const [hosts, segments] of SIZES) {
      const got: ChildResult[] = [];
      for (let n = 0; n < runs; n++) {
        const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD, String(hosts), String(segments)], {
          encoding: 'utf8',
          timeout: 600_000,
        });
        const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
        if (r.left > 0) notes.push(`${hosts} hosts: teardown left ${r.left} namespaces of its run`);
        got.push(r);
        log(
          `lab-scale ${hosts} hosts × ${segments} segments run ${n + 1}/${runs}: up ${r.upMs.toFixed(0)} ms, down ${r.downMs.toFixed(0)} ms, CPU ${r.cpuS.toFixed(2)} s + children ${r.childCpuS.toFixed(2)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB, load ${loadavg()[0]!.toFixed(1)}`,
        );
      }
      const label = `${hosts} hosts × ${segments} segments`;
      const total = stats(got.map((r) => r.upMs + r.downMs));
      const perNs = total.median / (hosts + segments);
      perNsRef ??= perNs;
      const ratio = Math.round((perNs / perNsRef) * 100) / 100;
      const target = hosts >= 250 ? { target: '≤ 5000 ms', met: total.median <= 5000 } : {};
      rows.push({ case: `lab up, ${label}`, impl: 'netconform', unit: 'ms', ...stats(got.map((r) => r.upMs)) });
      rows.push({ case: `lab down, ${label}`, impl: 'netconform', unit: 'ms', ...stats(got.map((r) => r.downMs)) });
      rows.push({
        case: `lab up + down, ${label}`,
        impl: 'netconform',
        unit: 'ms',
        ...total,
        ...(hosts > SIZES[0]![0] && { ratio, reference: 'ms per namespace vs 4 hosts' }),
        ...target,
      });
      // CPU varies far less with the machine's load than wall time does.
      rows.push({
        case: `lab up + down CPU (harness + its sh/ip children), ${label}`,
        impl: 'netconform',
        unit: 'ms',
        ...stats(got.map((r) => (r.cpuS + r.childCpuS) * 1000)),
      });
      rows.push({ case: `peak RSS, ${label}`, impl: 'netconform', unit: 'MB', ...stats(got.map((r) => r.maxRssMb)) });
    }
    notes.push(
      `medians of ${runs} runs, each in a fresh process (tsx start-up not timed); a lab of H hosts and S segments is H + S namespaces, one root-namespace ip batch, then one ip per namespace forked by a few sh processes (harness/lab/ip-many.ts); load average ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' / ')} at the end (1/5/15 min)`,
    );
    return { name: 'lab size scaling', rows, notes };
  },
};

export default suite;
