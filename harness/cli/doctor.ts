/**
 * `netconform doctor`: what this host is and what netconform can do on it — the first command on
 * a new machine and what a bug report attaches (`--json`, schema in doctor-schema.ts). It changes
 * nothing and sends nothing, except the local network privacy quick probe, which needs
 * --allow-host-network (four datagrams per launch context, as lnp.probe in host mode sends).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { cgroup2Mount } from '../lab/local-network.ts';
import { displayPath, loadProfile } from '../loader/profile.ts';
import { probeCapabilities } from '../runner/capabilities.ts';
import { VERSION } from '../runner/environment.ts';
import { loadRegistry } from '../runner/registry.ts';
import { LAUNCH_CONTEXTS, launchContexts } from '../../suites/lnp/lib/launch-context.ts';
import { hostInterface, hostPlan } from '../../suites/lnp/lib/probe-host.ts';
import { contextRow, defaultRoutes, interfaceRow, predictScenario } from './doctor-facts.ts';
import { DoctorReport } from './doctor-schema.ts';

const packageRoot = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LNP_PROBE_PORT = 47870; // lnp.probe's default first port
const PROBE_TIMEOUT_MS = 8000;

const run = async (argv: string[]): Promise<string> =>
  (await execa(argv[0]!, argv.slice(1), { stdin: 'ignore', timeout: 10_000 })).stdout;
const tryRun = async (argv: string[]): Promise<string | undefined> => run(argv).catch(() => undefined);

async function osName(): Promise<{ name: string; translated?: boolean }> {
  if (process.platform === 'darwin') {
    // sysctl.proc_translated: 1 under Rosetta, 0 native, absent on Intel (Apple, "About the Rosetta
    // translation environment"); sw_vers(1) prints the product version and build.
    const [v, b, t] = await Promise.all([
      tryRun(['sw_vers', '-productVersion']),
      tryRun(['sw_vers', '-buildVersion']),
      tryRun(['sysctl', '-n', 'sysctl.proc_translated']),
    ]);
    return { name: `macOS ${v?.trim() ?? '?'}${b ? ` (${b.trim()})` : ''}`, translated: t?.trim() === '1' };
  }
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    return { name: pretty ?? process.platform };
  } catch {
    return { name: process.platform };
  }
}

/** How the addon was built: node-gyp's config.gypi beside it (JSON after one comment line). */
function addonBuild(): DoctorReport['addon']['build'] {
  const dir = process.env.NETCONFORM_NATIVE_DIR ?? join(packageRoot, 'native');
  const node = join(dir, 'build', 'Release', 'netconform_native.node');
  if (!existsSync(node)) return {};
  const out: DoctorReport['addon']['build'] = { path: node, builtAt: statSync(node).mtime.toISOString() };
  try {
    const lines = readFileSync(join(dir, 'build', 'config.gypi'), 'utf8').split('\n');
    const text = lines.filter((l) => !l.startsWith('#')).join('\n');
    const vars = (JSON.parse(text) as { variables?: Record<string, unknown> }).variables ?? {};
    out.warningsAsErrors = String(vars.netconform_werror ?? '0') === '1';
    if (vars.node_module_version !== undefined) out.nodeModuleVersion = Number(vars.node_module_version);
  } catch {
    // No config.gypi (a prebuilt copy): the rest is still what is known.
  }
  return out;
}

async function tools(): Promise<DoctorReport['tools']> {
  const has = async (argv: string[], what: string) => {
    try {
      const r = await execa(argv[0]!, argv.slice(1), { reject: false, all: true, stdin: 'ignore', timeout: 10_000 });
      if (r.exitCode !== 0) return { ok: false, reason: `${argv[0]} exited ${r.exitCode}` };
      return { ok: true, reason: (r.all ?? '').split('\n')[0]!.trim() || what };
    } catch (err) {
      return { ok: false, reason: `${argv[0]} not found (${(err as Error).message.split('\n')[0]})` };
    }
  };
  if (process.platform !== 'linux') return { codesign: await has(['codesign', '--help'], 'codesign') };
  // Where the lab's local-network policies live (lab/local-network.ts): any cgroup2 mount.
  const mount = cgroup2Mount();
  const controllersFile = mount ? join(mount, 'cgroup.controllers') : undefined;
  const controllers =
    controllersFile && existsSync(controllersFile) ? readFileSync(controllersFile, 'utf8').trim() : undefined;
  return {
    ip: await has(['ip', '-V'], 'iproute2'),
    tcpdump: await has(['tcpdump', '--version'], 'tcpdump'),
    cgroup2:
      controllers !== undefined
        ? { ok: true, reason: `cgroup v2 at ${mount} (controllers: ${controllers || 'none'})` }
        : { ok: false, reason: 'no cgroup v2 hierarchy is mounted (/proc/self/mountinfo)' },
  };
}

async function localNetwork(allowHostNetwork: boolean): Promise<DoctorReport['localNetwork']> {
  if (!allowHostNetwork) {
    const reason =
      'not probed: the quick probe sends to 169.254.255.1, 255.255.255.255, 239.255.76.80 and ff02::4c4e ' +
      'on the routed interface; run doctor with --allow-host-network';
    return { probed: false, reason, contexts: [] };
  }
  const iface = await hostInterface();
  if (!iface?.ipv4) {
    return { probed: false, reason: 'not probed: no interface with IPv4 stands for a segment here', contexts: [] };
  }
  const contexts = await launchContexts();
  const rows = [];
  for (const c of LAUNCH_CONTEXTS) {
    const plan = hostPlan(iface, LNP_PROBE_PORT, 1, true);
    rows.push(contextRow(await contexts.run(c, plan, PROBE_TIMEOUT_MS, AbortSignal.timeout(PROBE_TIMEOUT_MS * 2))));
  }
  const reason =
    `one datagram per kind on ${iface.name} in each launch context; "sent-unconfirmed" means not refused ` +
    '(no peer confirms arrival)';
  return { probed: true, reason, contexts: rows };
}

