/**
 * The macOS TypeScript paths, run on Linux: the `route -n get` parser and the default-route
 * decision on recorded macOS output, the host-mode interface inventory on a recorded `ifconfig -a`,
 * the LaunchAgent and sudo launch contexts of lnp.probe against a fake launchctl and sudo that
 * record what they were asked (test/helpers/fake-macos-bin/), and bundle lint's codesign checks
 * against a fake codesign replaying recorded output. Sources: each fixture's header
 * (test/fixtures/darwin/). This shows the logic runs; it is no claim about a real Mac.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codesignChecks } from '../../suites/bundle/lib/codesign.darwin.ts';
import { walkApp } from '../../suites/bundle/lib/walker.ts';
import { parseRouteGet } from '../../suites/lib/net/route-get.darwin.ts';
import { notSegmentReason, routeSegment, type Endpoint } from '../../suites/lib/net/topology.ts';
import { harnessArgv } from '../../suites/lnp/lib/launch-context.ts';
import { darwinContexts } from '../../suites/lnp/lib/launch-context.darwin.ts';
import type { AgentPlan } from '../../suites/lnp/lib/plan.ts';
import { plistBytes, writeApp, type PlistObject } from '../helpers/bundle-builder.ts';
import { repoRoot } from '../helpers/cli.ts';
import { darwinFixture, interfacesFromIfconfig } from '../helpers/darwin-fixtures.ts';
import { goodExample } from '../helpers/example-bundles.ts';
import { tempDir } from '../helpers/tmp.ts';

/** Entitlements (booleans, strings, arrays: JSON-safe) as the XML plist codesign -d prints. */
const entitlementsXml = (e: object): string =>
  plistBytes(JSON.parse(JSON.stringify(e)) as PlistObject, 'xml').toString('utf8');

describe('route -n get (recorded macOS output)', () => {
  it('reads the default route: gateway, interface, flags', () => {
    expect(parseRouteGet(darwinFixture('route-get-default-en0.txt'))).toEqual({
      routeTo: 'default',
      destination: 'default',
      mask: 'default',
      gateway: '10.62.96.1',
      interface: 'en0',
      flags: ['UP', 'GATEWAY', 'DONE', 'STATIC', 'PRCLONING', 'GLOBAL'],
    });
    expect(parseRouteGet(darwinFixture('route-get-host-en1.txt'))).toMatchObject({
      routeTo: '192.0.43.10',
      gateway: '192.168.1.1',
      interface: 'en1',
    });
  });

  it("reads a VPN's split default route (0.0.0.0/1 by utun3) as it is", () => {
    expect(parseRouteGet(darwinFixture('route-get-vpn-split-utun.txt'))).toMatchObject({
      mask: '128.0.0.0',
      interface: 'utun3',
    });
  });

  it('is undefined for text that is not route get output', () => {
    expect(parseRouteGet('route: writing to routing socket: not in table\n')).toBeUndefined();
    expect(parseRouteGet('')).toBeUndefined();
  });
});

/** An endpoint whose commands answer from recorded output and whose interfaces are en0 and en1. */
function recordedEndpoint(answer: (argv: string[]) => string): { ep: Endpoint; asked: string[][] } {
  const asked: string[][] = [];
  const iface = (name: string, index: number) => ({
    segment: name,
    name,
    index,
    ipv4: undefined,
    ipv6: undefined,
    linkLocal6: undefined,
  });
  const ep: Endpoint = {
    label: 'recorded Mac',
    lab: false,
    ifaces: () => [iface('en0', 6), iface('en1', 7)],
    socket: () => {
      throw new Error('no sockets on a recorded endpoint');
    },
    exec: async (argv) => {
      asked.push(argv);
      return answer(argv);
    },
  };
  return { ep, asked };
}

describe('routeSegment on macOS (route -n get, recorded)', () => {
  it('asks route -n get and takes the interface as the segment', async () => {
    const { ep, asked } = recordedEndpoint(() => darwinFixture('route-get-default-en0.txt'));
    expect(await routeSegment(ep, '255.255.255.255', 'darwin')).toBe('en0');
    expect(asked).toEqual([['route', '-n', 'get', '255.255.255.255']]);
  });

  it('asks for an IPv6 destination with -inet6 (route(8): without it the address is read as IPv4)', async () => {
    const { ep, asked } = recordedEndpoint(() => darwinFixture('route-get-host-en1.txt'));
    expect(await routeSegment(ep, 'ff05::114', 'darwin')).toBe('en1');
    expect(asked).toEqual([['route', '-n', 'get', '-inet6', 'ff05::114']]);
  });

  it('a route by a tunnel (utun3) is no segment; no route at all is undefined, not a throw', async () => {
    const tunnel = recordedEndpoint(() => darwinFixture('route-get-vpn-split-utun.txt'));
    expect(await routeSegment(tunnel.ep, '239.255.0.1', 'darwin')).toBeUndefined();
    const failing = recordedEndpoint(() => {
      throw new Error('route: writing to routing socket: not in table');
    });
    expect(await routeSegment(failing.ep, '239.255.0.1', 'darwin')).toBeUndefined();
  });
});

