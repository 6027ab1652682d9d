/**
 * The `lab` subcommands' definitions, apart from their actions (./lab.ts): the actions load
 * the lab module (execa, iproute2 plumbing) only when a lab command runs, so `--version` and
 * every other command start without it.
 */
import type { Command } from 'commander';

export interface LabCommandDeps {
  loadProfileForLab(file: string): Promise<{ lab: unknown; file: string }>;
}

const lab = (): Promise<typeof import('./lab.ts')> => import('./lab.ts');

export function registerLabCommands(program: Command, deps: LabCommandDeps): void {
  const labCmd = program.command('lab').description('Linux lab topologies (network namespaces) by hand');
  labCmd
    .command('up')
    .description("bring up the profile's lab: section and keep it after exit")
    .argument('<profile>', 'profile file with a lab: section')
    .option('--run-id <id>', 'run id to use (5 characters [a-z0-9])')
    .action((file: string, opts: { runId?: string }) => lab().then((m) => m.up(file, opts, deps)));
  labCmd
    .command('down')
    .description('remove a lab (default: the one `lab up` left); exit 2 when nothing matches')
    .argument('[runId|profile]', 'run id from lab status, or the profile file given to lab up')
    .option('--force', 'also a lab whose owning run is still alive')
    .action((target: string | undefined, opts: { force?: boolean }) => lab().then((m) => m.down(target, opts)));
  labCmd
    .command('status')
    .description('labs with hosts, interfaces, addresses and the ip netns exec line for a shell')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }) => lab().then((m) => m.status(opts)));
  labCmd
    .command('gc')
    .description('remove what killed runs left (owner pid gone)')
    .option('--all', 'also labs kept by lab up')
    .action((opts: { all?: boolean }) => lab().then((m) => m.gc(opts)));
}
