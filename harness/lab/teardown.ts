/**
 * Removing namespaces. `ip netns del` only unmounts the name; a namespace lives on while a
 * process is inside it (ip-netns(8)), and its veths with it. So: kill every process in it
 * first (found through /proc, not through our own bookkeeping), then delete the names.
 */
import { spawnSync } from 'node:child_process';
import { killPids, pidsInNetns, pidsInNetnsSync } from '../process/procfs.ts';
import { existsSync } from 'node:fs';
import { ipBatch } from './ip.ts';
import { removeCgroupSync } from './local-network.ts';

export async function destroyNamespaces(names: string[]): Promise<string[]> {
  await killPids(await pidsInNetns(names));
  // /run/netns/NAME is the bind mount `ip netns add` made: checking it costs no process.
  const del = names.filter((n) => existsSync(`/run/netns/${n}`));
  await ipBatch(del.map((n) => `netns del ${n}`), { force: true });
  // A host's cgroup for its own programs is named like its namespace (local-network.ts).
  for (const n of names) removeCgroupSync(n);
  return del;
}

/** For process 'exit' handlers, where nothing asynchronous runs any more. */
export function destroyNamespacesSync(names: string[]): void {
  for (const p of pidsInNetnsSync(names)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'], timeout: 5_000 });
  for (const n of names) removeCgroupSync(n);
}