describe('host-mode interface inventory on a recorded ifconfig -a (two Macs)', () => {
  const types = { lo0: 'loopback', awdl0: 'awdl', en0: 'wifi-infra' } as const;
  const ifaces = interfacesFromIfconfig(darwinFixture('ifconfig-two-macs.txt'), types);
  const verdicts = Object.fromEntries(ifaces.map((i) => [i.name, notSegmentReason(i) ?? 'segment']));

  it('reads every interface of the transcript', () => {
    expect(ifaces.map((i) => i.name)).toEqual(['lo0', 'en5', 'ap1', 'en0', 'awdl0', 'llw0', 'bridge0', 'utun0']);
    expect(ifaces.find((i) => i.name === 'en0')!.addresses).toContainEqual({
      family: 4,
      address: '172.16.42.20',
      prefixLength: 24,
      broadcast: '172.16.42.255',
    });
  });

  it('keeps the Wi-Fi LAN and drops loopback, AWDL, the tunnel and interfaces with no address', () => {
    expect(verdicts).toEqual({
      lo0: 'loopback',
      en0: 'segment',
      awdl0: 'AWDL (Apple Wireless Direct Link, peer-to-peer Wi-Fi)',
      utun0: 'point-to-point (a tunnel: no segment behind it)',
      // macOS sets IFF_RUNNING on interfaces whose `status:` (the media state) is inactive, so the
      // flags alone would make these segments; with no address they cannot send or receive IP.
      ap1: 'no IP address',
      bridge0: 'no IP address',
      // Link-local IPv6 only, up and running: nothing in getifaddrs tells these apart from a LAN
      // (the T2 chip's link, Wi-Fi's low-latency companion of AWDL); `netconform doctor` lists them.
      en5: 'segment',
      llw0: 'segment',
    });
  });
});

