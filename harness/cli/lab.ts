/**
 * `netconform lab up|down|status|gc`: topologies for engineers to poke at by hand.
 * A lab from `lab up` outlives the command (its state is marked persistent, so `lab gc`
 * leaves it) until `lab down` removes it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { bringUpLab, keepLab, labDown, labGc, labStatus, LabError, newRunId, type LabSpec } from '../lab/index.ts';
import { RUN_ID_PATTERN } from '../lab/names.ts';
import { listStateFiles, listStates } from '../lab/state.ts';
import { CliError, ExitCode } from '../util/exit-codes.ts';
import { keepRunningWithoutConsole, onInterruptSignals } from '../util/signals.ts';
import type { LabCommandDeps } from './lab-commands.ts';

export { registerLabCommands, type LabCommandDeps } from './lab-commands.ts';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

function toCliError(e: unknown): never {
  if (e instanceof LabError) {
    if (e.code === 'EABORT')
      throw new CliError(`${e.message} (interrupted); what was built is removed`, ExitCode.interrupted);
    const env = e.code === 'EPERM' || e.code === 'ENETEM' || e.code === 'EIP';
    throw new CliError(e.message, env ? ExitCode.environment : ExitCode.usage, e.message.split('\n'));
  }
  throw e;
}

export async function up(file: string, opts: { runId?: string }, deps: LabCommandDeps): Promise<void> {
  const { lab: spec, file: shown } = await deps.loadProfileForLab(file);
  if (!spec || typeof spec !== 'object') throw new CliError(`${shown} has no lab: section`, ExitCode.usage);
  if (opts.runId !== undefined && !RUN_ID_PATTERN.test(opts.runId))
    throw new CliError(`--run-id must be 5 characters [a-z0-9], starting with a letter`, ExitCode.usage);
  const runId = opts.runId ?? newRunId();
  // Ctrl-C during bring-up: stop, remove what was built, exit 130 (not a half lab for gc).
  const interrupt = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => interrupt.abort(new Error(sig));
  keepRunningWithoutConsole();
  const offSignals = onInterruptSignals(onSignal);
  let lab;
  try {
    lab = await bringUpLab(spec as LabSpec, {
      runId,
      profile: shown,
      profilePath: resolve(file),
      signal: interrupt.signal,
      log: (l) => process.stderr.write(`${l}\n`),
    }).catch(toCliError);
    keepLab(lab);
  } finally {
    offSignals();
  }
  out(`lab ${runId} is up (from ${shown}); it stays until: netconform lab down ${runId}`);
  const width = Math.max(...lab.hosts.map((h) => h.name.length));
  for (const h of lab.hosts) {
    const ifs = h
      .interfaces()
      .map((i) => `${i.name}=${i.segment} ${i.ipv4?.address ?? ''}`)
      .join(', ');
    out(`  ${h.name.padEnd(width)}  ip netns exec ${h.netns} bash    # ${ifs}`);
  }
}

export async function status(opts: { json?: boolean }): Promise<void> {
  const labs = await labStatus();
  for (const c of listStateFiles().corrupt) {
    process.stderr.write(`netconform: lab status: skipped ${c.file}: ${c.reason}\n`);
  }
  if (opts.json) {
    out(JSON.stringify(labs, null, 2));
    return;
  }
  if (labs.length === 0) {
    out('no labs');
    return;
  }
  for (const l of labs) {
    const owner = l.persistent
      ? 'kept (lab up)'
      : `owner pid ${l.ownerPid} ${l.ownerAlive ? 'running' : 'gone: lab gc removes it'}`;
    out(`lab ${l.runId}  ${l.profile ?? ''}  ${owner}  since ${l.createdAt}`);
    for (const s of l.segments) out(`  segment ${s.name}: ${s.ipv4}, ${s.ipv6}`);
    for (const h of l.hosts) {
      out(`  host ${h.name}${h.present ? '' : ' (namespace missing)'}: ip netns exec ${h.netns} bash`);
      for (const i of h.interfaces)
        out(`    ${i.name} (#${i.index}, ${i.segment}, ${i.state}, mtu ${i.mtu}, ${i.mac}): ${i.addresses.join(' ')}`);
    }
  }
}

/**
 * `lab down [runId | profile]`: a run id, or the profile file `lab up` was given (every lab
 * kept from it); no argument = the one lab `lab up` left. Nothing matching is exit 2.
 */
export async function down(target: string | undefined, opts: { force?: boolean }): Promise<void> {
  let ids: string[];
  if (target === undefined) {
    const kept = listStates().filter((s) => s.persistent);
    if (kept.length !== 1) {
      throw new CliError(
        kept.length === 0
          ? 'no lab from `lab up` to take down (lab status lists labs)'
          : `several labs are up (${kept.map((s) => s.runId).join(', ')}): name one`,
        ExitCode.usage,
      );
    }
    ids = [kept[0]!.runId];
  } else if (RUN_ID_PATTERN.test(target) && !existsSync(target)) {
    ids = [target];
  } else {
    const file = resolve(target);
    const fromProfile = listStates().filter(
      (s) =>
        s.profilePath === file ||
        (s.profilePath === undefined && s.profile !== undefined && resolve(s.profile) === file),
    );
    if (fromProfile.length === 0) {
      throw new CliError(
        `no lab from ${target} is up${existsSync(target) ? '' : ' (no such file or run id)'} (lab status lists labs)`,
        ExitCode.usage,
      );
    }
    ids = fromProfile.map((s) => s.runId);
  }
  for (const id of ids) {
    const removed = await labDown(id, opts).catch(toCliError);
    if (removed === undefined) throw new CliError(`no lab ${id} (lab status lists labs)`, ExitCode.usage);
    out(`lab ${id}: removed ${removed.length ? removed.join(', ') : 'its record (its namespaces were already gone)'}`);
  }
}

export async function gc(opts: { all?: boolean }): Promise<void> {
  const r = await labGc({ includePersistent: opts.all, log: (l) => out(l) });
  out(
    `gc: removed ${r.removed.length} namespaces${r.kept.length ? `; kept ${r.kept.length} with a live owner or from lab up (${r.kept.join(', ')})` : ''}`,
  );
  if (r.orphans.length)
    out(`gc: not touched (no state file, owner unknown): ${r.orphans.join(', ')}; remove with ip netns del`);
  const bad = r.corrupt.length;
  if (bad) out(`gc: ${bad} state file${bad === 1 ? '' : 's'} skipped as invalid (above)`);
}
