/**
 * bundle.lint rule by rule: each rule's pass and fail case on bundles the test helper builds
 * (variations of the shipped good example), bad input becoming `error` checks, the committed
 * example bundles matching their generator, and profiles/bundle.yaml through the real CLI.
 */
import { execa } from 'execa';
import { chmod, readFile, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Check } from '../../harness/model/check.ts';
import type { RunResult } from '../../harness/model/results.ts';
import { lintApp } from '../../suites/bundle/lib/lint.ts';
import { isServiceType } from '../../suites/bundle/lib/rules/local-network.ts';
import type { LintOptions } from '../../suites/bundle/lib/rules/types.ts';
import { writeApp, type AppSpec, type BundleSpec, type PlistObject } from '../helpers/bundle-builder.ts';
import { bin, cli, readJson, repoRoot, tempOut } from '../helpers/cli.ts';
import { EXAMPLE_TEAM, fieldExample, goodExample, writeExamples } from '../helpers/example-bundles.ts';
import { tempDir } from '../helpers/tmp.ts';

const EXT = 'Library/SystemExtensions/com.example.netconform.filter.systemextension';

async function lint(spec: AppSpec, opts: Partial<LintOptions> = {}): Promise<Map<string, Check>> {
  const dir = await tempDir('nc-bundle-');
  const app = await writeApp(dir, spec);
  const { checks } = await lintApp(app, {
    distribution: 'developer-id',
    usesUdp: undefined,
    now: new Date('2026-06-01T00:00:00Z'),
    ...opts,
  });
  return new Map(checks.map((c) => [c.name, c]));
}

function good(edit?: (spec: AppSpec, ext: BundleSpec) => void): AppSpec {
  const spec = goodExample();
  edit?.(spec, spec.nested![EXT]!);
  return spec;
}

const ents = (b: BundleSpec): PlistObject => b.executable!.slices[0]!.signature!.entitlements!;
/** Applies an entitlement edit to every slice's signature and, unless `profileToo` is false, to the profile. */
function setEntitlement(b: BundleSpec, key: string, value: PlistObject[string] | undefined, profileToo = true) {
  for (const s of b.executable!.slices) {
    const e = { ...s.signature!.entitlements! };
    if (value === undefined) delete e[key];
    else e[key] = value;
    s.signature = { ...s.signature!, entitlements: e };
  }
  if (profileToo && b.profile) {
    if (value === undefined) delete b.profile.entitlements[key];
    else b.profile.entitlements[key] = value;
  }
}

function expectVerdict(checks: Map<string, Check>, name: string, verdict: Check['verdict'], reason?: RegExp) {
  const c = checks.get(name);
  expect(c, `no check ${name}`).toBeDefined();
  expect(c!.verdict, `${name}: ${c!.reason}`).toBe(verdict);
  if (reason) expect(c!.reason).toMatch(reason);
}

describe('the good example passes every rule that applies', () => {
  it('passes, with no error and no fail', async () => {
    const checks = await lint(good());
    const bad = [...checks.values()].filter((c) => c.verdict === 'fail' || c.verdict === 'error');
    expect(bad).toEqual([]);
    for (const id of [
      'sysext-location',
      'sysext-folder-name',
      'sysext-usage-description',
      'bundle-id-prefix',
      'same-team',
      'host-install-entitlement',
      'ne-entitlement-distribution',
      'ne-provider-classes',
      'profile-grants',
      'notarization-ready',
      'fat-slices-agree',
      'local-network-usage',
      'bonjour-service-types',
      'sandbox-udp',
    ]) {
      expectVerdict(checks, id, 'pass');
    }
    expect(checks.get('inventory')!.evidence![0]).toMatchObject({
      kind: 'text',
      text: expect.stringMatching(/signed by NCEXAMPLE1 \(x86_64\+arm64\)/),
    });
  });
});