export async function gatherDoctor(flags: { allowHostNetwork: boolean }): Promise<DoctorReport> {
  const native = await import('../../native/index.ts');
  const status = native.addonStatus();
  const platform = process.platform === 'darwin' ? 'darwin' : 'linux';
  const [os, caps, routes, toolFacts, lnp] = await Promise.all([
    osName(),
    probeCapabilities(),
    defaultRoutes(process.platform, run),
    tools(),
    localNetwork(flags.allowHostNetwork),
  ]);
  const registry = await loadRegistry();
  const profiles: DoctorReport['profiles'] = [];
  const profilesDir = join(packageRoot, 'profiles');
  for (const f of (await readdir(profilesDir)).filter((x) => x.endsWith('.yaml')).sort()) {
    const loaded = await loadProfile(join(profilesDir, f), registry);
    profiles.push({
      file: displayPath(join(profilesDir, f)),
      profile: loaded.profile.profile,
      scenarios: loaded.profile.scenarios.map((s) =>
        predictScenario(registry.get(s.use)!, loaded, s, caps, { platform, allowHostNetwork: flags.allowHostNetwork }),
      ),
    });
  }
  const uid = process.getuid?.() ?? -1;
  return {
    format: 'netconform-doctor/1',
    netconform: VERSION,
    node: process.version,
    os: {
      platform: process.platform,
      name: os.name,
      kernel: release(),
      arch: process.arch,
      ...(os.translated !== undefined ? { translated: os.translated } : {}),
    },
    user: { uid, root: uid === 0 },
    addon: {
      loaded: status.loaded,
      ...(status.reason ? { reason: status.reason } : {}),
      features: { ...status.features },
      build: addonBuild(),
    },
    networkFramework:
      process.platform !== 'darwin'
        ? { ok: false, reason: `Network framework is macOS-only; this is ${process.platform}` }
        : native.nwGroupAvailable()
          ? { ok: true, reason: 'the addon has NwGroup (NWConnectionGroup, macOS 11+)' }
          : {
              ok: false,
              reason: status.loaded ? 'the addon was built without NwGroup' : (status.reason ?? 'no addon'),
            },
    defaultRoute: routes,
    interfaces: status.loaded ? native.listInterfaces().map(interfaceRow) : [],
    capabilities: caps,
    tools: toolFacts,
    localNetwork: lnp,
    profiles,
  };
}

function printText(r: DoctorReport): void {
  const w = (s: string) => process.stdout.write(`${s}\n`);
  const yes = (ok: boolean) => (ok ? '✓' : '✗');
  const rosetta = r.os.translated ? ', under Rosetta' : '';
  const kernel = `${r.os.platform} ${r.os.kernel}, ${r.os.arch}${rosetta}`;
  w(`netconform ${r.netconform} on ${r.os.name} (${kernel}), Node ${r.node}`);
  w(`user: uid ${r.user.uid}${r.user.root ? ' (root)' : ''}`);
  const b = r.addon.build;
  const built = b.path ? ` — ${b.path}, built ${b.builtAt}${b.warningsAsErrors ? ', warnings as errors' : ''}` : '';
  w(`addon: ${r.addon.loaded ? 'loaded' : `not loaded: ${r.addon.reason ?? ''}`}${built}`);
  w(`Network framework: ${yes(r.networkFramework.ok)} ${r.networkFramework.reason}`);
  for (const [v, route] of Object.entries(r.defaultRoute)) {
    const via = route.gateway ? ` via ${route.gateway}` : '';
    w(`default route ${v}: ${route.interface ? `${route.interface}${via}` : route.reason}`);
  }
  w('interfaces:');
  for (const i of r.interfaces) {
    const why = i.notSegment ? ` — not a segment: ${i.notSegment}` : '';
    w(`  ${i.segment ? '✓' : '·'} ${i.name} (${i.type}) ${i.addresses.join(' ') || 'no address'}${why}`);
  }
  w('capabilities:');
  for (const [k, p] of Object.entries(r.capabilities)) w(`  ${yes(p.ok)} ${k}: ${p.reason}`);
  for (const [k, p] of Object.entries(r.tools)) w(`  ${yes(p.ok)} ${k}: ${p.reason}`);
  w(`local network privacy: ${r.localNetwork.reason}`);
  for (const c of r.localNetwork.contexts) {
    const sends = c.sends.map((s) => `${s.kind} ${s.state}${s.code ? ` ${s.code}` : ''}`).join(', ');
    w(`  ${c.context} (${c.detail || 'n/a'}): ${c.skipped ?? sends}`);
  }
  w('shipped profiles (✓ would run, · skipped: why):');
  for (const p of r.profiles) {
    const runs = p.scenarios.filter((s) => s.runs).length;
    w(`  ${p.file}: ${runs} of ${p.scenarios.length} would run`);
    for (const s of p.scenarios) w(`    ${s.runs ? '✓' : '·'} ${s.id}: ${s.reason}`);
  }
}

export async function doctorCommand(flags: {
  json?: boolean;
  jsonSchema?: boolean;
  allowHostNetwork?: boolean;
}): Promise<void> {
  if (flags.jsonSchema) {
    process.stdout.write(`${JSON.stringify(DoctorReport, null, 2)}\n`);
    return;
  }
  const report = await gatherDoctor({ allowHostNetwork: flags.allowHostNetwork === true });
  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printText(report);
}
