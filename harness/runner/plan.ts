/**
 * The plan: profiles × scenarios, filtered by --grep and --tag, then cut by --shard.
 * Sharding is deterministic (a stable order) and balanced (round-robin: shard sizes differ by
 * at most one), so n CI jobs with --shard 1/n … n/n run every scenario exactly once.
 */
import type { LoadedProfile, ScenarioSpec } from '../loader/profile.ts';
import type { AnyScenario } from '../../suites/registry.ts';
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
  if (index < 1 || index > total) throw new CliError(`--shard ${text}: i must be between 1 and ${total}`, ExitCode.usage);
  return { index, total };
}

export interface PlanOptions {
  grep?: RegExp;
  tags?: string[];
  shard?: Shard;
  /** A --grep/--tag that selects nothing is then a note, not a usage error (exit 0). */
  passWithNoTests?: boolean;
  /** Receives a line saying why the plan is empty when that is not an error (an empty shard). */
  onNote?: (line: string) => void;
}

/** `--grep 'x' --tag 'y'`: the filters as the user gave them. */
function describeFilters(opts: PlanOptions): string {
  return [opts.grep && `--grep '${opts.grep.source}'`, ...(opts.tags ?? []).map((t) => `--tag '${t}'`)].filter(Boolean).join(' ');
}

function describeProfiles(profiles: LoadedProfile[]): string {
  return profiles.map((p) => `${p.file} (${p.profile.profile})`).join(', ');
}

export function buildPlan(profiles: LoadedProfile[], registry: Map<string, AnyScenario>, opts: PlanOptions = {}): PlannedScenario[] {
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
    selected = selected.filter((p) => [...p.profile.profile.tags, ...(p.spec.tags ?? [])].some((t) => wanted.includes(t)));
  }
  if (selected.length === 0 && (opts.grep || opts.tags?.length)) {
    // A typo in a filter must not pass a gate by running nothing.
    const message = `no scenario matched ${describeFilters(opts)} in ${describeProfiles(profiles)} (${all.length} scenario${all.length === 1 ? '' : 's'})`;
    if (!opts.passWithNoTests) throw new CliError(`${message}; --pass-with-no-tests allows an empty selection`, ExitCode.usage);
    opts.onNote?.(`${message}; nothing to run (--pass-with-no-tests)`);
    return selected;
  }
  if (opts.shard && opts.shard.total > 1) {
    const { index, total } = opts.shard;
    const matched = selected.length;
    // Round-robin over the profile order (profiles as given, scenarios as written): stable and balanced.
    selected = selected.filter((_, i) => i % total === index - 1);
    if (selected.length === 0) {
      // Legitimate: n CI jobs over fewer scenarios than n. Said, so an empty job is not a mystery.
      opts.onNote?.(`shard ${index}/${total} is empty: ${describeProfiles(profiles)} ${profiles.length === 1 ? 'has' : 'have'} ${matched} selected scenario${matched === 1 ? '' : 's'}, all in shards 1–${matched}; nothing to run`);
    }
  }
  return selected;
}
