/**
 * A fake scenario whose attempt n returns `attempts[n - 1]` (the last one from then on), run
 * through the real executeScenario: for tests of the runner's attempt rules (late re-runs,
 * retries, confirmations) that script what each attempt measured.
 */
import type { Check } from '../../harness/model/check.ts';
import { defineScenario, type Capabilities } from '../../harness/model/scenario.ts';
import type { LoadedProfile } from '../../harness/loader/profile.ts';
import type { ScenarioResult } from '../../harness/model/results.ts';
import { executeScenario, type ExecuteOptions } from '../../harness/runner/execute.ts';
import type { AnyScenario } from '../../harness/model/scenario.ts';

export interface ScriptOptions {
  expectFail?: string;
  retries?: number;
  /** The scenario declares its verdicts timing-judged (its failures are confirmed). */
  timingJudged?: boolean;
  opts?: Partial<ExecuteOptions>;
}

export async function runScripted(
  attempts: Array<() => Check[]>,
  o: ScriptOptions = {},
): Promise<ScenarioResult & { ran: number }> {
  let ran = 0;
  const scenario = defineScenario({
    id: 'test.scripted',
    summary: 'scripted attempts',
    platforms: ['linux', 'darwin'],
    requires: [],
    defaultTimeoutMs: 10_000,
    ...(o.timingJudged ? { timingJudged: true } : {}),
    withSchema: { type: 'object', additionalProperties: false, properties: {} },
    expectSchema: { type: 'object', additionalProperties: false, properties: {} },
    async run() {
      ran++;
      return (attempts[ran - 1] ?? attempts.at(-1)!)();
    },
  }) as unknown as AnyScenario;
  const profile = {
    file: 'p.yaml',
    dir: '.',
    sha256: '',
    profile: { profile: 'p', tags: [], scenarios: [] },
    scenarioLines: {},
  } as LoadedProfile;
  const spec = {
    id: 'scripted',
    use: 'test.scripted',
    with: {},
    expect: {},
    ...(o.expectFail ? { expectFail: o.expectFail } : {}),
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
  };
  const result = await executeScenario(
    { profile, spec, scenario, key: 'p/scripted' },
    {
      capabilities: {} as Capabilities,
      lab: undefined,
      allowHostNetwork: false,
      interrupt: new AbortController().signal,
      ...o.opts,
    },
  );
  return { ...result, ran };
}
