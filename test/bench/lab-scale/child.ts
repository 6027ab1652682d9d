/**
 * One lab bring-up + teardown in a process of its own, so its peak RSS (getrusage(2)
 * ru_maxrss, the whole process's high-water mark) belongs to that lab size alone.
 * argv: hosts segments. Prints one JSON line: { upMs, downMs, maxRssMb, left }.
 */
import { bringUpLab, newRunId } from '../../../harness/lab/index.ts';
import { listNetns } from '../../../harness/lab/ip.ts';
import type { LabSpec } from '../../../harness/lab/schema.ts';

const hosts = Number(process.argv[2]);
const segments = Number(process.argv[3]);
/** Host k has one link, on segment k mod `segments`: the shape of test/lab/scale.test.ts. */
const spec: LabSpec = { segments: {}, hosts: {} };
for (let s = 0; s < segments; s++) spec.segments[`s${s}`] = {};
for (let k = 0; k < hosts; k++) spec.hosts[`h${k}`] = { links: [{ segment: `s${k % segments}` }] };

const runId = newRunId();
const t0 = performance.now();
const lab = await bringUpLab(spec, { runId, log: () => {} });
const t1 = performance.now();
await lab.down();
const t2 = performance.now();
// Judged by this run's id only: other labs may exist on a shared machine.
const left = (await listNetns()).filter((n) => n.includes(`-${runId}-`)).length;
console.log(JSON.stringify({ upMs: t1 - t0, downMs: t2 - t1, maxRssMb: process.resourceUsage().maxRSS / 1024, left }));
