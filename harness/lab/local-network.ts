/**
 * Local network privacy in a lab (the `localNetwork:` of a host; faults lnpDeny / lnpGrant).
 *
 * macOS 15 decides per process whether it may reach the local network (Apple TN3179
 * "Understanding local network privacy"). A lab host stands for one Mac, and its own programs
 * (the SUT, the lnp probe) for the apps on it: they run in one cgroup v2 per host, named like
 * the host's namespace (`<cgroup2 mount>/nc-<runId>-<host>`), and the policy is a set of BPF
 * programs attached to that cgroup (native/src/lnp_linux.cc). The harness's own instruments
 * (its sockets, responders, peers) are outside the cgroup and never affected, even in the
 * same namespace.
 *
 * Placement happens before the program runs (harness/process/spawn.ts, option `cgroup`).
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabError } from './ip.ts';
import type { LocalNetworkPolicy } from './schema.ts';

/** The addon's hook (Linux build only). */
export interface PolicyBinding {
  setLocalNetworkPolicy?: (cgroupDir: string, policy: LocalNetworkPolicy) => string[];
}

/** Hooks the kernel must show for each policy (native/src/lnp_linux.cc). */
export const POLICY_HOOKS: Record<LocalNetworkPolicy, string[]> = {
  allowed: [],
  denied: ['sendmsg4', 'sendmsg6', 'connect4', 'connect6'],
  silent: ['egress'],
};

/** The cgroup v2 mount point (from /proc/self/mountinfo, proc(5)), or undefined. */
export function cgroup2Mount(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
      // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS … - FSTYPE SOURCE SUPEROPTS"
      const [left, right] = line.split(' - ');
      if (!left || !right?.startsWith('cgroup2 ')) continue;
      const f = left.split(' ');
      if (f[3] === '/' && f[4] && f[5]?.split(',').includes('rw')) return f[4].replace(/\\040/g, ' ');
    }
  } catch {
    /* no procfs */
  }
  return undefined;
}

/** The cgroup a lab host's own programs run in (named like its namespace). */
export const hostCgroupDir = (mount: string, netns: string): string => join(mount, netns);

/** Creates the cgroup if needed; throws LabError ELNP naming what is missing. */
export function ensureCgroup(netns: string): string {
  const mount = cgroup2Mount();
  if (!mount)
    throw new LabError(
      'ELNP',
      'local network policies need a writable cgroup v2 hierarchy (none is mounted read-write here)',
    );
  const dir = hostCgroupDir(mount, netns);
  try {
    mkdirSync(dir, { recursive: false });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new LabError(
        'ELNP',
        `cannot create cgroup ${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      );
    }
  }
  return dir;
}

/** Applies `policy` and checks the kernel shows the expected hooks. */
export function applyPolicy(binding: PolicyBinding | undefined, dir: string, policy: LocalNetworkPolicy): void {
  if (!binding?.setLocalNetworkPolicy)
    throw new LabError('ELNP', 'local network policies need the native addon built on Linux (npm rebuild)');
  let hooks: string[];
  try {
    hooks = binding.setLocalNetworkPolicy(dir, policy);
  } catch (e) {
    const code = (e as { code?: string }).code ?? 'error';
    throw new LabError(
      'ELNP',
      `local network policy "${policy}" could not be attached to ${dir} (${code}): ${(e as Error).message}`,
    );
  }
  const want = POLICY_HOOKS[policy];
  if (hooks.join(',') !== want.join(',')) {
    throw new LabError(
      'ELNP',
      `local network policy "${policy}" on ${dir}: the kernel shows hooks [${hooks.join(', ')}], expected [${want.join(', ')}]`,
    );
  }
}

/**
 * Kills whatever is left in the host's cgroup (cgroup.kill, cgroup v2 since Linux 5.14) and
 * removes it. Idempotent; synchronous so the exit hook can use it.
 */
export function removeCgroupSync(netns: string): boolean {
  const mount = cgroup2Mount();
  if (!mount) return false;
  const dir = hostCgroupDir(mount, netns);
  if (!existsSync(dir)) return false;
  try {
    writeFileSync(join(dir, 'cgroup.kill'), '1');
  } catch {
    /* old kernel or empty */
  }
  // Killed processes leave the cgroup once reaped: retry briefly (bounded, ~1 s).
  for (let i = 0; i < 100; i++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return true;
      if (code !== 'EBUSY') return false;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  return false;
}
