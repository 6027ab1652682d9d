/**
 * Removing namespaces. `ip netns del` only unmounts the name; a namespace lives on while a
 * process is inside it (ip-netns(8)), and its veths with it. So: kill every process in it
 * first (found through /proc, not through our own bookkeeping), then delete the names.
 */
import { spawnSync } from 'node:child_process';
import { killPids, pidsInNetns, pidsInNetnsSync } from '../process/procfs.ts';
import { ipBatch, listNetns } from './ip.ts';

export async function destroyNamespaces(names: string[]): Promise<string[]> {
  await killPids(await pidsInNetns(names));
  const existing = new Set(await listNetns());
  const del = names.filter((n) => existing.has(n));
  await ipBatch(del.map((n) => `netns del ${n}`), { force: true });
  return del;
}

/** For process 'exit' handlers, where nothing asynchronous runs any more. */
export function destroyNamespacesSync(names: string[]): void {
  for (const p of pidsInNetnsSync(names)) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
  spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns del ${n}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'], timeout: 5_000 });
}
