/**
 * CLI start-up: `netconform --version` and `validate` of two shipped profiles, each a
 * fresh process of harness/bin/netconform.js (in this checkout: dist/ is checked against the
 * sources, ~190 stats, its own row), started the two ways the bin can start: the
 * compiled bundle (dist/, NETCONFORM_LOADER=compiled: the run fails if dist/ is stale, run
 * `npm run build`) and the TypeScript through tsx (NETCONFORM_LOADER=source, what every start
 * cost before dist/). Reference: `node -e 0`, a bare Node start, in the same round-robin, so
 * machine load moves every row alike. Wall time per process, and CPU time (user + system, from
 * this process's children totals in /proc/self/stat, clock-tick resolution), which load
 * inflates less. Targets: --version ≤ 150 ms, validate ≤ 300 ms, wall, compiled.
 *
 * Also runnable alone: `node --import tsx test/bench/startup.bench.ts`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const bin = join(repoRoot, 'harness/bin/netconform.js');
const REFERENCE = 'node -e 0';

interface Case {
  name: string;
  args: string[];
  targetMs: number;
}
const CASES: Case[] = [
  { name: 'netconform --version', args: ['--version'], targetMs: 150 },
  { name: 'netconform validate profiles/smoke.yaml', args: ['validate', 'profiles/smoke.yaml'], targetMs: 300 },
  { name: 'netconform validate profiles/darkwake.yaml', args: ['validate', 'profiles/darkwake.yaml'], targetMs: 300 },
];
const LOADERS = [
  { impl: 'compiled (dist/)', env: 'compiled' },
  { impl: 'tsx (source)', env: 'source' },
] as const;

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time of this process's waited-for children so far, ms (proc(5): cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of the line; the slice starts at field 3.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / clockTicks;
}

interface Sample {
  wallMs: number[];
  cpuMs: number[];
}

function measure(argv: string[], env: NodeJS.ProcessEnv, into: Sample): void {
  const cpu0 = childrenCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  into.wallMs.push(performance.now() - t0);
  into.cpuMs.push(childrenCpuMs() - cpu0);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).trim()}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The bin's freshness check of dist/ (harness/bin/dist-stamp.js), first call in a fresh process: wall and CPU ms. */
