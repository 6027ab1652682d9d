/**
 * The commands that read profiles and the scenario registry only (validate, list, schema, and
 * the profile for `lab up`): apart from ./commands.ts, so that they load no runner, reporter,
 * lab or process code (execa), the compiled CLI's chunks for those included.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { displayPath, loadProfile, loadProfiles } from '../loader/profile.ts';
import { publishedSchema } from '../loader/profile-schema.ts';
import { escapeControl } from '../util/escape.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { loadRegistry } from '../runner/registry.ts';

const packageRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const profilesDir = join(packageRoot, 'profiles');

export async function validateCommand(files: string[]): Promise<void> {
  const registry = await loadRegistry();
  const loaded = await loadProfiles(files, registry);
  for (const p of loaded) process.stdout.write(`${escapeControl(p.file)}: ok (${p.profile.scenarios.length} scenario${p.profile.scenarios.length === 1 ? '' : 's'})\n`);
}

export async function listCommand(flags: { json?: boolean }): Promise<void> {
  const registry = await loadRegistry();
  const scenarios = [...registry.values()].map((s) => ({ use: s.id, summary: s.summary, platforms: s.platforms, requires: s.requires }));
  const files = (await readdir(profilesDir)).filter((f) => f.endsWith('.yaml')).sort();
  const profiles = [];
  for (const f of files) {
    try {
      const p = await loadProfile(join(profilesDir, f), registry);
      profiles.push({ file: displayPath(join(profilesDir, f)), profile: p.profile.profile, description: p.profile.description ?? '', scenarios: p.profile.scenarios.length });
    } catch {
      profiles.push({ file: displayPath(join(profilesDir, f)), profile: '(invalid)', description: 'does not validate: run netconform validate on it', scenarios: 0 });
    }
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ scenarios, profiles }, null, 2)}\n`);
    return;
  }
  const w = Math.max(...scenarios.map((s) => s.use.length));
  process.stdout.write('Scenarios (use: name, platforms, summary):\n');
  for (const s of scenarios) process.stdout.write(`  ${s.use.padEnd(w)}  ${s.platforms.join(',').padEnd(12)}  ${s.summary}\n`);
  process.stdout.write('\nProfiles:\n');
  for (const p of profiles) process.stdout.write(escapeControl(`  ${p.file}  ${p.profile} (${p.scenarios} scenario${p.scenarios === 1 ? '' : 's'})${p.description ? ` — ${p.description.split('\n')[0]}` : ''}`) + '\n');
}

export async function schemaCommand(): Promise<void> {
  process.stdout.write(`${JSON.stringify(await profileJsonSchema(), null, 2)}\n`);
}

export async function profileJsonSchema(): Promise<Record<string, unknown>> {
  const registry = await loadRegistry();
  return publishedSchema([...registry.values()]);
}

/** For `netconform lab up`: loads and validates a profile, returns its lab section. */
export async function loadProfileForLab(file: string): Promise<{ lab: unknown; file: string }> {
  const registry = await loadRegistry();
  const [p] = await loadProfiles([file], registry);
  if (!p!.profile.lab) throw new CliError(`${p!.file}: the profile has no lab: section`, ExitCode.usage);
  return { lab: p!.profile.lab, file: p!.file };
}
