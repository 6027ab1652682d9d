/**
 * The plan: profiles × scenarios, filtered by --grep and --tag, then cut by --shard.
 * Sharding is deterministic (a stable order) and balanced: round-robin (shard sizes differ by
 * at most one), or, given each scenario's recorded duration from a previous results.json
 * (`--shard-durations`), longest-first onto the least-loaded shard (LPT scheduling), so n CI
 * jobs with --shard 1/n … n/n run every scenario exactly once and finish at similar times.
 */
import type { LoadedProfile, ScenarioSpec } from '../loader/profile.ts';
import type { NotRunScenario } from '../model/results.ts';
import type { AnyScenario } from '../model/scenario.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';

export interface PlannedScenario {
  profile: LoadedProfile;
  spec: ScenarioSpec;
  scenario: AnyScenario;
  /** `profile/id`: the stable key used for ordering and sharding. */
  key: string;
}

export interface Shard {
  index: number; // 1-based
  total: number;
}

export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new CliError(`--shard must look like i/n (e.g. 2/4), got "${text}"`, ExitCode.usage);
  const index = Number(m[1]);
  const total = Number(m[2]);
  if (total < 1) throw new CliError(`--shard ${text}: n must be at least 1`, ExitCode.usage);
  if (index < 1 || index > total)
    throw new CliError(`--shard ${text}: i must be between 1 and ${total}`, ExitCode.usage);
  return { index, total };
}

export interface PlanOptions {
  grep?: RegExp;
  tags?: string[];
  shard?: Shard;
  /** `profile/id` → milliseconds a previous run took: shards are then balanced by duration. */
  shardDurations?: Map<string, number>;
  /** Only these `profile/id` keys (`--last-failed`), applied before sharding. */
  only?: Set<string>;
  /** Each selected scenario this many times in a row (`--repeat-each`; default 1). */
  repeatEach?: number;
  /** A --grep/--tag that selects nothing is then a note, not a usage error (exit 0). */
  passWithNoTests?: boolean;
  /** Receives a line saying why the plan is empty when that is not an error (an empty shard). */
  onNote?: (line: string) => void;
}

/** `--grep 'x' --tag 'y'`: the filters as the user gave them. */
function describeFilters(opts: PlanOptions): string {
  return [opts.grep && `--grep '${opts.grep.source}'`, ...(opts.tags ?? []).map((t) => `--tag '${t}'`)]
    .filter(Boolean)
    .join(' ');
}

function describeProfiles(profiles: LoadedProfile[]): string {
  return profiles.map((p) => `${p.file} (${p.profile.profile})`).join(', ');
}

export function buildPlan(
  profiles: LoadedProfile[],
  registry: Map<string, AnyScenario>,
  opts: PlanOptions = {},
): PlannedScenario[] {
  const all: PlannedScenario[] = [];
  for (const profile of profiles) {
    for (const spec of profile.profile.scenarios) {
      const scenario = registry.get(spec.use);
      if (!scenario) continue; // the loader already rejected unknown names
      all.push({ profile, spec, scenario, key: `${profile.profile.profile}/${spec.id}` });
    }
  }
  let selected = all;
  if (opts.grep) {
    const re = opts.grep;
    selected = selected.filter((p) => re.test(p.spec.id) || re.test(p.key));
  }
  if (opts.tags?.length) {
    const wanted = opts.tags;
    selected = selected.filter((p) =>
      [...p.profile.profile.tags, ...(p.spec.tags ?? [])].some((t) => wanted.includes(t)),
    );
  }
  if (selected.length === 0 && (opts.grep || opts.tags?.length)) {
    // A typo in a filter must not pass a gate by running nothing.
    const message = `no scenario matched ${describeFilters(opts)} in ${describeProfiles(profiles)} (${all.length} scenario${all.length === 1 ? '' : 's'})`;
    if (!opts.passWithNoTests)
      throw new CliError(`${message}; --pass-with-no-tests allows an empty selection`, ExitCode.usage);
    opts.onNote?.(`${message}; nothing to run (--pass-with-no-tests)`);
    return selected;
  }
  if (opts.only) {
    const only = opts.only;
    selected = selected.filter((p) => only.has(p.key));
  }
  if (opts.shard && opts.shard.total > 1) {
    const { index, total } = opts.shard;
    const matched = selected.length;
    const shardOf = opts.shardDurations
      ? shardsByDuration(selected, total, opts.shardDurations)
      : selected.map((_, i) => i % total);
    selected = selected.filter((_, i) => shardOf[i] === index - 1);
    if (selected.length === 0) {
      // Legitimate: n CI jobs over fewer scenarios than n. Said, so an empty job is not a mystery.
      opts.onNote?.(
        `shard ${index}/${total} is empty: ${describeProfiles(profiles)} ${profiles.length === 1 ? 'has' : 'have'} ${matched} selected scenario${matched === 1 ? '' : 's'}, all in shards 1–${matched}; nothing to run`,
      );
    }
  }
  const repeat = opts.repeatEach ?? 1;
  return repeat > 1 ? selected.flatMap((p) => Array.from({ length: repeat }, () => p)) : selected;
}

/**
 * Longest processing time first: scenarios sorted by recorded duration (descending; ties and
 * unknowns by plan order, an unknown scenario counted as the mean of the known ones), each onto
 * the shard with the least total so far (ties: the lowest shard). Returns each plan entry's
 * 0-based shard; within a shard the plan order is kept. Deterministic for the same inputs.
 */
export function shardsByDuration(plan: PlannedScenario[], total: number, durations: Map<string, number>): number[] {
  const known = plan.map((p) => durations.get(p.key)).filter((d): d is number => d !== undefined);
  const fallback = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 1;
  const cost = plan.map((p) => durations.get(p.key) ?? fallback);
  const order = plan.map((_, i) => i).sort((a, b) => cost[b]! - cost[a]! || a - b);
  const load = new Array<number>(total).fill(0);
  const shardOf = new Array<number>(plan.length).fill(0);
  for (const i of order) {
    let best = 0;
    for (let k = 1; k < total; k++) if (load[k]! < load[best]!) best = k;
    shardOf[i] = best;
    load[best]! += cost[i]!;
  }
  return shardOf;
}

/**
 * The plan's instances a stopped run did not reach (`rest`, in plan order), numbered after the
 * repetitions that ran (`ran`: key → repetitions run) when `--repeat-each` is on.
 */
export function notRunScenarios(
  rest: PlannedScenario[],
  ran: ReadonlyMap<string, number>,
  repeatEach = 1,
): NotRunScenario[] {
  const count = new Map(ran);
  return rest.map((p) => {
    const n = (count.get(p.key) ?? 0) + 1;
    count.set(p.key, n);
    const at = {
      id: p.spec.id,
      use: p.spec.use,
      profile: p.profile.profile.profile,
      file: p.profile.file,
      line: p.profile.scenarioLines[p.spec.id] ?? 1,
    };
    return repeatEach > 1 ? { ...at, repeat: n } : at;
  });
}
