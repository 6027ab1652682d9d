/**
 * multicast.group-peers at 32 peers: full mesh, each peer sending 100 datagrams/s
 * (intervalMs 10, 500 rounds) in one lab segment — test/bench/group-peers/mesh-32.yaml through
 * the runner, each run in a child process of its own (./group-peers/child.ts) so its peak RSS is
 * that run's. Targets: 0 loss in the matrix, at the asked rate. All 32 peers send and receive in
 * the harness's one thread: ~99,000 receptions a second at the full rate, so the rate it reaches
 * is bounded by the CPU that thread gets (the CPU rows; the load average is in each run's log line).
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stats } from './stats.ts';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

const CHILD = fileURLToPath(new URL('./group-peers/child.ts', import.meta.url));

interface ChildResult {
  verdict: string;
  reason?: string;
  worstLossPercent: number;
  perPeerPerSecond: number | null;
  asked: number | null;
  received: number | null;
  roundsCpuS: number | null;
  cpuS: number;
  childCpuS: number;
  maxRssMb: number;
  loadAvg: number;
}

const suite: BenchSuite = {
  name: 'group-peers',
  async run({ quick, log }): Promise<BenchSection> {
    if (process.getuid?.() !== 0)
      return { name: 'group peers, 32-peer full mesh', rows: [], notes: ['skipped: needs root (a lab)'] };
    const runs = quick ? 1 : 3;
    const got: ChildResult[] = [];
    for (let n = 0; n < runs; n++) {
      const out = execFileSync(process.execPath, ['--import', 'tsx', CHILD], { encoding: 'utf8', timeout: 300_000 });
      const r = JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
      got.push(r);
      log(
        `group-peers 32 run ${n + 1}/${runs}: ${r.verdict}, worst pair loss ${r.worstLossPercent}%, ${r.perPeerPerSecond ?? '?'}/s per peer of ${r.asked ?? '?'}, rounds CPU ${r.roundsCpuS ?? '?'} s, process CPU ${r.cpuS.toFixed(2)} s + children ${r.childCpuS.toFixed(2)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB, load ${r.loadAvg.toFixed(1)}`,
      );
    }
    const label = '32 peers × 100/s, full mesh';
    const asked = got[0]?.asked ?? 100;
    const rate = stats(got.map((r) => r.perPeerPerSecond ?? 0));
    const rows: BenchRow[] = [
      {
        case: `worst pair loss, ${label}`,
        impl: 'netconform',
        unit: '%',
        ...stats(got.map((r) => r.worstLossPercent)),
        target: '0 % (every run passes)',
        met: got.every((r) => r.verdict === 'pass' && r.worstLossPercent === 0),
      },
      {
        case: `send rate reached per peer, ${label}`,
        impl: 'netconform',
        unit: '/s',
        ...rate,
        ratio: Math.round((rate.median / asked) * 100) / 100,
        reference: `asked ${asked}/s`,
        target: `${asked}/s`,
        met: rate.median >= asked * 0.99,
      },
      {
        case: `harness CPU over the rounds, ${label}`,
        impl: 'netconform',
        unit: 's',
        ...stats(got.map((r) => r.roundsCpuS ?? 0)),
      },
      {
        case: `harness CPU, whole run (lab, rounds, analysis, teardown), ${label}`,
        impl: 'netconform',
        unit: 's',
        ...stats(got.map((r) => r.cpuS)),
      },
      { case: `children CPU (sh, ip), ${label}`, impl: 'netconform', unit: 's', ...stats(got.map((r) => r.childCpuS)) },
      { case: `peak RSS, ${label}`, impl: 'netconform', unit: 'MB', ...stats(got.map((r) => r.maxRssMb)) },
    ];
    const notes = [
      `medians of ${runs} runs, each a fresh process running test/bench/group-peers/mesh-32.yaml; load average at the end of each: ${got.map((r) => r.loadAvg.toFixed(1)).join(', ')}`,
      'the rate row is what the peers reached: rounds are scheduled every intervalMs, and a round the harness thread is late for is sent late, never skipped; the loss row holds whatever rate was reached',
    ];
    const failed = got.filter((r) => r.verdict !== 'pass');
    if (failed.length) notes.push(`not passed: ${failed.map((r) => `${r.verdict}: ${r.reason ?? ''}`).join(' | ')}`);
    return { name: 'group peers, 32-peer full mesh', rows, notes };
  },
};

export default suite;
