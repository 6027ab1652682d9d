/**
 * `netconform doctor`: its --json against its published schema on this Linux host, its
 * predictions compared with what real runs then do (as root and as an ordinary user), and its
 * pure parts on recorded macOS output and a macOS capability set.
 */
import { execa } from 'execa';
import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { contextRow, defaultRoutes, predictScenario } from '../harness/cli/doctor-facts.ts';
import type { DoctorReport } from '../harness/cli/doctor-schema.ts';
import { loadProfile } from '../harness/loader/profile.ts';
import type { RunResult } from '../harness/model/results.ts';
import type { Capabilities } from '../harness/model/scenario.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import { bin, cli, readJson, repoRoot, tempOut } from './helpers/cli.ts';
import { darwinFixture } from './helpers/darwin-fixtures.ts';

const asNobody = (args: string[], home: string) =>
  execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', 'node', bin, ...args], {
    reject: false,
    all: true,
    cwd: repoRoot,
    env: { HOME: home },
  });

/** Scenario id → [runs, reason] for one profile of a doctor report. */
const predicted = (r: DoctorReport, file: string) =>
  Object.fromEntries(r.profiles.find((p) => p.file === file)!.scenarios.map((s) => [s.id, [s.runs, s.reason]]));

/** Scenario id → [ran, skip reason] from a run's results.json. */
const happened = (r: RunResult) =>
  Object.fromEntries(
    r.scenarios.map((s) => {
      const skipped = s.checks.length === 1 && s.checks[0]!.verdict === 'skip' && s.attempts === 0;
      return [s.id, [!skipped, skipped ? s.checks[0]!.reason : undefined]];
    }),
  );

describe('netconform doctor on this host', () => {
  it('--json validates against --json-schema and describes this Linux host', async () => {
    const schema = JSON.parse((await cli(['doctor', '--json-schema'])).stdout) as object;
    const r = await cli(['doctor', '--json']);
    expect(r.exitCode, r.all).toBe(0);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const validate = new Ajv({ strict: false }).compile(schema);
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.os.platform).toBe('linux');
    expect(report.user.root).toBe(process.getuid?.() === 0);
    expect(report.networkFramework).toEqual({ ok: false, reason: 'Network framework is macOS-only; this is linux' });
    expect(report.interfaces.find((i) => i.name === 'lo')).toMatchObject({ segment: false, notSegment: 'loopback' });
    expect(report.localNetwork.probed).toBe(false);
    expect(report.profiles.map((p) => p.file)).toContain('profiles/first-run.yaml');
    expect(Object.keys(report.tools)).toEqual(['ip', 'tcpdump', 'cgroup2']);
  }, 60_000);

  it('prints the same as text, one line per scenario with why it would be skipped', async () => {
    const r = await cli(['doctor']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/^netconform \S+ on .+, Node v/);
    expect(r.stdout).toContain('profiles/host.yaml: ');
    expect(r.stdout).toContain(
      "· broadcast-reach: broadcast.reach would send on this host's real interfaces (no lab): " +
        'refusing without --allow-host-network',
    );
  }, 60_000);

  it('as an ordinary user, predicts what a real run of first-run.yaml runs and skips, and why', async () => {
    if (process.getuid?.() !== 0) return; // setpriv needs root; the root case below still runs
    const out = await tempOut();
    await chmod(out, 0o777);
    const doc = await asNobody(['doctor', '--json'], out);
    expect(doc.exitCode, doc.all).toBe(0);
    const run = await asNobody(['run', 'profiles/first-run.yaml', '--out', join(out, 'r'), '-r', 'json'], out);
    expect(run.exitCode, run.all).toBe(0);
    const real = happened(await readJson<RunResult>(join(out, 'r', 'results.json')));
    const guess = predicted(JSON.parse(doc.stdout) as DoctorReport, 'profiles/first-run.yaml');
    expect(Object.keys(guess)).toEqual(Object.keys(real));
    for (const id of Object.keys(real)) {
      expect(guess[id]![0], id).toBe(real[id]![0]);
      if (!real[id]![0]) expect(guess[id]![1], id).toBe(real[id]![1]);
    }
    expect(Object.values(guess).filter(([runs]) => !runs)).toHaveLength(3);
  }, 120_000);

  it('--allow-host-network runs the local network quick probe per launch context (own namespace)', async () => {
    if (process.getuid?.() !== 0) return; // unshare -n needs root
    // A veth pair with a lab address: the probe's link-local sends stay inside this namespace.
    const setup =
      'ip link set lo up && ip link add v0 type veth peer name v1 && ip addr add 198.18.5.1/24 dev v0 ' +
      '&& ip link set v1 up && ip link set v0 up';
    const argv = [
      '-n',
      'sh',
      '-c',
      `${setup} && exec "$0" "$@"`,
      process.execPath,
      bin,
      'doctor',
      '--json',
      '--allow-host-network',
    ];
    const r = await execa('unshare', argv, { reject: false, all: true, cwd: repoRoot });
    expect(r.exitCode, r.all).toBe(0);
    const lnp = (JSON.parse(r.stdout) as DoctorReport).localNetwork;
    expect(lnp.probed).toBe(true);
    expect(lnp.reason).toMatch(/^one datagram per kind on v0 in each launch context/);
    expect(lnp.contexts.map((c) => c.context)).toEqual(['harness', 'launchagent', 'sudo']);
    expect(lnp.contexts[0]!.sends.map((x) => x.kind)).toEqual(['unicast', 'broadcast', 'multicast4', 'multicast6']);
    expect(lnp.contexts[0]!.sends.every((x) => x.state !== 'not-run')).toBe(true);
    expect(lnp.contexts[1]!.skipped).toMatch(/matters only on macOS/);
  }, 60_000);

  it('predicts host.yaml without --allow-host-network as a real run skips it', async () => {
    const out = await tempOut();
    const doc = await cli(['doctor', '--json']);
    const run = await cli(['run', 'profiles/host.yaml', '--out', out, '-r', 'json']);
    expect([0, 1]).toContain(run.exitCode);
    const real = happened(await readJson<RunResult>(join(out, 'results.json')));
    const guess = predicted(JSON.parse(doc.stdout) as DoctorReport, 'profiles/host.yaml');
    for (const id of Object.keys(real)) {
      expect(guess[id]![0], id).toBe(real[id]![0]);
      if (!real[id]![0]) expect(guess[id]![1], id).toBe(real[id]![1]);
    }
  }, 120_000);
});