describe('system extension rules', () => {
  it('sysext-location: an extension outside Contents/Library/SystemExtensions fails, naming where to move it', async () => {
    const spec = good((s, ext) => {
      delete s.nested![EXT];
      s.nested!['Resources/com.example.netconform.filter.systemextension'] = ext;
    });
    expectVerdict(
      await lint(spec),
      'sysext-location',
      'fail',
      /Contents\/Resources\/com\.example\.netconform\.filter\.systemextension: location is outside .*fix: move it to NetconformFilter\.app\/Contents\/Library\/SystemExtensions\//,
    );
  });

  it('sysext-folder-name: the field report fails naming the identifier and the rename; a .dext named after its id passes', async () => {
    const checks = await lint(fieldExample());
    expectVerdict(
      checks,
      'sysext-folder-name',
      'fail',
      /ExamNetFilterData\.systemextension: CFBundleIdentifier folder is "ExamNetFilterData\.systemextension" but CFBundleIdentifier is "com\.seaskylight\.yksmacos\.ExamNetFilter\.data".*code 4.*rename it to com\.seaskylight\.yksmacos\.ExamNetFilter\.data\.systemextension/,
    );
    const fails = [...checks.values()].filter((c) => c.verdict === 'fail' || c.verdict === 'error').map((c) => c.name);
    expect(fails).toEqual(['sysext-folder-name']);
    const dext = good((s) => {
      s.nested!['Library/SystemExtensions/com.example.netconform.driver.dext'] = driverKit(
        'com.example.netconform.driver',
        { OSBundleUsageDescription: 'Drives the example device.' },
      );
    });
    const d = await lint(dext);
    expectVerdict(d, 'sysext-folder-name', 'pass', /com\.example\.netconform\.driver\.dext/);
    expectVerdict(
      d,
      'sysext-usage-description',
      'pass',
      /com\.example\.netconform\.driver\.dext has OSBundleUsageDescription/,
    );
  });

  it('sysext-usage-description: missing in the extension fails even when the host has it; DriverKit needs OSBundleUsageDescription', async () => {
    const spec = good((s, ext) => {
      delete ext.info.NSSystemExtensionUsageDescription;
      s.info.NSSystemExtensionUsageDescription = 'in the wrong place';
    });
    expectVerdict(
      await lint(spec),
      'sysext-usage-description',
      'fail',
      /com\.example\.netconform\.filter\.systemextension\/Contents\/Info\.plist: NSSystemExtensionUsageDescription is missing \(it is in the host app's Info\.plist/,
    );
    const empty = good((_, ext) => {
      ext.info.NSSystemExtensionUsageDescription = '  ';
    });
    expectVerdict(await lint(empty), 'sysext-usage-description', 'fail', /NSSystemExtensionUsageDescription is empty/);
    const dext = good((s) => {
      s.nested!['Library/SystemExtensions/com.example.netconform.driver.dext'] = driverKit(
        'com.example.netconform.driver',
        { NSSystemExtensionUsageDescription: 'not the DriverKit key' },
      );
    });
    expectVerdict(
      await lint(dext),
      'sysext-usage-description',
      'fail',
      /driver\.dext\/Contents\/Info\.plist: OSBundleUsageDescription is missing/,
    );
  });

  it('bundle-id-prefix: an extension id outside the host id fails', async () => {
    const spec = good((s, ext) => {
      delete s.nested![EXT];
      ext.info.CFBundleIdentifier = 'com.other.filter';
      s.nested!['Library/SystemExtensions/com.other.filter.systemextension'] = ext;
    });
    expectVerdict(
      await lint(spec),
      'bundle-id-prefix',
      'fail',
      /CFBundleIdentifier "com\.other\.filter" does not start with the host's "com\.example\.netconform\."/,
    );
  });

  it('same-team: another team fails, unless the extension is redistributable; an unsigned extension fails', async () => {
    const other = good((_, ext) => {
      ext.executable!.slices[0]!.signature!.teamId = 'OTHERTEAM1';
    });
    expectVerdict(
      await lint(other),
      'same-team',
      'fail',
      /MacOS\/com\.example\.netconform\.filter: TeamIdentifier signed by team OTHERTEAM1, the host by NCEXAMPLE1/,
    );
    const redistributable = good((_, ext) => {
      ext.executable!.slices[0]!.signature!.teamId = 'OTHERTEAM1';
      ents(ext)['com.apple.developer.system-extension.redistributable'] = true;
    });
    expectVerdict(await lint(redistributable), 'same-team', 'pass', /OTHERTEAM1 \(redistributable\)/);
    const unsigned = good((_, ext) => {
      ext.executable = { slices: [{ arch: 'arm64' }] };
    });
    expectVerdict(await lint(unsigned), 'same-team', 'fail', /not signed; the host is signed by NCEXAMPLE1/);
  });

  it('host-install-entitlement: a host without com.apple.developer.system-extension.install fails', async () => {
    const spec = good((s) => setEntitlement(s, 'com.apple.developer.system-extension.install', undefined));
    expectVerdict(
      await lint(spec),
      'host-install-entitlement',
      'fail',
      /MacOS\/NetconformFilter: com\.apple\.developer\.system-extension\.install is not in the host's signed entitlements/,
    );
    const none = await lint(
      good((s) => {
        s.nested = {};
      }),
    );
    expectVerdict(
      none,
      'host-install-entitlement',
      'skip',
      /not applicable: the app embeds no system or DriverKit extension/,
    );
  });
});

describe('Network Extension rules', () => {
  it('ne-entitlement-distribution: Developer ID needs -systemextension values, the App Store the standard ones', async () => {
    const standard = good((s, ext) => {
      for (const b of [s, ext])
        setEntitlement(b, 'com.apple.developer.networking.networkextension', ['content-filter-provider']);
    });
    expectVerdict(
      await lint(standard),
      'ne-entitlement-distribution',
      'fail',
      /com\.apple\.developer\.networking\.networkextension = content-filter-provider is the App Store\/development value.*claim content-filter-provider-systemextension instead/,
    );
    expectVerdict(await lint(standard, { distribution: 'app-store' }), 'ne-entitlement-distribution', 'pass');
    expectVerdict(
      await lint(good(), { distribution: 'app-store' }),
      'ne-entitlement-distribution',
      'fail',
      /is the Developer ID value; app-store signing uses the standard value; fix: claim content-filter-provider instead/,
    );
  });

  it('ne-provider-classes: a provider class without its entitlement value fails both ways; a missing NEProviderClasses fails', async () => {
    const mismatch = good((_, ext) => {
      ext.info.NetworkExtension = {
        NEProviderClasses: { 'com.apple.networkextension.packet-tunnel': 'Tunnel.Provider' },
      };
    });
    const c = (await lint(mismatch)).get('ne-provider-classes')!;
    expect(c.verdict).toBe('fail');
    expect(c.reason).toMatch(
      /NEProviderClasses has com\.apple\.networkextension\.packet-tunnel but the signature does not claim packet-tunnel-provider/,
    );
    expect(c.reason).toMatch(
      /the signature claims content-filter-provider but NEProviderClasses has no matching extension point/,
    );
    const missing = good((_, ext) => {
      ext.info.NetworkExtension = {};
    });
    expectVerdict(
      await lint(missing),
      'ne-provider-classes',
      'fail',
      /NetworkExtension\.NEProviderClasses is missing or empty/,
    );
  });
});

describe('provisioning profile rule', () => {
  it('fails when the profile does not grant a claimed value, is missing, expired, from another team or a development profile', async () => {
    const notGranted = good((_, ext) => {
      ext.profile!.entitlements['com.apple.developer.networking.networkextension'] = [
        'packet-tunnel-provider-systemextension',
      ];
    });
    expectVerdict(
      await lint(notGranted),
      'profile-grants',
      'fail',
      /filter\.systemextension\/Contents\/embedded\.provisionprofile: com\.apple\.developer\.networking\.networkextension is claimed as \["content-filter-provider-systemextension"\].*grants \["packet-tunnel-provider-systemextension"\]/,
    );
    const missing = good((s) => {
      delete s.profile;
    });
    expectVerdict(
      await lint(missing),
      'profile-grants',
      'fail',
      /NetconformFilter\.app\/Contents\/embedded\.provisionprofile: .* is missing, but the signature claims restricted entitlements/,
    );
    const expired = good((s) => {
      s.profile!.expires = new Date('2026-01-01T00:00:00Z');
    });
    expectVerdict(await lint(expired), 'profile-grants', 'fail', /ExpirationDate expired on 2026-01-01/);
    const team = good((s) => {
      s.profile!.teamIds = ['OTHERTEAM1'];
    });
    expectVerdict(
      await lint(team),
      'profile-grants',
      'fail',
      /TeamIdentifier is OTHERTEAM1; the signature's team is NCEXAMPLE1/,
    );
    const dev = good((s) => {
      s.profile!.provisionsAllDevices = false;
    });
    expectVerdict(
      await lint(dev),
      'profile-grants',
      'fail',
      /ProvisionsAllDevices is a development profile \(1 devices\)/,
    );
    expectVerdict(await lint(dev, { distribution: 'development' }), 'profile-grants', 'pass');
  });

  it('accepts wildcard grants and needs no profile for unrestricted entitlements only', async () => {
    const wildcard = good((s) => {
      s.profile!.entitlements['com.apple.application-identifier'] = `${EXAMPLE_TEAM}.*`;
    });
    expectVerdict(await lint(wildcard), 'profile-grants', 'pass');
    const sandboxOnly: AppSpec = {
      name: 'Plain.app',
      info: { CFBundleIdentifier: 'com.example.plain', CFBundleExecutable: 'Plain' },
      executable: {
        slices: [
          {
            signature: {
              identifier: 'com.example.plain',
              teamId: EXAMPLE_TEAM,
              entitlements: { 'com.apple.security.app-sandbox': true },
            },
          },
        ],
      },
    };
    expectVerdict(await lint(sandboxOnly), 'profile-grants', 'skip', /no signature claims a restricted entitlement/);
  });
});

describe('notarization rule', () => {
  it('fails an ad-hoc, non-hardened or get-task-allow executable for Developer ID; not applicable to the App Store', async () => {
    const spec = good((s, ext) => {
      for (const sl of s.executable!.slices) sl.signature = { ...sl.signature!, flags: 0 };
      ents(ext)['com.apple.security.get-task-allow'] = true;
    });
    const c = (await lint(spec)).get('notarization-ready')!;
    expect(c.verdict).toBe('fail');
    expect(c.reason).toMatch(/MacOS\/NetconformFilter: CodeDirectory flags \(CS_RUNTIME\) the hardened runtime is off/);
    expect(c.reason).toMatch(/MacOS\/com\.example\.netconform\.filter: com\.apple\.security\.get-task-allow is true/);
    const adhoc = good((_, ext) => {
      ext.executable!.slices[0]!.signature = { identifier: 'x', adhoc: true };
    });
    expectVerdict(await lint(adhoc), 'notarization-ready', 'fail', /is ad-hoc \(no team identity\)/);
    expectVerdict(await lint(spec, { distribution: 'app-store' }), 'notarization-ready', 'skip', /this is app-store/);
  });
});

describe('fat slices rule', () => {
  it("fails when a universal binary's slices are signed differently; a thin-only app is not applicable", async () => {
    const spec = good((s) => {
      const [x86, arm] = s.executable!.slices;
      arm!.signature = {
        ...x86!.signature!,
        entitlements: { ...x86!.signature!.entitlements!, 'com.apple.security.network.server': false },
      };
    });
    expectVerdict(
      await lint(spec),
      'fat-slices-agree',
      'fail',
      /MacOS\/NetconformFilter: arm64 slice is signed differently from the x86_64 slice \(entitlements differ\)/,
    );
    const thin = good((s) => {
      s.executable = { slices: [s.executable!.slices[1]!] };
    });
    expectVerdict(await lint(thin), 'fat-slices-agree', 'skip', /no executable is a universal/);
  });

  it('walks login items and app extensions too, and lists them in the inventory', async () => {
    const spec = good((s) => {
      s.nested!['Library/LoginItems/Helper.app'] = {
        info: { CFBundleIdentifier: 'com.example.helper', CFBundleExecutable: 'Helper' },
        executable: { slices: [{ signature: { identifier: 'com.example.helper', teamId: EXAMPLE_TEAM } }] },
      };
      s.nested!['PlugIns/Share.appex'] = {
        info: { CFBundleIdentifier: 'com.example.share', CFBundleExecutable: 'Share' },
        infoFormat: 'binary',
        executable: { slices: [{ signature: { identifier: 'com.example.share', teamId: EXAMPLE_TEAM } }] },
      };
    });
    const checks = await lint(spec);
    const inventory = (checks.get('inventory')!.evidence![0] as { text: string }).text;
    expect(inventory).toMatch(/LoginItems\/Helper\.app \[login-item\] com\.example\.helper/);
    expect(inventory).toMatch(/PlugIns\/Share\.appex \[app-extension\] com\.example\.share/);
    // The prefix rule covers app extensions, not login items (a login item is an app of its own).
    const prefix = checks.get('bundle-id-prefix')!;
    expect(prefix.reason).toMatch(
      /Share\.appex\/Contents\/Info\.plist: CFBundleIdentifier "com\.example\.share" does not start with/,
    );
    expect(prefix.reason).not.toMatch(/Helper/);
  });
});

describe('local network rules', () => {
  it('local-network-usage: NSBonjourServices without a description fails; no Bonjour is not applicable', async () => {
    const spec = good((s) => {
      delete s.info.NSLocalNetworkUsageDescription;
    });
    expectVerdict(
      await lint(spec),
      'local-network-usage',
      'fail',
      /NetconformFilter\.app\/Contents\/Info\.plist: NSLocalNetworkUsageDescription is missing though NSBonjourServices is declared.*-72008/,
    );
    const none = good((s) => {
      delete s.info.NSBonjourServices;
    });
    expectVerdict(await lint(none), 'local-network-usage', 'skip', /no bundle declares NSBonjourServices/);
  });

  it('bonjour-service-types: malformed service types fail, each named with a suggestion', async () => {
    const spec = good((s) => {
      s.info.NSBonjourServices = ['_netconform._udp', '_http.tcp', 'printer._tcp', '_this-name-is-too-long._tcp'];
    });
    const c = (await lint(spec)).get('bonjour-service-types')!;
    expect(c.verdict).toBe('fail');
    expect(c.reason).toMatch(/NSBonjourServices: "_http\.tcp" is not a service type.*write it as _http\._tcp/);
    expect(c.reason).toMatch(/"printer\._tcp"/);
    expect(c.reason).toMatch(/"_this-name-is-too-long\._tcp"/);
    expect(c.reason).not.toMatch(/"_netconform\._udp"/);
    expect(['_ipp._tcp', '_myservice._udp', '_a-b._tcp'].every(isServiceType)).toBe(true);
    expect(['_-a._tcp', '_a--b._tcp', '_123._tcp', '_ipp._sctp', 'ipp._tcp', '_ipp._tcp.'].some(isServiceType)).toBe(
      false,
    );
  });

  it('sandbox-udp: a sandboxed UDP app without network.server fails; usesUdp overrides the inference', async () => {
    const spec = good((s) => setEntitlement(s, 'com.apple.security.network.server', undefined));
    expectVerdict(
      await lint(spec),
      'sandbox-udp',
      'fail',
      /MacOS\/NetconformFilter: com\.apple\.security\.network\.server missing from a sandboxed bundle that does UDP \(NSBonjourServices lists _netconform\._udp\)/,
    );
    expectVerdict(await lint(spec, { usesUdp: false }), 'sandbox-udp', 'skip', /with\.usesUdp is false/);
    const tcpOnly = good((s) => {
      s.info.NSBonjourServices = ['_netconform._tcp'];
      setEntitlement(s, 'com.apple.security.network.client', undefined);
    });
    expectVerdict(await lint(tcpOnly), 'sandbox-udp', 'skip', /no sandboxed bundle lists a _udp Bonjour service/);
    expectVerdict(
      await lint(tcpOnly, { usesUdp: true }),
      'sandbox-udp',
      'fail',
      /com\.apple\.security\.network\.client missing .*with\.usesUdp is true.*blocks sending/,
    );
  });
});

describe('bad input becomes error checks naming the file', () => {
  it('a path that is not a bundle', async () => {
    const dir = await tempDir('nc-bundle-');
    for (const [path, why] of [
      [join(dir, 'nope.app'), /does not exist/],
      [dir, /has no Contents\/Info\.plist/],
      [join(repoRoot, 'package.json'), /is a file, not a bundle folder/],
    ] as const) {
      const { checks } = await lintApp(path, { distribution: 'developer-id', usesUdp: undefined, now: new Date() });
      expect(checks).toHaveLength(1);
      expect(checks[0]).toMatchObject({ verdict: 'error', reason: expect.stringMatching(why) });
      expect(checks[0]!.reason).toContain(path);
    }
  });

  it('a malformed nested Info.plist, a truncated executable and a garbage profile are errors; the rest is still linted', async () => {
    const spec = good((s, ext) => {
      ext.rawInfo = Buffer.from('bplist00 this is not really one');
      s.rawExecutable = Buffer.from([0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0]);
    });
    spec.nested!['PlugIns/com.example.netconform.share.appex'] = {
      info: { CFBundleIdentifier: 'com.example.netconform.share', CFBundleExecutable: 'Share' },
      executable: { slices: [{ signature: { identifier: 'com.example.netconform.share', teamId: EXAMPLE_TEAM } }] },
      rawProfile: Buffer.from('not a profile'),
    };
    const checks = await lint(spec);
    const errors = [...checks.values()].filter((c) => c.verdict === 'error').map((c) => c.reason);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/MacOS\/NetconformFilter: Mach-O header truncated: 7 bytes \[macho-malformed\]/);
    expect(errors.find((e) => e.includes('filter.systemextension/Contents/Info.plist'))).toMatch(
      /binary plist: .* \[plist-malformed\]/,
    );
    expect(errors.find((e) => e.includes('share.appex/Contents/embedded.provisionprofile'))).toMatch(
      /not a DER CMS SignedData.*\[profile-malformed\]/,
    );
    expectVerdict(checks, 'local-network-usage', 'pass'); // Info.plist-only rules still run on what was read
    expectVerdict(
      checks,
      'host-install-entitlement',
      'skip',
      /not read \(see the error checks\): NetconformFilter\.app\/Contents\/Library\/SystemExtensions\/com\.example\.netconform\.filter\.systemextension/,
    );
  });
});