function stampCheck(env: NodeJS.ProcessEnv, into: Sample): void {
  const script = `const { staleReason } = await import(${JSON.stringify(join(repoRoot, 'harness/bin/dist-stamp.js'))}); const c0 = process.cpuUsage(); const t0 = performance.now(); const r = staleReason(${JSON.stringify(repoRoot)}); const c = process.cpuUsage(c0); process.stdout.write(JSON.stringify([performance.now() - t0, (c.user + c.system) / 1000])); if (r) process.exitCode = 1;`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dist/ is stale or the check failed (npm run build): ${r.stderr}`);
  const [wall, cpu] = JSON.parse(r.stdout) as [number, number];
  into.wallMs.push(wall);
  into.cpuMs.push(cpu);
}

async function measureAll(
  runs: number,
): Promise<{ reference: Sample; esmFloor: Sample; byCase: Map<string, Sample>; stamp: Sample }> {
  // Fixture scenarios are a test-only addition: a user's start loads only the shipped ones.
  const base = { ...process.env, NETCONFORM_EXTRA_SUITES: '' };
  const reference: Sample = { wallMs: [], cpuMs: [] };
  // The floor for any ES-module CLI: Node's ESM loader, which `node -e 0` never starts.
  const esmFloor: Sample = { wallMs: [], cpuMs: [] };
  const scratch = mkdtempSync(join(tmpdir(), 'nc-startup-'));
  const emptyModule = join(scratch, 'empty.mjs');
  writeFileSync(emptyModule, '');
  const byCase = new Map<string, Sample>();
  const stamp: Sample = { wallMs: [], cpuMs: [] };
  for (let i = 0; i < runs; i++) {
    measure(['-e', '0'], base, reference);
    measure([emptyModule], base, esmFloor);
    stampCheck(base, stamp);
    for (const c of CASES) {
      for (const l of LOADERS) {
        const key = `${l.impl}\u0000${c.name}`;
        if (!byCase.has(key)) byCase.set(key, { wallMs: [], cpuMs: [] });
        measure([bin, ...c.args], { ...base, NETCONFORM_LOADER: l.env }, byCase.get(key)!);
      }
    }
  }
  rmSync(scratch, { recursive: true, force: true });
  return { reference, esmFloor, byCase, stamp };
}

const suite: BenchSuite = {
  name: 'startup',
  async run({ quick, log }): Promise<BenchSection> {
    const runs = quick ? 3 : 15;
    const { reference, esmFloor, byCase, stamp } = await measureAll(runs);
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    for (const kind of ['wall', 'CPU'] as const) {
      const of = (s: Sample) => (kind === 'wall' ? s.wallMs : s.cpuMs);
      const ref = median(of(reference));
      rows.push({
        case: `process start-up (${kind})`,
        impl: REFERENCE,
        unit: 'ms',
        median: ref,
        min: Math.min(...of(reference)),
        max: Math.max(...of(reference)),
      });
      const floor = of(esmFloor);
      rows.push({
        case: `process start-up, an empty ES module (${kind})`,
        impl: 'node empty.mjs',
        unit: 'ms',
        median: median(floor),
        min: Math.min(...floor),
        max: Math.max(...floor),
        ratio: median(floor) / ref,
        reference: REFERENCE,
      });
      const st = of(stamp);
      rows.push({
        case: `dist/ freshness check, in every start from a git checkout (${kind})`,
        impl: 'dist-stamp.js',
        unit: 'ms',
        median: median(st),
        min: Math.min(...st),
        max: Math.max(...st),
        ratio: median(st) / ref,
        reference: REFERENCE,
      });
      for (const c of CASES) {
        for (const l of LOADERS) {
          const xs = of(byCase.get(`${l.impl}\u0000${c.name}`)!);
          const m = median(xs);
          const row: BenchRow = {
            case: `${c.name} (${kind})`,
            impl: l.impl,
            unit: 'ms',
            median: m,
            min: Math.min(...xs),
            max: Math.max(...xs),
            ratio: m / ref,
            reference: REFERENCE,
          };
          if (kind === 'wall' && l.env === 'compiled')
            Object.assign(row, { target: `≤ ${c.targetMs} ms`, met: m <= c.targetMs });
          rows.push(row);
        }
      }
    }
    for (const c of CASES) {
      const compiled = median(byCase.get(`${LOADERS[0].impl}\u0000${c.name}`)!.wallMs);
      const source = median(byCase.get(`${LOADERS[1].impl}\u0000${c.name}`)!.wallMs);
      log(
        `${c.name}: compiled ${compiled.toFixed(0)} ms, tsx ${source.toFixed(0)} ms (${(compiled / source).toFixed(2)}×)`,
      );
    }
    notes.push(
      `${runs} rounds, each one process per row in turn (round-robin); ratio against ${REFERENCE} of the same rounds; CPU at ${clockTicks} ticks/s resolution`,
    );
    notes.push(
      '--version alone is answered by the bin from package.json before any loader is chosen: its two rows time the same path',
    );
    notes.push(
      'the absolute targets include Node itself: read them against the node -e 0 and node empty.mjs rows of the same run (under load, read the ratios)',
    );
    return { name: 'startup', rows, notes };
  },
};
export default suite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const section = await suite.run({ quick: process.argv.includes('--quick'), log: (l) => console.error(l) });
  for (const r of section.rows)
    console.log(
      `${r.impl.padEnd(18)} ${r.case.padEnd(52)} median ${r.median.toFixed(0).padStart(5)} ms  min ${r.min.toFixed(0).padStart(5)}  max ${r.max.toFixed(0).padStart(5)}${r.ratio === undefined ? '' : `  ${r.ratio.toFixed(2)}×`}`,
    );
}
