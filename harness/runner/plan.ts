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
  if (opts.shard && opts.shard.total > 1) {
    const { index, total } = opts.shard;
    // Round-robin over the profile order (profiles as given, scenarios as written): stable and balanced.
    selected = selected.filter((_, i) => i % total === index - 1);
  }
  return selected;
}
