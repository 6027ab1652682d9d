/**
 * One run of test/bench/group-peers/mesh-32.yaml (32 peers, 100 datagrams/s each, 500 rounds)
 * through the runner, in a process of its own so its peak RSS (getrusage(2) ru_maxrss) is that
 * run's alone — lab bring-up, rounds, analysis and teardown. Prints one JSON line:
 * { verdict, worstLossPercent, perPeerPerSecond, asked, received, roundsCpuS, cpuS, childCpuS, maxRssMb, loadAvg }.
 * roundsCpuS is the scenario's own figure (this process's CPU over the rounds);
 * childCpuS = reaped children (sh, ip, tc), proc(5) stat cutime + cstime.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../harness/runner/run.ts';
import type { NumbersEvidence } from '../../../harness/model/check.ts';

const PROFILE = process.argv[2] ?? fileURLToPath(new URL('./mesh-32.yaml', import.meta.url));

function childCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}

const out = mkdtempSync(path.join(tmpdir(), 'nc-bench-gp-'));
try {
  const { result } = await run({
    files: [PROFILE],
    outDir: out,
    reporters: [],
    allowHostNetwork: false,
    interrupt: new AbortController().signal,
  });
  const sc = result.scenarios[0]!;
  const mesh = sc.checks.find((c) => c.name === 'full mesh');
  const numbers = (title: RegExp): NumbersEvidence['values'] =>
    mesh?.evidence.find((e): e is NumbersEvidence => e.kind === 'numbers' && title.test(e.title))?.values ?? {};
  const loss = numbers(/^loss per pair/);
  const rate = numbers(/^send rate/);
  const u = process.resourceUsage();
  console.log(
    JSON.stringify({
      verdict: mesh?.verdict ?? sc.checks[0]?.verdict ?? 'none',
      reason: mesh?.reason ?? sc.checks[0]?.reason,
      worstLossPercent: Math.max(0, ...Object.values(loss).map(Number)),
      perPeerPerSecond: rate.perPeerPerSecond ?? null,
      asked: rate.asked ?? null,
      received: rate.received ?? null,
      roundsCpuS: rate.cpuSeconds ?? null,
      cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6,
      childCpuS: childCpuS(),
      maxRssMb: u.maxRSS / 1024,
      loadAvg: loadavg()[0],
    }),
  );
} finally {
  rmSync(out, { recursive: true, force: true });
}
