/**
 * The `netconform` command line. Exit codes: 0 all passed, 1 a check failed, 2 usage or
 * profile error, 3 environment error, 130 interrupted (harness/README.md "Exit codes").
 */
import { Command, CommanderError, Option } from 'commander';
import { escapeControl } from '../util/escape.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { VERSION } from '../runner/environment.ts';
import { SUT_PRIORITIES } from '../process/types.ts';
import { CAPTURE_MODES } from '../model/results.ts';
import { registerLabCommands } from './lab-commands.ts';
import { JUNIT_FLAVOURS } from '../model/junit-flavour.ts';

/*
 * commands.ts pulls in the runner, every reporter, the lab and the scenario registry: most of a
 * start-up's module loading. It is imported when `run` or `merge` runs, so other commands and
 * `--help` do not pay for it (measured with node --cpu-prof: module loading is most of a start).
 * (`--version` alone never gets here: harness/bin/netconform.js answers it.)
 */
type Commands = typeof import('./commands.ts');
const commands = (): Promise<Commands> => import('./commands.ts');
const runCommand: Commands['runCommand'] = async (...a) => (await commands()).runCommand(...a);
const mergeCommand: Commands['mergeCommand'] = async (...a) => (await commands()).mergeCommand(...a);
// validate, list, schema (and lab up's profile) need only the loader and the registry: their own
// module, so they do not load the runner, the reporters or the lab either.
type ProfileCommands = typeof import('./profile-commands.ts');
const profileCommands = (): Promise<ProfileCommands> => import('./profile-commands.ts');
const listCommand: ProfileCommands['listCommand'] = async (...a) => (await profileCommands()).listCommand(...a);
const validateCommand: ProfileCommands['validateCommand'] = async (...a) =>
  (await profileCommands()).validateCommand(...a);
const schemaCommand: ProfileCommands['schemaCommand'] = async (...a) => (await profileCommands()).schemaCommand(...a);
const loadProfileForLab: ProfileCommands['loadProfileForLab'] = async (file) =>
  (await profileCommands()).loadProfileForLab(file);
// doctor probes the host (capabilities, interfaces, tools): its own module, loaded when it runs.
type DoctorCommands = typeof import('./doctor.ts');
const doctorCommand: DoctorCommands['doctorCommand'] = async (...a) =>
  (await import('./doctor.ts')).doctorCommand(...a);

/**
 * A repeatable option's values. No commander default (`[]`): commander would print it as
 * "(default: [])" after the description, which says the real default itself.
 */
const agentCommand = async (flags: import('./agent-command.ts').AgentFlags): Promise<void> =>
  (await import('./agent-command.ts')).agentCommand(flags);

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `--junit`, for run and merge. */
const junitOption = (): Option =>
  new Option(
    '--junit <flavour>',
    'JUnit flavour: annotated adds file and line to each testcase (GitHub/GitLab annotators read them); strict validates against junit-10.xsd (Jenkins xUnit)',
  )
    .choices([...JUNIT_FLAVOURS])
    .default('annotated');

