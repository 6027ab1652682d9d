/**
 * Linux /proc readers used for teardown accounting and SUT readiness, so neither needs a
 * helper process: namespace membership via /proc/PID/ns/net (namespaces(7)), listening
 * sockets via /proc/PID/net/tcp{,6} (proc(5): the table of the namespace PID is in).
 */
import { readFile, readdir, readlink, stat } from 'node:fs/promises';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

/** Inode of /run/netns/NAME, the identity `/proc/PID/ns/net` links to as `net:[INO]`. */
async function netnsInode(name: string): Promise<number | undefined> {
  try {
    return (await stat(`/run/netns/${name}`)).ino;
  } catch {
    return undefined;
  }
}

/** Pids of every process whose network namespace is one of `names` (excluding ourselves). */
export async function pidsInNetns(names: string[]): Promise<number[]> {
  const inodes = new Set<string>();
  for (const n of names) {
    const ino = await netnsInode(n);
    if (ino !== undefined) inodes.add(`net:[${ino}]`);
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (inodes.has(await readlink(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      // Exited meanwhile, or a kernel thread.
    }
  }
  return pids;
}

/** Synchronous variant for process 'exit' handlers. */
export function pidsInNetnsSync(names: string[]): number[] {
  const inodes = new Set<string>();
  for (const n of names) {
    try {
      inodes.add(`net:[${statSync(`/run/netns/${n}`).ino}]`);
    } catch {
      /* gone */
    }
  }
  if (inodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (inodes.has(readlinkSync(`/proc/${entry}/ns/net`))) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

/**
 * The fields of /proc/PID/stat after the command name (proc(5)): [0] is field 3 (state), [3]
 * field 6 (session), [19] field 22 (start time); undefined when it is gone. The name (field 2)
 * may contain spaces and parens, so the split is after the last ')'.
 */
export function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Start time of a process in clock ticks since boot (proc(5) stat field 22); pid-reuse guard. */
export function pidStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** True when `pid` leads its session (proc(5) stat field 6). */
export function leadsSession(pid: number): boolean {
  return Number(statFields(pid)?.[3]) === pid;
}

/** True when `pid` runs and, if given, started at `start` (so a reused pid is not mistaken for it). */
export function pidAlive(pid: number, start?: string): boolean {
  const now = pidStartTime(pid);
  if (now === undefined) return false;
  if (start !== undefined && now !== start) return false;
  // A zombie has exited already.
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** TCP ports in LISTEN state in the network namespace of `pid` (0A = TCP_LISTEN). */
export async function listeningTcpPorts(pid: number): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const f of ['tcp', 'tcp6']) {
    let text: string;
    try {
      text = await readFile(`/proc/${pid}/net/${f}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols[3] !== '0A' || !cols[1]) continue;
      ports.add(parseInt(cols[1].split(':')[1] ?? '0', 16));
    }
  }
  return ports;
}

/** SIGKILL every pid; waits (bounded) until they are gone from /proc. */
export async function killPids(pids: number[], timeoutMs = 2_000): Promise<void> {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  const deadline = Date.now() + timeoutMs;
  while (pids.some((p) => pidAlive(p)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}
