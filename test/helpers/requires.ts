/**
 * What a test needs of the machine beyond Node and a C++ compiler, and the one way a test says
 * so: `describe.skipIf(!need.ok)(need.title('…'), …)` (or `it.skipIf`). The reason names the
 * Debian package that makes the test run (README "Set-up"). Probes run once, synchronously
 * (vitest decides skipIf while collecting), and never throw: a missing program is the ENOENT
 * spawnSync reports, turned into a reason, never an uncaught `spawn … ENOENT`.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cgroup2Mount } from '../../harness/lab/local-network.ts';
import { autogroupNice } from '../../harness/process/priority.ts';

export interface Need {
  ok: boolean;
  /** What is missing and what to install, e.g. "needs tcpdump (Debian package tcpdump), not installed". */
  reason: string;
  /** The title with " (skipped: reason)" appended when the need is not met. */
  title(text: string): string;
  /** Programs that are simply not installed, by Debian package (requires() groups them). */
  readonly notInstalled?: ReadonlyArray<{ cmd: string; pkg: string }>;
}

function need(ok: boolean, reason: string, notInstalled?: Need['notInstalled']): Need {
  return {
    ok,
    reason: ok ? '' : reason,
    title: (text) => (ok ? text : `${text} (skipped: ${reason})`),
    notInstalled: ok ? undefined : notInstalled,
  };
}

const cache = new Map<string, Need>();

/**
 * A program on PATH that runs: `versionArgs` must exit 0 (some tools print their version
 * on stderr; only the exit status counts).
 */
export function program(cmd: string, debianPackage: string, versionArgs: string[] = ['--version']): Need {
  const key = [cmd, debianPackage, ...versionArgs].join('\0');
  const hit = cache.get(key);
  if (hit) return hit;
  const r = spawnSync(cmd, versionArgs, { stdio: 'ignore', timeout: 10_000 });
  const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
  const why =
    code === 'ENOENT'
      ? `needs ${cmd} (Debian package ${debianPackage}), not installed`
      : `needs ${cmd} (Debian package ${debianPackage}); \`${[cmd, ...versionArgs].join(' ')}\` ${code ? `failed with ${code}` : `exited ${r.status ?? r.signal}`}`;
  const n = need(!r.error && r.status === 0, why, code === 'ENOENT' ? [{ cmd, pkg: debianPackage }] : undefined);
  cache.set(key, n);
  return n;
}

/** Root: network namespaces, veths, raw captures. */
export const root: Need = need(process.getuid?.() === 0, 'needs root (network namespaces); run the tests as root');

/** Linux. */
export const linux: Need = need(process.platform === 'linux', `needs Linux, this is ${process.platform}`);

export const ip = (): Need => program('ip', 'iproute2', ['-V']);
export const tc = (): Need => program('tc', 'iproute2', ['-V']);
export const tcpdump = (): Need => program('tcpdump', 'tcpdump', ['--version']);
export const openssl = (): Need => program('openssl', 'openssl', ['version']);
export const chromium = (): Need => program('chromium', 'chromium', ['--version']);
export const setpriv = (): Need => program('setpriv', 'util-linux', ['--version']);
export const sysctl = (): Need => program('sysctl', 'procps', ['-V']);

/**
 * All of `needs`; the reason lists every one that is missing, programs grouped by package
 * ("needs ip, tc (Debian package iproute2), not installed"), so one install fixes them all.
 */
export function requires(...needs: Array<Need | (() => Need)>): Need {
  const unmet = needs.map((n) => (typeof n === 'function' ? n() : n)).filter((n) => !n.ok);
  const absent = unmet.flatMap((n) => n.notInstalled ?? []);
  const byPkg = new Map<string, string[]>();
  for (const a of absent)
    if (!byPkg.get(a.pkg)?.includes(a.cmd)) byPkg.set(a.pkg, [...(byPkg.get(a.pkg) ?? []), a.cmd]);
  const reasons = [
    ...unmet.filter((n) => !n.notInstalled).map((n) => n.reason),
    ...[...byPkg].map(([pkg, cmds]) => `needs ${cmds.join(', ')} (Debian package ${pkg}), not installed`),
  ];
  return need(unmet.length === 0, reasons.join('; '), absent.length ? absent : undefined);
}

/** A lab test: Linux, root and iproute2 (`ip`, `tc`). */
export const labNeeds = (): Need => requires(linux, root, ip, tc);

/** A cgroup v2 mount (read-write) whose cgroups report CPU pressure (PSI: CONFIG_PSI, not booted with psi=0). */
export function cgroupPsi(): Need {
  const mount = cgroup2Mount();
  let psi = false;
  try {
    psi = !!mount && /^some .*total=\d+/m.test(readFileSync(join(mount, 'cpu.pressure'), 'utf8'));
  } catch {
    /* no PSI */
  }
  return need(
    psi,
    mount
      ? `needs PSI on the cgroup v2 mount ${mount} (CONFIG_PSI, not booted with psi=0)`
      : 'needs a read-write cgroup v2 mount',
  );
}

/** Autogroups (sched(7): CONFIG_SCHED_AUTOGROUP, /proc/<pid>/autogroup; not booted with noautogroup). */
export function autogroups(): Need {
  return need(
    autogroupNice(process.pid) !== null,
    'needs a kernel with autogroups (CONFIG_SCHED_AUTOGROUP, /proc/<pid>/autogroup)',
  );
}
