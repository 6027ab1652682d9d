/**
 * `npm run bench [-- --quick] [--suite=native] [--baseline=old/bench.json [--tolerance=0.25]]`: runs every
 * test/bench/*.bench.ts suite (see ./types.ts), prints one table and writes reports/bench.json
 * atomically (temp file + rename) with the environment it ran in. With --baseline, each row's
 * ratio is compared with the stored run's (./baseline.ts). Exit code 0 even when a target is
 * missed or a ratio regressed (the tables say so); 1 if a suite crashed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

import { writeFileAtomic } from '../../harness/util/atomic-write.ts';
import { compareToBaseline, comparisonTable, type BaselineComparison } from './baseline.ts';
import type { BenchRow, BenchSection, BenchSuite } from './types.ts';

const here = import.meta.dirname;
const repoRoot = resolve(here, '../..');
const quick = process.argv.includes('--quick');
const only = process.argv.find((a) => a.startsWith('--suite='))?.slice('--suite='.length);
const baseline = process.argv.find((a) => a.startsWith('--baseline='))?.slice('--baseline='.length);
/** How far a ratio may move the wrong way before it is called worse (noisy 2-core box: generous). */
const tolerance = Number(process.argv.find((a) => a.startsWith('--tolerance='))?.slice('--tolerance='.length) ?? 0.25);

function tool(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')[0]!
      .trim();
  } catch {
    return undefined;
  }
}

function environment(): Record<string, unknown> {
  const cpus = os.cpus();
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    kernel: os.release(),
    cpuModel: cpus[0]?.model,
    cpus: cpus.length,
    memoryBytes: os.totalmem(),
    loadavg: os.loadavg(),
    gcc: tool('gcc', ['--version']),
    sockperf: tool('sockperf', ['--version']) !== undefined,
    hostname: os.hostname(),
  };
}

function fmt(v: number | undefined, unit = ''): string {
  if (v === undefined || v === null || Number.isNaN(v)) return '';
  const abs = Math.abs(v);
  const s = abs >= 1e5 ? v.toExponential(3) : abs >= 100 ? v.toFixed(0) : abs >= 10 ? v.toFixed(1) : v.toFixed(2);
  return unit ? `${s} ${unit}` : s;
}

function table(rows: BenchRow[]): string {
  const head = ['impl', 'case', 'median', 'min', 'max', 'ratio', 'target', 'met'];
  const body = rows.map((r) => [
    r.impl,
    r.case,
    fmt(r.median, r.unit),
    fmt(r.min, r.unit),
    fmt(r.max, r.unit),
    r.ratio === undefined ? '' : `${r.ratio.toFixed(2)}× ${r.reference ?? ''}`.trim(),
    r.target ?? '',
    r.met === undefined ? '' : r.met ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i >= 2 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const files = readdirSync(here)
    .filter((f) => f.endsWith('.bench.ts'))
    .filter((f) => !only || f === `${only}.bench.ts`)
    .sort();
  const started = new Date();
  const sections: (BenchSection & { file: string; error?: string; seconds: number })[] = [];
  let failed = false;
  for (const f of files) {
    const t0 = Date.now();
    const mod = (await import(pathToFileURL(join(here, f)).href)) as { default?: BenchSuite };
    const suite = mod.default;
    if (!suite || typeof suite.run !== 'function') {
      console.error(`${f}: no default-exported BenchSuite; skipped`);
      continue;
    }
    console.error(`== ${suite.name} (${f})${quick ? ' --quick' : ''}`);
    try {
      const sec = await suite.run({ quick, log: (line) => console.error(`   ${line}`) });
      sections.push({ ...sec, file: f, seconds: (Date.now() - t0) / 1000 });
    } catch (e) {
      failed = true;
      const msg = e instanceof Error ? (e.stack ?? e.message) : String(e);
      console.error(`${f} failed: ${msg}`);
      sections.push({ name: suite.name, rows: [], notes: [], file: f, error: msg, seconds: (Date.now() - t0) / 1000 });
    }
  }
  for (const s of sections) {
    console.log(`\n${s.name}${s.error ? ' (FAILED)' : ''}`);
    if (s.rows.length > 0) console.log(table(s.rows));
    for (const n of s.notes) console.log(`  note: ${n}`);
  }
  let comparisons: BaselineComparison[] | undefined;
  if (baseline) {
    comparisons = compareToBaseline(baseline, sections, tolerance);
    console.log(
      `\nagainst the baseline ${baseline} (ratio to the in-run reference, then and now):\n${comparisonTable(comparisons)}`,
    );
  }
  const out = join(repoRoot, 'reports', 'bench.json');
  await writeFileAtomic(
    out,
    `${JSON.stringify({ generatedAt: started.toISOString(), seconds: (Date.now() - started.getTime()) / 1000, quick, environment: environment(), sections, ...(comparisons && { baseline: { file: baseline, comparisons } }) }, null, 2)}\n`,
  );
  console.log(`\nwrote ${out}`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
