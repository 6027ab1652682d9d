/**
 * `netconform merge`: shards' results.json → one RunResult (as Playwright's merge-reports
 * does), which the file reporters then write as if one run had produced it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { summarize, type ProfileInfo, type RunResult } from '../model/results.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';

export async function readResults(file: string, what: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, ExitCode.usage);
  }
  try {
    const r = JSON.parse(text) as RunResult;
    if (!Array.isArray(r.scenarios) || !Array.isArray(r.profiles)) throw new Error('no scenarios or profiles array');
    return r;
  } catch (err) {
    throw new CliError(`${what}: ${file} is not a netconform results.json (${(err as Error).message})`, ExitCode.usage);
  }
}

/** Shards in the order given; scenarios keep each shard's order; the run's wall time is the longest shard's. */
export function mergeResults(shards: RunResult[], dirs: string[]): RunResult {
  if (!shards.length) throw new CliError('merge: no shard folders given', ExitCode.usage);
  const profiles = new Map<string, ProfileInfo>();
  for (const s of shards) for (const p of s.profiles) if (!profiles.has(p.name)) profiles.set(p.name, p);
  const scenarios = shards.flatMap((s) => s.scenarios);
  const first = shards[0]!;
  const startedAt = shards.map((s) => s.startedAt).sort()[0]!;
  const notRun = shards.reduce((n, s) => n + (s.notRun ?? 0), 0);
  return {
    netconform: first.netconform,
    profiles: [...profiles.values()],
    startedAt,
    durationMs: Math.max(...shards.map((s) => s.durationMs)),
    interrupted: shards.some((s) => s.interrupted),
    environment: first.environment,
    scenarios,
    labs: shards.flatMap((s) => s.labs ?? []),
    summary: summarize(scenarios),
    ...(notRun ? { notRun } : {}),
    mergedFrom: dirs,
  };
}

export async function loadShards(dirs: string[]): Promise<RunResult[]> {
  return Promise.all(dirs.map((d) => readResults(join(d, 'results.json'), 'merge')));
}

/** `profile/id` → recorded duration (ms), for `--shard-durations`; repeats add up. */
export function durationsOf(r: RunResult): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of r.scenarios) m.set(`${s.profile}/${s.id}`, (m.get(`${s.profile}/${s.id}`) ?? 0) + s.durationMs);
  return m;
}

