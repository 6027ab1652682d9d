/**
 * `netconform merge`: shards' results.json → one RunResult (as Playwright's merge-reports
 * does), which the file reporters then write as if one run had produced it.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { summarize, type ProfileInfo, type RunResult, type ScenarioResult } from '../model/results.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';

export async function readResults(file: string, what: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(
      `${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      ExitCode.usage,
    );
  }
  try {
    const r = JSON.parse(text) as RunResult;
    if (!Array.isArray(r.scenarios) || !Array.isArray(r.profiles)) throw new Error('no scenarios or profiles array');
    return r;
  } catch (err) {
    throw new CliError(`${what}: ${file} is not a netconform results.json (${(err as Error).message})`, ExitCode.usage);
  }
}

/** A scenario instance across shards: the same one in two shards means they overlap. */
const instanceKey = (s: Pick<ScenarioResult, 'profile' | 'id' | 'repeat'>): string =>
  `${s.profile} › ${s.id}${s.repeat ? ` (repeat ${s.repeat})` : ''}`;

/**
 * The profiles of all shards in the run's order. Each shard lists the profiles it ran in plan
 * order, but a shard may lack some: each list says which profile comes before which, and a
 * topological sort of those pairs (ties: the first seen first) gives the whole order.
 */
export function profileOrder(lists: ProfileInfo[][]): ProfileInfo[] {
  const byName = new Map<string, ProfileInfo>();
  const after = new Map<string, Set<string>>();
  const before = new Map<string, number>();
  for (const list of lists) {
    list.forEach((p, k) => {
      if (!byName.has(p.name)) {
        byName.set(p.name, p);
        after.set(p.name, new Set());
        before.set(p.name, 0);
      }
      const prev = list[k - 1];
      if (prev && prev.name !== p.name && !after.get(prev.name)!.has(p.name)) {
        after.get(prev.name)!.add(p.name);
        before.set(p.name, before.get(p.name)! + 1);
      }
    });
  }
  const order: ProfileInfo[] = [];
  const pending = [...byName.keys()];
  while (pending.length) {
    // A cycle (shards of different runs) cannot be ordered: first seen first.
    const i = Math.max(
      0,
      pending.findIndex((n) => before.get(n) === 0),
    );
    const [name] = pending.splice(i, 1);
    order.push(byName.get(name!)!);
    for (const next of after.get(name!)!) before.set(next, before.get(next)! - 1);
  }
  return order;
}

/** Refuses shards that would be counted twice: the same folder given again, or a scenario instance in two shards. */
function refuseDuplicates(shards: RunResult[], dirs: string[]): void {
  const seenDirs = new Map<string, number>();
  dirs.forEach((d, i) => {
    const first = seenDirs.get(resolve(d));
    if (first !== undefined)
      throw new CliError(
        `merge: ${d} is given twice (as shard ${first + 1} and ${i + 1}); each shard once`,
        ExitCode.usage,
      );
    seenDirs.set(resolve(d), i);
  });
  const owner = new Map<string, number>();
  shards.forEach((s, i) => {
    for (const sc of s.scenarios) {
      const key = instanceKey(sc);
      const first = owner.get(key);
      if (first !== undefined && first !== i) {
        throw new CliError(
          `merge: ${key} is in both ${dirs[first]} and ${dirs[i]}: the shards overlap (the same run twice, or different --shard splits), so it would be counted twice`,
          ExitCode.usage,
        );
      }
      owner.set(key, i);
    }
  });
}

/**
 * One result from the shards: scenarios in the run's order (profiles as the shards ran them,
 * then each profile's scenarios by their line in it, then repetition), whatever order the
 * shards were given in; the run's wall time is the longest shard's.
 */
export function mergeResults(shards: RunResult[], dirs: string[]): RunResult {
  if (!shards.length) throw new CliError('merge: no shard folders given', ExitCode.usage);
  refuseDuplicates(shards, dirs);
  const ordered = profileOrder(shards.map((s) => s.profiles));
  const profiles = new Map(ordered.map((p) => [p.name, p]));
  const rank = new Map(ordered.map((p, i) => [p.name, i]));
  const byRunOrder = <T extends Pick<ScenarioResult, 'profile' | 'line' | 'repeat'>>(a: T, b: T): number =>
    (rank.get(a.profile) ?? 0) - (rank.get(b.profile) ?? 0) || a.line - b.line || (a.repeat ?? 0) - (b.repeat ?? 0);
  const scenarios = shards.flatMap((s) => s.scenarios).sort(byRunOrder);
  const notRunScenarios = shards.flatMap((s) => s.notRunScenarios ?? []).sort(byRunOrder);
  const maxFailures = shards.find((s) => s.maxFailures !== undefined)?.maxFailures;
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
    ...(notRunScenarios.length ? { notRunScenarios } : {}),
    ...(maxFailures !== undefined ? { maxFailures } : {}),
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
