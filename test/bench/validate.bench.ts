/**
 * Validate time per malformed profile (test/corpus/malformed-profiles.ts): decode + YAML +
 * schemas + cross-checks + formatting the printed lines, in process (no CLI start-up), for every
 * case. Rows: the slowest case overall and the slowest of each family, wall time and CPU time
 * (the machine is shared; CPU time is what load does not inflate). Target:
 * ≤ 1 s per case, the largest ones at the 256 KiB size limit.
 *
 * Also runnable alone: `node --import tsx test/bench/validate.bench.ts` prints every case's time.
 */
import { pathToFileURL } from 'node:url';
import { decodeProfile } from '../../harness/loader/yaml-source.ts';
import { formatIssues, parseProfileText, ProfileError } from '../../harness/loader/profile.ts';
import { loadRegistry } from '../../harness/runner/registry.ts';
import { malformedCases, type CorpusCase } from '../corpus/malformed-profiles.ts';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

interface Timing {
  c: CorpusCase;
  wallMs: number[];
  cpuMs: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function timeCases(reps: number): Promise<Timing[]> {
  const registry = await loadRegistry();
  const cases = malformedCases([...registry.keys()]);
  const out: Timing[] = [];
  for (const c of cases) {
    const t: Timing = { c, wallMs: [], cpuMs: [] };
    for (let r = 0; r < reps; r++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      try {
        const decoded = decodeProfile(c.bytes);
        if (decoded.ok) parseProfileText(decoded.text, 'case.yaml', registry);
      } catch (err) {
        if (!(err instanceof ProfileError)) throw err;
        formatIssues(err.issues);
      }
      t.wallMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      t.cpuMs.push((cpu.user + cpu.system) / 1000);
    }
    out.push(t);
  }
  return out;
}

function row(label: string, t: Timing, kind: 'wall' | 'CPU'): BenchRow {
  const xs = kind === 'wall' ? t.wallMs : t.cpuMs;
  const m = median(xs);
  return {
    case: `${label}: ${t.c.family} / ${t.c.name} (${Math.round(t.c.bytes.length / 1024)} KiB)`,
    impl: `validate (${kind})`,
    unit: 'ms',
    median: m,
    min: Math.min(...xs),
    max: Math.max(...xs),
    target: '≤ 1000 ms',
    met: m <= 1000,
  };
}

const suite: BenchSuite = {
  name: 'validate',
  async run({ quick, log }): Promise<BenchSection> {
    const timings = await timeCases(quick ? 1 : 3);
    const slowest = (ts: Timing[], kind: 'wall' | 'CPU') =>
      ts.reduce((a, b) =>
        median(kind === 'wall' ? b.wallMs : b.cpuMs) > median(kind === 'wall' ? a.wallMs : a.cpuMs) ? b : a,
      );
    const rows: BenchRow[] = [
      row('slowest case', slowest(timings, 'wall'), 'wall'),
      row('slowest case', slowest(timings, 'CPU'), 'CPU'),
    ];
    for (const family of [...new Set(timings.map((t) => t.c.family))])
      rows.push(
        row(
          'slowest of family',
          slowest(
            timings.filter((t) => t.c.family === family),
            'CPU',
          ),
          'CPU',
        ),
      );
    const all = timings.map((t) => median(t.wallMs)).sort((a, b) => a - b);
    log(
      `validate: ${timings.length} malformed cases, median ${median(all).toFixed(1)} ms, max ${all.at(-1)!.toFixed(0)} ms (wall)`,
    );
    return {
      name: 'validate',
      rows,
      notes: [
        `${timings.length} malformed profiles; median of ${quick ? 1 : 3} runs per case; in process, without the CLI's start-up (the startup suite times that)`,
      ],
    };
  },
};
export default suite;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const timings = await timeCases(1);
  for (const t of timings.sort((a, b) => b.cpuMs[0]! - a.cpuMs[0]!)) {
    process.stdout.write(
      `${t.wallMs[0]!.toFixed(1).padStart(8)} ms wall ${t.cpuMs[0]!.toFixed(1).padStart(8)} ms CPU  ${String(t.c.bytes.length).padStart(8)} B  ${t.c.family} / ${t.c.name}\n`,
    );
  }
}