describe('the shipped example bundles and profile', () => {
  it('are what `npm run example-bundles` generates', async () => {
    const dir = await tempDir('nc-bundle-');
    for (const app of await writeExamples(dir)) {
      const shipped = join(repoRoot, 'profiles/bundles', relative(dir, app));
      const files = (await execa('find', [app, '-type', 'f'])).stdout.split('\n').sort();
      const shippedFiles = (await execa('find', [shipped, '-type', 'f'])).stdout.split('\n').sort();
      expect(shippedFiles.map((f) => relative(shipped, f))).toEqual(files.map((f) => relative(app, f)));
      for (const f of files)
        expect((await readFile(join(shipped, relative(app, f)))).equals(await readFile(f)), relative(dir, f)).toBe(
          true,
        );
    }
  });

  it('profiles/bundle.yaml exits 0 (as uid 65534 when it can read the checkout): the good app passes, the field case is an xfail, codesign checks skip', async () => {
    const out = await tempOut();
    await chmod(out, 0o777);
    const asNobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
    const readable = await execa(
      asNobody[0]!,
      [...asNobody.slice(1), 'test', '-r', join(repoRoot, 'profiles/bundles/ExamHost.app/Contents/Info.plist')],
      { reject: false },
    );
    const r =
      readable.exitCode === 0
        ? await execa(asNobody[0]!, [...asNobody.slice(1), 'node', bin, 'run', 'profiles/bundle.yaml', '--out', out], {
            cwd: repoRoot,
            reject: false,
            all: true,
            env: { HOME: out },
          })
        : await cli(['run', 'profiles/bundle.yaml', '--out', out]);
    expect(r.exitCode, r.all).toBe(0);
    const res = await readJson<RunResult>(join(out, 'results.json'));
    const good = res.scenarios.find((s) => s.id === 'good-filter-app')!;
    expect(good.checks.filter((c) => c.verdict !== 'pass' && c.verdict !== 'skip')).toEqual([]);
    expect(good.checks.find((c) => c.name === 'codesign-verify')).toMatchObject({
      verdict: 'skip',
      reason: expect.stringMatching(/codesign exists only on macOS; this is linux/),
    });
    const field = res.scenarios.find((s) => s.id === 'field-folder-name')!;
    expect(field.checks.filter((c) => c.verdict === 'xfail').map((c) => c.name)).toEqual(['sysext-folder-name']);
    expect(field.checks.filter((c) => c.verdict === 'fail' || c.verdict === 'error')).toEqual([]);
    await rm(out, { recursive: true, force: true });
  });
});

function driverKit(id: string, extra: PlistObject): BundleSpec {
  return {
    info: { CFBundleIdentifier: id, CFBundleExecutable: id, CFBundlePackageType: 'DEXT', ...extra },
    executable: {
      slices: [
        {
          signature: { identifier: id, teamId: EXAMPLE_TEAM, entitlements: { 'com.apple.developer.driverkit': true } },
        },
      ],
    },
    profile: { teamIds: [EXAMPLE_TEAM], entitlements: { 'com.apple.developer.driverkit': true } },
  };
}
