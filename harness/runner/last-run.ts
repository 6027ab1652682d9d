/**
 * The record of the last run in an output folder (`<out>/.last-run.json`, as Playwright keeps
 * `test-results/.last-run.json`): which profiles ran and which scenarios failed, so
 * `run --last-failed` needs no arguments. A run that ran no scenario writes no record: it never
 * replaces an earlier run's record with an empty one.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { scenarioFailed, type RunResult } from '../model/results.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';

export const LAST_RUN_FILE = '.last-run.json';

export interface LastRun {
  /** Absolute paths of the profiles the run loaded, in order. */
  profiles: string[];
  /** `profile/id` of each scenario with a failed or errored check. */
  failed: string[];
  finishedAt: string;
  interrupted: boolean;
}

/** Writes the record for `result`, whose profile files are `files` (as given, resolved against cwd). */
export async function writeLastRun(outDir: string, result: RunResult, files: readonly string[]): Promise<void> {
  if (result.scenarios.length === 0) return;
  const record: LastRun = {
    profiles: [...new Set(files.map((f) => resolve(f)))],
    failed: [...new Set(result.scenarios.filter(scenarioFailed).map((s) => `${s.profile}/${s.id}`))],
    finishedAt: new Date().toISOString(),
    interrupted: result.interrupted,
  };
  await writeFileAtomic(join(outDir, LAST_RUN_FILE), `${JSON.stringify(record, null, 2)}\n`);
}

/** The record in `outDir`; a CliError (exit 2) saying what to do when there is none or it is unreadable. */
export async function readLastRun(outDir: string): Promise<LastRun> {
  const file = join(outDir, LAST_RUN_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new CliError(
      `--last-failed: no last run is recorded in ${file}: run the profiles once (with the same --out) first`,
      ExitCode.usage,
    );
  }
  try {
    const r = JSON.parse(text) as Partial<LastRun>;
    const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((v) => typeof v === 'string');
    if (!strings(r.profiles) || !strings(r.failed)) throw new Error('profiles and failed must be lists of strings');
    return {
      profiles: r.profiles,
      failed: r.failed,
      finishedAt: String(r.finishedAt ?? ''),
      interrupted: r.interrupted === true,
    };
  } catch (err) {
    throw new CliError(
      `--last-failed: ${file} is not a netconform last-run record (${(err as Error).message})`,
      ExitCode.usage,
    );
  }
}
