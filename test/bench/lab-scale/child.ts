/**
 * One lab bring-up + teardown in a process of its own, so its peak RSS (getrusage(2)
 * ru_maxrss, the whole process's high-water mark) belongs to that lab size alone.
 * argv: hosts segments. Prints one JSON line: { upMs, downMs, maxRssMb, cpuS, childCpuS, left }:
 * cpuS is this process's user + system CPU over up + down (getrusage(2) RUSAGE_SELF),
 * childCpuS that of the children it reaped meanwhile (sh, ip), from proc(5) stat cutime + cstime.
 */
import { bringUpLab, newRunId } from '../../../harness/lab/index.ts';
import { listNetns } from '../../../harness/lab/ip.ts';
import type { LabSpec } from '../../../harness/lab/schema.ts';
import { readFileSync } from 'node:fs';

const hosts = Number(process.argv[2]);
const segments = Number(process.argv[3]);
/** Host k has one link, on segment k mod `segments`: the shape of test/lab/scale.test.ts. */
const spec: LabSpec = { segments: {}, hosts: {} };
for (let s = 0; s < segments; s++) spec.segments[`s${s}`] = {};
for (let k = 0; k < hosts; k++) spec.hosts[`h${k}`] = { links: [{ segment: `s${k % segments}` }] };

/** Seconds of CPU the reaped children used (proc(5): stat fields 16 and 17, in clock ticks; USER_HZ is 100 on Linux). */
function childCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[13]) + Number(f[14])) / 100;
}
const cpuS = (): number => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
};

const runId = newRunId();
const c0 = cpuS();
const k0 = childCpuS();
const t0 = performance.now();
const lab = await bringUpLab(spec, { runId, log: () => {} });
const t1 = performance.now();
await lab.down();
const t2 = performance.now();
// Judged by this run's id only: other labs may exist on a shared machine.
const left = (await listNetns()).filter((n) => n.includes(`-${runId}-`)).length;
console.log(
  JSON.stringify({
    upMs: t1 - t0,
    downMs: t2 - t1,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    cpuS: cpuS() - c0,
    childCpuS: childCpuS() - k0,
    left,
  }),
);