describe('lnp launch contexts on macOS against a fake launchctl and sudo', () => {
  const fakeBin = join(repoRoot, 'test', 'helpers', 'fake-macos-bin');
  const savedEnv = { ...process.env };
  let log = '';
  type Call = { tool: string; argv: string[]; job?: Record<string, unknown> };
  const calls = async (): Promise<Call[]> =>
    (await readFile(log, 'utf8').catch(() => ''))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Call);
  const plan = (): AgentPlan => ({
    token: `t${Date.now().toString(36)}`,
    sends: [{ kind: 'unicast', address: '127.0.0.1', port: 9 }],
    receives: [],
    count: 1,
    receiveMs: 0,
  });
  const signal = new AbortController().signal;

  beforeEach(async () => {
    log = join(await tempDir('nc-fakemac-'), 'calls.jsonl');
    process.env.PATH = `${fakeBin}:${savedEnv.PATH ?? ''}`;
    process.env.NC_FAKE_LOG = log;
  });
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
  });

  it('LaunchAgent: bootstraps a RunAtLoad job in gui/<uid> running the agent, reads it, boots it out', async () => {
    const p = plan();
    const before = new Set(await readdir('/tmp'));
    const r = await darwinContexts({ uid: 501 }).run('launchagent', p, 20_000, signal);
    expect(r.skipped).toBeUndefined();
    expect(r.detail).toBe(`uid 501 (LaunchAgent gui/501/dev.netconform.lnp-probe.${p.token})`);
    expect(r.events.map((e) => e.event)).toEqual(['listening', 'send', 'done']);
    const c = await calls();
    const label = `dev.netconform.lnp-probe.${p.token}`;
    expect(c.map((x) => [x.tool, ...x.argv.slice(0, 2)])).toEqual([
      ['launchctl', 'bootstrap', 'gui/501'],
      ['launchctl', 'bootout', `gui/501/${label}`],
    ]);
    expect(c[0]!.job).toMatchObject({
      Label: label,
      ProgramArguments: harnessArgv(p),
      RunAtLoad: true,
      KeepAlive: false,
      WorkingDirectory: process.cwd(),
    });
    // The job's folder (plist, output) is removed afterwards.
    expect((await readdir('/tmp')).filter((f) => f.startsWith('nc-lnp-') && !before.has(f))).toEqual([]);
  });

  it("LaunchAgent: a failed bootstrap is a skip naming launchctl's error; as root there is no such row", async () => {
    process.env.NC_FAKE_BOOTSTRAP_FAIL = 'stand-in error text set by this test';
    const r = await darwinContexts({ uid: 501 }).run('launchagent', plan(), 5000, signal);
    expect(r.skipped).toBe(
      'launchctl bootstrap gui/501 failed (stand-in error text set by this test): no GUI session for this user?',
    );
    expect((await calls()).map((x) => x.argv[0])).toEqual(['bootstrap', 'bootout']);
    const asRoot = await darwinContexts({ uid: 0 }).run('launchagent', plan(), 5000, signal);
    expect(asRoot.skipped).toMatch(/^the harness runs as root: a LaunchAgent belongs to a logged-in user/);
  });

  it('sudo: checks sudo -n true, then runs the agent under sudo -n; without passwordless sudo, a skip', async () => {
    const denied = await darwinContexts({ uid: 501 }).run('sudo', plan(), 5000, signal);
    expect(denied.skipped).toBe(
      'sudo needs a password here (sudo -n failed): run on a machine with passwordless sudo, e.g. a CI runner',
    );
    expect((await calls()).map((x) => x.argv)).toEqual([['-n', 'true']]);

    process.env.NC_FAKE_SUDO_PASSWORDLESS = '1';
    const p = plan();
    const r = await darwinContexts({ uid: 501 }).run('sudo', p, 20_000, signal);
    expect(r.skipped).toBeUndefined();
    expect(r.detail).toBe('uid 0 (sudo -n)');
    expect(r.events.at(-1)).toEqual({ event: 'done', uid: 0 });
    expect((await calls()).map((x) => x.argv).slice(1)).toEqual([
      ['-n', 'true'],
      ['-n', ...harnessArgv(p)],
    ]);
  });

  it('sudo as root and the harness row run the agent directly, without sudo or launchctl', async () => {
    const asRoot = await darwinContexts({ uid: 0 }).run('sudo', plan(), 20_000, signal);
    expect(asRoot.detail).toBe('uid 0 (the harness itself runs as root)');
    const harness = await darwinContexts({ uid: 501 }).run('harness', plan(), 20_000, signal);
    expect(harness.detail).toBe('uid 501 (child of the harness)');
    expect(harness.events.map((e) => e.event)).toEqual(['listening', 'send', 'done']);
    expect(await calls()).toEqual([]);
  });

  // A fake codesign replaying recorded output.
  it("bundle lint's codesign: a recorded valid verify passes, a sealed-resource failure fails", async () => {
    const app = await writeApp(await tempDir('nc-codesign-'), goodExample());
    const model = await walkApp(app);
    const byFile: Record<string, string> = {};
    for (const b of [model.app, ...model.nested]) {
      if (b.signing !== 'signed' || !b.executable) continue;
      byFile[b.executable] = entitlementsXml(b.signature?.entitlements ?? {});
    }
    process.env.NC_FAKE_ENTITLEMENTS = JSON.stringify(byFile);
    process.env.NC_FAKE_VERIFY_OUTPUT = darwinFixture('codesign-verify-valid.txt').replaceAll('APP', app);
    const ok = await codesignChecks(model, { installed: false }, signal);
    expect(ok.map((c) => [c.name, c.verdict])).toEqual([
      ['codesign-verify', 'pass'],
      ['codesign-entitlements', 'pass'],
      ['installed-location', 'skip'],
    ]);
    const asked = (await calls()).map((x) => x.argv);
    expect(asked[0]).toEqual(['--verify', '--deep', '--strict', '--verbose=2', app]);
    expect(asked.slice(1)).toEqual(Object.keys(byFile).map((f) => ['-d', '--entitlements', '-', '--xml', f]));

    process.env.NC_FAKE_VERIFY_OUTPUT = darwinFixture('codesign-verify-sealed-resource.txt').replaceAll('APP', app);
    process.env.NC_FAKE_VERIFY_EXIT = '1';
    const [first] = Object.keys(byFile);
    const differing = entitlementsXml({ 'com.apple.security.app-sandbox': true });
    process.env.NC_FAKE_ENTITLEMENTS = JSON.stringify({ ...byFile, [first!]: differing });
    const bad = await codesignChecks(model, { installed: false }, signal);
    expect(bad[0]).toMatchObject({ name: 'codesign-verify', verdict: 'fail' });
    expect(bad[0]!.reason).toContain('a sealed resource is missing or invalid');
    expect(bad[1]).toMatchObject({ name: 'codesign-entitlements', verdict: 'fail' });
    expect(bad[1]!.reason).toContain('codesign and the parsed signature disagree on');
  });
});