describe("doctor's decisions for a Mac, on Linux", () => {
  it('reads both default routes from route -n get (recorded), and a failing route as none', async () => {
    const asked: string[][] = [];
    const routes = await defaultRoutes('darwin', async (argv) => {
      asked.push(argv);
      if (argv.includes('-inet6')) throw new Error('route: writing to routing socket: not in table');
      return darwinFixture('route-get-default-en0.txt');
    });
    expect(asked).toEqual([
      ['route', '-n', 'get', 'default'],
      ['route', '-n', 'get', '-inet6', 'default'],
    ]);
    expect(routes.ipv4).toEqual({ interface: 'en0', gateway: '10.62.96.1' });
    expect(routes.ipv6.reason).toMatch(/^no default route \(route: writing to routing socket: not in table\)$/);
  });

  it("reads iproute2's JSON on Linux", async () => {
    const routes = await defaultRoutes('linux', async (argv) =>
      argv.includes('-6') ? '[]' : '[{"dst":"default","gateway":"192.0.2.1","dev":"eth0","flags":[]}]',
    );
    expect(routes).toEqual({ ipv4: { interface: 'eth0', gateway: '192.0.2.1' }, ipv6: { reason: 'no default route' } });
  });

  it('on a Mac, lab profiles are skipped (no namespaces) and host.yaml runs with --allow-host-network', async () => {
    const registry = await loadRegistry();
    const no = (reason: string) => ({ ok: false, reason });
    const yes = (reason: string) => ({ ok: true, reason });
    // The capabilities harness/runner/capabilities.ts reports on macOS as root with the addon.
    const mac: Capabilities = {
      linux: no('this is darwin, not Linux'),
      darwin: yes('macOS'),
      root: yes('running as root'),
      netns: no('network namespaces exist only on Linux'),
      lab: no('the profile has no lab: section'),
      addon: yes('native addon loaded'),
      netem: no('netem is a Linux qdisc'),
      tbf: no('tbf is a Linux qdisc'),
      ipv6: yes('assumed on this platform'),
      lnp: no('local network policies are emulated only in Linux labs (on macOS the real OS decides)'),
      sut: yes('the profile names a system under test'),
    };
    const rows = async (file: string, allowHostNetwork: boolean) => {
      const p = await loadProfile(join(repoRoot, 'profiles', file), registry);
      return p.profile.scenarios.map((s) =>
        predictScenario(registry.get(s.use)!, p, s, mac, { platform: 'darwin', allowHostNetwork }),
      );
    };
    const firstRun = await rows('first-run.yaml', true);
    expect(firstRun.find((r) => r.id === 'broadcast-reach')).toMatchObject({
      runs: false,
      reason:
        "cannot run here: the profile's lab is not up: labs need Linux network namespaces; " +
        'this is darwin, not Linux',
    });
    expect((await rows('host.yaml', true)).every((r) => r.runs)).toBe(true);
    expect((await rows('host.yaml', false)).filter((r) => !r.runs).map((r) => r.id)).toEqual([
      'broadcast-reach',
      'multicast-asymmetry',
      'group-peers',
    ]);
    const nw = await rows('nwgroup.yaml', true);
    expect(nw.every((r) => r.runs)).toBe(true);
  });

  it("a launch context's quick probe becomes one row per kind: refused with its errno, or not refused", () => {
    const row = contextRow({
      context: 'harness',
      detail: 'uid 501 (child of the harness)',
      output: [],
      events: [
        { event: 'listening', kinds: [] },
        { event: 'send', kind: 'unicast', sent: 1 },
        { event: 'send', kind: 'broadcast', sent: 0, code: 'EHOSTUNREACH' },
        { event: 'done', uid: 501 },
      ],
    });
    expect(row.sends).toEqual([
      { kind: 'unicast', state: 'sent-unconfirmed' },
      { kind: 'broadcast', state: 'denied', code: 'EHOSTUNREACH' },
      { kind: 'multicast4', state: 'not-run' },
      { kind: 'multicast6', state: 'not-run' },
    ]);
    expect(contextRow({ context: 'sudo', skipped: 'no sudo', detail: '', events: [], output: [] }).sends).toEqual([]);
  });
});
