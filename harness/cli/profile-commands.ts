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
import { boundedParamsSchema } from '../loader/scenario-schema.ts';
import { closest } from '../util/closest.ts';
import { paramLines, paramRows } from './scenario-params.ts';
import { writeFileAtomic } from '../util/atomic-write.ts';
import { escapeControl } from '../util/escape.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { loadRegistry } from '../runner/registry.ts';

const packageRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const profilesDir = join(packageRoot, 'profiles');

export async function validateCommand(files: string[]): Promise<void> {
  const registry = await loadRegistry();
  const loaded = await loadProfiles(files, registry);
  for (const p of loaded)
    process.stdout.write(
      `${escapeControl(p.file)}: ok (${p.profile.scenarios.length} scenario${p.profile.scenarios.length === 1 ? '' : 's'})\n`,
    );
}

export async function listCommand(scenario: string | undefined, flags: { json?: boolean }): Promise<void> {
  const registry = await loadRegistry();
  if (scenario !== undefined) {
    describeScenario(registry, scenario, Boolean(flags.json));
    return;
  }
  const scenarios = [...registry.values()].map((s) => ({
    use: s.id,
    summary: s.summary,
    platforms: s.platforms,
    requires: s.requires,
  }));
  const files = (await readdir(profilesDir)).filter((f) => f.endsWith('.yaml')).sort();
  const profiles = [];
  for (const f of files) {
    try {
      const p = await loadProfile(join(profilesDir, f), registry);
      profiles.push({
        file: displayPath(join(profilesDir, f)),
        profile: p.profile.profile,
        description: p.profile.description ?? '',
        scenarios: p.profile.scenarios.length,
      });
    } catch {
      profiles.push({
        file: displayPath(join(profilesDir, f)),
        profile: '(invalid)',
        description: 'does not validate: run netconform validate on it',
        scenarios: 0,
      });
    }
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ scenarios, profiles }, null, 2)}\n`);
    return;
  }
  const w = Math.max(...scenarios.map((s) => s.use.length));
  process.stdout.write('Scenarios (use: name, platforms, summary):\n');
  for (const s of scenarios)
    process.stdout.write(`  ${s.use.padEnd(w)}  ${s.platforms.join(',').padEnd(12)}  ${s.summary}\n`);
  process.stdout.write('\nProfiles:\n');
  for (const p of profiles)
    process.stdout.write(
      `${escapeControl(
        `  ${p.file}  ${p.profile} (${p.scenarios} scenario${p.scenarios === 1 ? '' : 's'})${p.description ? ` — ${p.description.split('\n')[0]}` : ''}`,
      )}\n`,
    );
}

/** `netconform schema [--out file]`: to stdout, or written to a file (a local copy for an editor's modeline). */
/** `netconform list <scenario>`: what it is, what it needs and its parameters (types, defaults, descriptions). */
function describeScenario(registry: Awaited<ReturnType<typeof loadRegistry>>, id: string, json: boolean): void {
  const s = registry.get(id);
  if (!s) {
    const near = closest(id, [...registry.keys()]);
    throw new CliError(
      `list: unknown scenario "${escapeControl(id)}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; netconform list shows them all`,
      ExitCode.usage,
    );
  }
  const withRows = paramRows(boundedParamsSchema(s.withSchema));
  const expectRows = paramRows(boundedParamsSchema(s.expectSchema));
  const sut = s.sutVariables ? { variables: s.sutVariables, exit: s.sutExit ?? 'error' } : undefined;
  if (json) {
    const out = {
      use: s.id,
      summary: s.summary,
      platforms: s.platforms,
      requires: s.requires,
      with: withRows,
      expect: expectRows,
      ...(sut ? { sut } : {}),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const sutLines = sut
    ? [
        `  sut: variables for its command, env and ready.port; an exit mid-run is ${sut.exit === 'failure' ? 'a failure' : 'an error'} (sut.exit)`,
        ...Object.entries(sut.variables).map(
          ([n, v]) => `    \${${n}}  ${v.description}${v.ifWith ? ` (only with with.${v.ifWith})` : ''}`,
        ),
      ]
    : [];
  const lines = [
    `${s.id}: ${s.summary}`,
    `  platforms: ${s.platforms.join(', ')}${s.requires.length ? `; requires: ${s.requires.join(', ')}` : ''}`,
    '  with:',
    ...paramLines(withRows),
    '  expect:',
    ...paramLines(expectRows),
    ...sutLines,
  ];
  process.stdout.write(`${lines.map(escapeControl).join('\n')}\n`);
}

export async function schemaCommand(flags: { out?: string } = {}): Promise<void> {
  const text = `${JSON.stringify(await profileJsonSchema(), null, 2)}\n`;
  if (!flags.out) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFileAtomic(resolve(flags.out), text);
  } catch (err) {
    throw new CliError(
      `schema --out: cannot write ${flags.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      ExitCode.environment,
    );
  }
  process.stdout.write(`netconform: wrote ${flags.out}\n`);
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
