/**
 * macOS launch contexts for the lnp probe. On Linux, test/suites/darwin-host.test.ts runs it
 * against a fake `launchctl` and `sudo` that record what they were asked and do what launchd
 * and sudo document (RunAtLoad starts ProgramArguments with StandardOutPath; `sudo -n` fails
 * without cached credentials): the decisions and the plist have run; the real launchd has not.
 *
 * - harness: the agent as our child; it shares the harness's responsible process (Terminal,
 *   an IDE, the CI runner agent), hence its permission (Apple TN3179).
 * - launchagent: a LaunchAgent of the logged-in user (`launchctl bootstrap gui/<uid>`,
 *   launchctl(1)); launchd is its parent, so it is responsible for itself and gets its own
 *   decision — "works from Terminal, not as an app".
 * - sudo: the agent as root (`sudo -n`, never prompting); TN3179 and
 *   actions/runner-images#10924: root is not subject to local network privacy, which is why
 *   macos-15 runners work with sudo.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { build as buildPlist } from 'plist';
import { harnessArgv, runAgentArgv, type ContextRun, type LaunchContexts } from './launch-context.ts';
import { parseAgentLine, type AgentEvent, type AgentPlan } from './plan.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Who the harness runs as (process.getuid(); a test passes a user's uid while running as root). */
export interface DarwinContextOptions {
  uid: number;
}

async function viaLaunchAgent(
  plan: AgentPlan,
  timeoutMs: number,
  signal: AbortSignal,
  uid: number,
): Promise<ContextRun> {
  if (uid === 0)
    return {
      context: 'launchagent',
      skipped: 'the harness runs as root: a LaunchAgent belongs to a logged-in user (run without sudo to get this row)',
      events: [],
      output: [],
      detail: '',
    };
  const label = `dev.netconform.lnp-probe.${plan.token}`;
  const dir = await mkdtemp(join(tmpdir(), 'nc-lnp-'));
  const out = join(dir, 'out.jsonl');
  const plistPath = join(dir, `${label}.plist`);
  const domain = `gui/${uid}`;
  try {
    await writeFile(
      plistPath,
      buildPlist({
        Label: label,
        ProgramArguments: harnessArgv(plan),
        WorkingDirectory: process.cwd(),
        StandardOutPath: out,
        StandardErrorPath: join(dir, 'err.txt'),
        RunAtLoad: true,
        KeepAlive: false,
      }),
    );
    const boot = await execa('launchctl', ['bootstrap', domain, plistPath], { reject: false });
    if (boot.exitCode !== 0) {
      return {
        context: 'launchagent',
        skipped: `launchctl bootstrap ${domain} failed (${boot.stderr.trim() || `exit ${boot.exitCode}`}): no GUI session for this user?`,
        events: [],
        output: [],
        detail: '',
      };
    }
    const deadline = Date.now() + timeoutMs;
    let events: AgentEvent[] = [];
    while (Date.now() < deadline && !signal.aborted) {
      const text = await readFile(out, 'utf8').catch(() => '');
      events = text
        .split('\n')
        .map(parseAgentLine)
        .filter((e): e is AgentEvent => e !== undefined);
      if (events.some((e) => e.event === 'done')) break;
      await sleep(100);
    }
    const err = await readFile(join(dir, 'err.txt'), 'utf8').catch(() => '');
    return {
      context: 'launchagent',
      events,
      output: err
        .split('\n')
        .filter(Boolean)
        .slice(0, 20)
        .map((l) => `[stderr] ${l}`),
      detail: `uid ${uid} (LaunchAgent ${domain}/${label})`,
    };
  } finally {
    await execa('launchctl', ['bootout', `${domain}/${label}`], { reject: false });
    await rm(dir, { recursive: true, force: true });
  }
}

async function viaSudo(plan: AgentPlan, timeoutMs: number, signal: AbortSignal, uid: number): Promise<ContextRun> {
  if (uid === 0)
    return runAgentArgv('sudo', harnessArgv(plan), timeoutMs, signal, 'uid 0 (the harness itself runs as root)');
  const can = await execa('sudo', ['-n', 'true'], { reject: false });
  if (can.exitCode !== 0)
    return {
      context: 'sudo',
      skipped: 'sudo needs a password here (sudo -n failed): run on a machine with passwordless sudo, e.g. a CI runner',
      events: [],
      output: [],
      detail: '',
    };
  return runAgentArgv('sudo', ['sudo', '-n', ...harnessArgv(plan)], timeoutMs, signal, 'uid 0 (sudo -n)');
}

export function darwinContexts(opts: DarwinContextOptions = { uid: process.getuid?.() ?? -1 }): LaunchContexts {
  const { uid } = opts;
  return {
    async run(context, plan, timeoutMs, signal) {
      if (context === 'launchagent') return viaLaunchAgent(plan, timeoutMs, signal, uid);
      if (context === 'sudo') return viaSudo(plan, timeoutMs, signal, uid);
      return runAgentArgv('harness', harnessArgv(plan), timeoutMs, signal, `uid ${uid} (child of the harness)`);
    },
  };
}
