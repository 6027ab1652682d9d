/**
 * Reporters see result objects only (never the runner or the lab). Every hook is optional
 * (Playwright-style); the multiplexer calls them in order and catches a broken one.
 */
import type { ProfileInfo, RunResult, ScenarioResult } from '../model/results.ts';
import type { ScenarioProgress } from '../model/scenario.ts';

export type { ScenarioProgress };

export interface PlanInfo {
  total: number;
  profiles: ProfileInfo[];
  scenarios: Array<{ profile: string; id: string; use: string }>;
}

export interface ScenarioStart {
  index: number; // 1-based
  total: number;
  profile: string;
  id: string;
  use: string;
}

export interface Reporter {
  readonly name: string;
  onBegin?(plan: PlanInfo): void | Promise<void>;
  onScenarioBegin?(s: ScenarioStart): void | Promise<void>;
  /** A line of the running scenario's log, as it happens. */
  onScenarioLog?(s: ScenarioStart, line: string): void;
  /** Where the running scenario is; frequent, so a reporter shows it sparingly. */
  onScenarioProgress?(s: ScenarioStart, p: ScenarioProgress): void;
  onScenarioEnd?(s: ScenarioStart, result: ScenarioResult): void | Promise<void>;
  /** A line the runner wants shown (lab up, interrupt, …). */
  onMessage?(line: string): void | Promise<void>;
  onEnd?(result: RunResult): void | Promise<void>;
}
