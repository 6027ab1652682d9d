/**
 * What this host can do, probed once per run. A missing capability turns the scenarios that
 * need it into skips whose reason says what is missing and how to get it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { execa } from 'execa';
import { probeNetns } from '../lab/names.ts';
import { destroyNamespaces, destroyNamespacesSync } from '../lab/teardown.ts';
import type { Capabilities, Capability } from '../model/scenario.ts';
import { applyPolicy, ensureCgroup, removeCgroupSync, type PolicyBinding } from '../lab/local-network.ts';
import { pidStartTime } from '../process/procfs.ts';

export type Probe = { ok: boolean; reason: string };

const yes = (reason: string): Probe => ({ ok: true, reason });
const no = (reason: string): Probe => ({ ok: false, reason });

async function run(argv: string[]): Promise<{ ok: boolean; stderr: string }> {
  try {
    const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 10_000 });
    return { ok: r.exitCode === 0, stderr: r.stderr.trim() || (r.failed ? String(r.shortMessage) : '') };
  } catch (err) {
    return { ok: false, stderr: (err as Error).message };
  }
}

/** The probe namespace while it exists: a process.exit() meanwhile (a second Ctrl-C) removes it synchronously. */
const probing = new Set<string>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    if (probing.size) destroyNamespacesSync([...probing]);
  });
}

/** Tries a namespace, then qdiscs on its loopback: proves what the kernel really allows. */
async function probeNamespaces(root: boolean): Promise<{ netns: Probe; netem: Probe; tbf: Probe }> {
  if (process.platform !== 'linux') {
    const r = no('network namespaces exist only on Linux');
    return { netns: r, netem: no('netem is a Linux qdisc'), tbf: no('tbf is a Linux qdisc') };
  }
  if (!root) {
    const r = no(`network namespaces need root (${AS_ROOT})`);
    return { netns: r, netem: no('probing netem needs root'), tbf: no('probing tbf needs root') };
  }
  // Owner pid and start time in the name: `lab gc` removes it if this process dies mid-probe.
  const ns = probeNetns(process.pid, pidStartTime(process.pid), randomBytes(3).toString('hex'));
  installExitHook();
  probing.add(ns);
  const add = await run(['ip', 'netns', 'add', ns]);
  if (!add.ok) {
    // An `ip netns add` cut short may still have made the name.
    await destroyNamespaces([ns]).then(
      () => probing.delete(ns),
      () => undefined,
    );
    const why = /ENOENT|not found/i.test(add.stderr)
      ? 'the ip command (iproute2) is not installed'
      : `ip netns add failed: ${add.stderr}`;
    return { netns: no(why), netem: no(why), tbf: no(why) };
  }
  try {
    await run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
    // The root qdisc of the probe namespace's loopback: added to see the kernel has it, then removed.
    const rootQdisc = (...args: string[]): string[] => [
      'ip',
      'netns',
      'exec',
      ns,
      'tc',
      'qdisc',
      ...args,
      'dev',
      'lo',
      'root',
    ];
    const netem = await run([...rootQdisc('add'), 'netem', 'delay', '1ms']);
    await run(rootQdisc('del'));
    const tbf = await run([...rootQdisc('add'), 'tbf', 'rate', '1mbit', 'burst', '32kbit', 'latency', '50ms']);
    return {
      netns: yes('created and removed a network namespace'),
      netem: netem.ok
        ? yes('added a netem qdisc in a probe namespace')
        : no(`netem is not available in this kernel (${netem.stderr || 'tc failed'})`),
      tbf: tbf.ok
        ? yes('added a tbf qdisc in a probe namespace')
        : no(`tbf is not available in this kernel (${tbf.stderr || 'tc failed'})`),
    };
  } finally {
    // Through the lab's teardown: its `ip` runs outside our process group, so the Ctrl-C
    // that interrupts the run does not kill the deletion.
    // A namespace that would not go is left to `lab gc` (its name names this pid).
    await destroyNamespaces([ns]).then(
      () => probing.delete(ns),
      () => undefined,
    );
  }
}