export function buildProgram(): Command {
  const program = new Command('netconform')
    .description('Network-conformance test harness: runs YAML profiles of network scenarios against the real kernel')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(netconform --help lists the commands)')
    .exitOverride();

  program
    .command('run')
    .description('run profiles (default: profiles/first-run.yaml) and write reports')
    .argument('[profiles...]', 'profile files')
    .option('-g, --grep <regex>', 'only scenarios whose id matches')
    .option('-t, --tag <tag>', 'only scenarios with this tag (profile or scenario tags); repeatable', collect)
    .option('--shard <i/n>', 'run shard i of n (deterministic, balanced)')
    .option('--shard-durations <results.json>', 'balance --shard by the durations recorded in a previous results.json')
    .option(
      '-r, --reporter <name>',
      'reporter; repeatable (console, junit, json, html, github; default: console, junit, json, html)',
      collect,
    )
    .addOption(junitOption())
    .option('-o, --out <dir>', 'output folder for report files', 'reports')
    .option('--timeout <duration>', "timeout per scenario (e.g. 30s; default: the scenario's own)")
    .option('--retries <n>', 'retries for a failing scenario (a pass on retry is reported flaky)')
    .option(
      '--late-reruns <n>',
      "re-runs of a scenario whose attempt the harness's lateness kept from a verdict (a lateness error); the verdict is the re-run's, the report lists what was set aside (0 to 5, default 2)",
    )
    .option(
      '--confirm-failures <n>',
      'how many re-runs must see a timing-judged failure again before it stands; one that does not reproduce is flaky (0 to 5, default 1)',
    )
    .addOption(
      new Option('--capture <when>', 'packet captures per lab segment per attempt, kept under <out>/captures/')
        .choices(CAPTURE_MODES)
        .default('on-failure'),
    )
    .option('--dry-run', 'print the plan and run nothing')
    .option(
      '--pass-with-no-tests',
      'exit 0 when --grep/--tag select no scenario (otherwise exit 2), or when every check was skipped (otherwise exit 4)',
    )
    .option('--allow-host-network', "allow scenarios to send on this host's real interfaces when there is no lab")
    .addOption(
      new Option(
        '--sut-priority <level>',
        'scheduling priority of the programs under test: raised (nice -10, root) delays them less on a busy machine, so fewer verdicts become a lateness error; recorded in the reports',
      )
        .choices([...SUT_PRIORITIES])
        .default('normal'),
    )
    .option('-v, --verbose', "stream each scenario's log and print evidence of passing and expected-failing checks too")
    .option('--bail', 'stop after the first scenario with a failed check (= --max-failures 1)')
    .option('--max-failures <n>', 'stop after n scenarios with a failed check; the rest are counted as not run')
    .option('--repeat-each <n>', 'run each selected scenario n times (to find a flaky verdict)')
    .option(
      '--last-failed',
      'run only the scenarios that failed in the last run recorded in --out (its profiles too, when none are given)',
    )
    .option('--list', 'list the selected scenario instances (file:line, id, use) and run nothing')
    .option('--json', 'with --list: as JSON')
    .option('--no-color', 'no colour (also NO_COLOR=1; FORCE_COLOR=1 forces it off a TTY)')
    .addHelpText(
      'after',
      `
Examples:
  netconform run                                   the default profile (profiles/first-run.yaml)
  netconform run profiles/smoke.yaml -r console    the minimal environment check, console only
  netconform run p.yaml --grep '^bcast-reach$' -v  one scenario, with its log and evidence
  netconform run p.yaml --shard 2/3 --shard-durations last/results.json -o shard-2
  netconform merge shard-1 shard-2 shard-3 --out reports
  netconform run --last-failed                     rerun what failed in the last run (reports/.last-run.json)
  netconform run p.yaml --repeat-each 20 --bail    hunt a flaky verdict

Exit codes:
  0    every check passed (or was skipped with its reason, or failed as expected)
  1    a check failed or errored
  2    usage or profile error (profile errors as file:line:col)
  3    environment error (a lab did not come up, a reporter failed)
  4    nothing failed, but nothing was judged (every check skipped) or a profile judged fewer than its minJudged
  130  interrupted (SIGINT, SIGTERM, SIGHUP, SIGQUIT); reports are marked interrupted`,
    )
    .action(runCommand);

  program
    .command('merge')
    .description("merge shards' results.json into one results.json, junit.xml and report.html")
    .argument('<dirs...>', "the shards' output folders")
    .requiredOption('-o, --out <dir>', 'output folder for the merged reports')
    .option(
      '-r, --reporter <name>',
      'reporter; repeatable (console, junit, json, html, github; default: junit, json, html)',
      collect,
    )
    .addOption(junitOption())
    .action(mergeCommand);

  program
    .command('list')
    .description('list scenarios and shipped profiles; with a scenario (its use: name), its parameters')
    .argument(
      '[scenario]',
      'a scenario, e.g. keepalive.honoured: its with:/expect: parameters with types, defaults and descriptions',
    )
    .option('--json', 'as JSON')
    .action(listCommand);

  program
    .command('agent')
    .description(
      'run a peer agent: the responder on another segment for host-mode scenarios (name its address in with.peers)',
    )
    .option('--name <name>', "the name it answers with (default: this host's name)")
    .option('--port <port>', 'UDP control port (default: 47800; 0: any free port)')
    .option(
      '--allow-host-network',
      "allow it to send multicast on this machine's real network (without it, it answers but refuses)",
    )
    .option('-v, --verbose', 'print each request')
    .action(agentCommand);

  program
    .command('validate')
    .description('load and validate profiles only')
    .argument('<profiles...>', 'profile files')
    .action(validateCommand);

  program
    .command('doctor')
    .description(
      'what this host is and what netconform can do here: OS, addon, interfaces, routes, privileges, ' +
        'local network privacy, and per shipped profile what would run or be skipped and why',
    )
    .option('--json', 'as JSON, to attach to a bug report (schema: --json-schema)')
    .option('--json-schema', 'print the JSON Schema of --json and exit')
    .option(
      '--allow-host-network',
      'probe local network privacy (sends four link-local datagrams per launch context) ' +
        'and judge the profiles as a run with --allow-host-network',
    )
    .action(doctorCommand);

  program
    .command('schema')
    .description(
      'print the profile JSON Schema (for editors: # yaml-language-server: $schema=node_modules/netconform/profiles/netconform.schema.json)',
    )
    .option('-o, --out <file>', 'write it to this file instead (a local copy: $schema=./netconform.schema.json)')
    .action(schemaCommand);

  registerLabCommands(program, { loadProfileForLab });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version "exit" with code 0 through the override.
      return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    // Loaded already whenever a profile error can have been thrown (the loader threw it).
    const { ProfileError, countIssues, formatIssues } = await import('../loader/profile.ts');
    if (err instanceof ProfileError) {
      for (const line of formatIssues(err.issues)) process.stderr.write(`${line}\n`);
      const n = countIssues(err.issues);
      process.stderr.write(`netconform: ${n} profile error${n === 1 ? '' : 's'}\n`);
      return ExitCode.usage;
    }
    if (err instanceof CliError) {
      for (const line of err.lines) process.stderr.write(`netconform: ${escapeControl(line)}\n`);
      return err.exitCode;
    }
    process.stderr.write(`netconform: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return ExitCode.environment;
  }
}
