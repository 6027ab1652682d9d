/**
 * Removing namespaces. `ip netns del` only unmounts the name; a namespace lives on while a
 * process is inside it (ip-netns(8)), and its veths with it. So: kill every process in it
 * first (found through /proc, not through our own bookkeeping), then delete the names, then
 * ask the kernel (`ip -j netns list`) whether they are gone: only then may a caller drop the
 * lab's state file, so a teardown that did not finish still leaves a record for `lab gc`.
 *
 * Every `ip` here runs in its own session (ip.ts `detached`): the Ctrl-C that interrupts a
 * run reaches the whole foreground process group (termios(3)), and must not kill the child
 * doing the deletion.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { killPids, pidsInNetns, pidsInNetnsSync } from '../process/procfs.ts';
import { LabError, ipBatchForce, listNetnsStrict } from './ip.ts';
import { removeCgroupSync } from './local-network.ts';
import { removeHostFilesSync } from './host-files.ts';

/** Deletes `names` (those that exist); resolves with the ones it deleted, or throws EIP naming what is left. */
export async function destroyNamespaces(names: string[]): Promise<string[]> {
  const deleted = new Set<string>();
  /** Why a namespace is still there: ip's own message for its `netns del` line, from the last round. */
  const why = new Map<string, string>();
  let left = names;
  // A second round covers a process that entered a namespace between the sweep and the delete.
  for (let round = 0; round < 2 && left.length > 0; round++) {
    await killPids(await pidsInNetns(left));
    // /run/netns/NAME is the bind mount `ip netns add` made: checking it costs no process.
    // All in one `ip` (a few ms per namespace in the kernel); deleting a namespace deletes its veths (veth(4)).
    const del = left.filter((n) => existsSync(`/run/netns/${n}`));
    const failed = await ipBatchForce(
      del.map((n) => `netns del ${n}`),
      { detached: true },
    );
    del.forEach((n, k) => {
      const m = failed.get(k);
      if (m === undefined) deleted.add(n);
      else why.set(n, m);
    });
    const present = new Set(await listNetnsStrict());
    left = names.filter((n) => present.has(n) || existsSync(`/run/netns/${n}`));
  }
  // A host's cgroup for its own programs and its folders are named like its namespace
  // (local-network.ts, host-files.ts); they go even when the namespace could not.
  for (const n of names) {
    removeCgroupSync(n);
    removeHostFilesSync(n);
  }
  if (left.length > 0) {
    const each = left.map(
      (n) =>
        `${n} (${why.has(n) ? `"netns del ${n}" failed: ${why.get(n)}` : 'still listed by `ip netns list` after its deletion'})`,
    );
    throw new LabError(
      'EIP',
      `teardown left ${left.length} namespace${left.length === 1 ? '' : 's'}: ${each.join(', ')}`,
    );
  }
  return [...deleted];
}

/** For process 'exit' handlers, where nothing asynchronous runs any more. True when none of `names` is left. */
export function destroyNamespacesSync(names: string[]): boolean {
  for (const p of pidsInNetnsSync(names)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  // spawnSync has no `detached`: setsid(1) (util-linux) gives `ip` its own session when present.
  const argv = ['ip', '-force', '-batch', '-'];
  const [file, ...args] = existsSync('/usr/bin/setsid') ? ['/usr/bin/setsid', ...argv] : argv;
  spawnSync(file!, args, {
    input: names.map((n) => `netns del ${n}\n`).join(''),
    stdio: ['pipe', 'ignore', 'ignore'],
    timeout: 5_000,
  });
  for (const n of names) {
    removeCgroupSync(n);
    removeHostFilesSync(n);
  }
  return names.every((n) => !existsSync(`/run/netns/${n}`));
}
