/**
 * Runs profiles through the real runner (lab lifecycle included) with a reporter that starts
 * tcpdump witnesses inside every segment namespace as soon as the lab is up, and one in the
 * root namespace for the whole run (nothing of ours may appear there).
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { run } from '../../../harness/runner/run.ts';
import type { RunResult, CheckResult, ScenarioResult } from '../../../harness/model/results.ts';
import type { MatrixEvidence } from '../../../harness/model/check.ts';
import type { Reporter } from '../../../harness/reporters/reporter.ts';
import { segmentNetns } from '../../../harness/lab/names.ts';
import { startWitness, type Witness } from './witness.ts';
import { labNeeds, requires, tcpdump } from '../../helpers/requires.ts';
import { tempDir } from '../../helpers/tmp.ts';

export const repoRoot = resolve(import.meta.dirname, '../../..');
/** Labs need root and iproute2; the witnesses need tcpdump. */
export const witnessedLabNeeds = requires(labNeeds(), tcpdump);

export interface WitnessedRun {
  exitCode: number;
  result: RunResult;
  /** Per lab run id → segment → witness (stopped). */
  segments: Map<string, Map<string, Witness>>;
  root: Witness;
  runIds: string[];
}

/** `profiles`: file paths, or YAML text (written to a temp file; relative SUT paths resolve against profiles/). */
export async function runWitnessed(
  profiles: string[],
  opts: { grep?: RegExp; filter: string; segments: string[]; confirmFailures?: number },
): Promise<WitnessedRun> {
  const files: string[] = [];
  for (const p of profiles) {
    if (p.includes('\n')) {
      const dir = await tempDir('nc-suites-');
      const f = join(dir, 'profile.yaml');
      await writeFile(f, p.replaceAll('@SUT@', join(repoRoot, 'profiles/sut')));
      files.push(f);
    } else files.push(resolve(repoRoot, p));
  }
  const segments = new Map<string, Map<string, Witness>>();
  const runIds: string[] = [];
  const root = await startWitness(undefined, opts.filter);
  let pending: string | undefined;
  // The runner awaits onScenarioBegin: witnesses are listening before the scenario sends.
  const witnessReporter: Reporter = {
    name: 'witness',
    async onMessage(line) {
      const up = /^lab ([a-z][a-z0-9]{4}): bringing up/.exec(line);
      if (up) pending = up[1]!;
      const down = /^lab ([a-z][a-z0-9]{4}): tearing down/.exec(line);
      if (down) for (const w of segments.get(down[1]!)?.values() ?? []) await w.stop();
    },
    async onScenarioBegin() {
      if (!pending || segments.has(pending)) return;
      runIds.push(pending);
      const byseg = new Map<string, Witness>();
      for (const s of opts.segments) byseg.set(s, await startWitness(segmentNetns(pending, s), opts.filter));
      segments.set(pending, byseg);
    },
  };
  const out = await run({
    files,
    outDir: await tempDir('nc-suites-out-'),
    reporters: [witnessReporter],
    allowHostNetwork: false,
    interrupt: new AbortController().signal,
    grep: opts.grep,
    confirmFailures: opts.confirmFailures,
  });
  await root.stop();
  return { ...out, segments, root, runIds };
}

export function scenario(r: RunResult, id: string): ScenarioResult {
  const s = r.scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id} in ${r.scenarios.map((x) => x.id).join(', ')}`);
  return s;
}

export function checkNamed(s: ScenarioResult, re: RegExp): CheckResult {
  const c = s.checks.find((x) => re.test(x.name));
  if (!c) throw new Error(`no check ${re} in ${s.id}: ${s.checks.map((x) => x.name).join(', ')}`);
  return c;
}

export function matrixOf(c: CheckResult): MatrixEvidence {
  const m = c.evidence.find((e): e is MatrixEvidence => e.kind === 'matrix');
  if (!m) throw new Error(`check ${c.name} has no matrix`);
  return m;
}

/** Cells marked delivered (✓) as "row@col". */
export function deliveredCells(m: MatrixEvidence): Set<string> {
  const out = new Set<string>();
  m.rows.forEach((r, i) =>
    m.cols.forEach((c, j) => {
      if (m.cells[i]![j]!.startsWith('✓')) out.add(`${r}@${c}`);
    }),
  );
  return out;
}

export function netnsOfRuns(runIds: string[]): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => runIds.some((id) => n.includes(`-${id}-`)));
}