function probeIpv6(): Probe {
  if (process.platform === 'linux') {
    if (!existsSync('/proc/net/if_inet6')) return no('IPv6 is disabled in this kernel (/proc/net/if_inet6 is missing)');
    const text = readFileSync('/proc/net/if_inet6', 'utf8');
    return text.trim() ? yes('IPv6 addresses present') : no('no interface has an IPv6 address (is ::1 disabled?)');
  }
  return yes('assumed on this platform');
}

async function probeAddon(): Promise<Probe> {
  try {
    const native = await import('../../native/index.ts');
    const status = native.addonStatus();
    if (!status.loaded) return no(status.reason ?? 'the native addon did not load');
    const f = status.features;
    const list = Object.entries(f)
      .map(([k, v]) => `${k} ${v ? 'yes' : 'no'}`)
      .join(', ');
    return yes(`native addon loaded (${list})`);
  } catch (err) {
    return no(`the native addon did not load: ${(err as Error).message}`);
  }
}

/** Attaches the `denied` policy to a throwaway cgroup: proves cgroup v2 and the BPF hooks work here. */
async function probeLocalNetwork(root: boolean, addon: Probe): Promise<Probe> {
  if (process.platform !== 'linux')
    return no('local network policies are emulated only in Linux labs (on macOS the real OS decides)');
  if (!root) return no('emulating local network policies needs root (cgroup v2 and BPF)');
  if (!addon.ok) return no(`emulating local network policies needs the native addon: ${addon.reason}`);
  const name = `ncprobe-${process.pid}-${randomBytes(3).toString('hex')}`;
  try {
    const native = (await import('../../native/index.ts')) as PolicyBinding;
    applyPolicy(native, ensureCgroup(name), 'denied');
    return yes('attached the denied policy (cgroup v2 BPF sendmsg/connect hooks) to a probe cgroup');
  } catch (err) {
    return no((err as Error).message);
  } finally {
    removeCgroupSync(name);
  }
}

/**
 * How to run as root from a local install: sudo resets PATH (sudoers secure_path), so a user's
 * node (nvm, fnm) is found only through the PATH passed on, and the installed binary is named by
 * its path. Not npx: under sudo it writes root-owned files into the user's ~/.npm.
 */
export const AS_ROOT = 'sudo env "PATH=$PATH" "$PWD/node_modules/.bin/netconform" run …';

/** Why something needing root cannot run; reads on after "the lab " too ("the lab needs root (…)"). */
export const NEEDS_ROOT = `needs root (${AS_ROOT})`;

let cached: Promise<Capabilities> | undefined;

export function probeCapabilities(): Promise<Capabilities> {
  cached ??= (async () => {
    const root = typeof process.getuid === 'function' && process.getuid() === 0;
    const [ns, addon] = await Promise.all([probeNamespaces(root), probeAddon()]);
    const lnp = await probeLocalNetwork(root, addon);
    const caps: Capabilities = {
      linux: process.platform === 'linux' ? yes('Linux') : no(`this is ${process.platform}, not Linux`),
      darwin: process.platform === 'darwin' ? yes('macOS') : no(`macOS only; this is ${process.platform}`),
      root: root ? yes('running as root') : no(NEEDS_ROOT),
      netns: ns.netns,
      lab: no('the profile has no lab: section'),
      addon,
      netem: ns.netem,
      tbf: ns.tbf,
      ipv6: probeIpv6(),
      lnp,
      sut: yes('the profile names a system under test'),
    };
    return caps;
  })();
  return cached;
}

/** Reasons the given requirements are not met here (empty when all are). */
export function unmet(requires: readonly Capability[], caps: Capabilities): string[] {
  return requires.filter((r) => !caps[r].ok).map((r) => caps[r].reason);
}
