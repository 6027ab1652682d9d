/**
 * The example bundles profiles/bundle.yaml lints, generated (not hand-made) so they stay small
 * and reproducible: `npm run example-bundles` rewrites profiles/bundles/, and
 * test/suites/bundle-lint.test.ts checks the committed files are what this produces.
 *
 * - NetconformFilter.app: a Developer ID content filter done right — fat host (x86_64 + arm64),
 *   the system extension named after its identifier with its usage description in a binary
 *   Info.plist, matching NEProviderClasses and -systemextension entitlements, profiles that grant
 *   them, Bonjour with a usage description, sandboxed UDP with client and server.
 * - ExamHost.app: the field report (developer.apple.com/forums/thread/823200) — everything right
 *   but the folder: ExamNetFilterData.systemextension holds com.seaskylight.yksmacos.ExamNetFilter.data.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeApp, type AppSpec, type BundleSpec, type PlistObject } from './bundle-builder.ts';

export const EXAMPLE_TEAM = 'NCEXAMPLE1';

function info(id: string, exe: string, extra: PlistObject = {}): PlistObject {
  return {
    CFBundleIdentifier: id,
    CFBundleExecutable: exe,
    CFBundleName: exe,
    CFBundlePackageType: 'APPL',
    CFBundleShortVersionString: '1.0',
    CFBundleVersion: '1',
    ...extra,
  };
}

/** A content-filter system extension for `hostId`, in folder `folder` (under Contents/Library/SystemExtensions). */
function filterExtension(id: string, exe: string): BundleSpec {
  const entitlements: PlistObject = {
    'com.apple.application-identifier': `${EXAMPLE_TEAM}.${id}`,
    'com.apple.developer.team-identifier': EXAMPLE_TEAM,
    'com.apple.developer.networking.networkextension': ['content-filter-provider-systemextension'],
    'com.apple.security.application-groups': [`${EXAMPLE_TEAM}.group.example`],
  };
  return {
    info: info(id, exe, {
      CFBundlePackageType: 'SYSX',
      NSSystemExtensionUsageDescription: 'Filters network traffic for the example.',
      NetworkExtension: {
        NEMachServiceName: `${EXAMPLE_TEAM}.group.example.filter`,
        NEProviderClasses: {
          'com.apple.networkextension.filter-data': 'Filter.DataProvider',
          'com.apple.networkextension.filter-control': 'Filter.ControlProvider',
        },
      },
    }),
    infoFormat: 'binary',
    executable: { slices: [{ arch: 'arm64', signature: { identifier: id, teamId: EXAMPLE_TEAM, entitlements } }] },
    profile: {
      teamIds: [EXAMPLE_TEAM],
      entitlements: {
        ...entitlements,
        'com.apple.application-identifier': `${EXAMPLE_TEAM}.${id}`,
        'com.apple.developer.networking.networkextension': [
          'packet-tunnel-provider-systemextension',
          'app-proxy-provider-systemextension',
          'content-filter-provider-systemextension',
          'dns-proxy-systemextension',
        ],
      },
    },
  };
}

function hostApp(
  name: string,
  id: string,
  exe: string,
  nested: Record<string, BundleSpec>,
  extraInfo: PlistObject = {},
): AppSpec {
  const entitlements: PlistObject = {
    'com.apple.application-identifier': `${EXAMPLE_TEAM}.${id}`,
    'com.apple.developer.team-identifier': EXAMPLE_TEAM,
    'com.apple.developer.system-extension.install': true,
    'com.apple.developer.networking.networkextension': ['content-filter-provider-systemextension'],
    'com.apple.security.app-sandbox': true,
    'com.apple.security.network.client': true,
    'com.apple.security.network.server': true,
  };
  const signature = { identifier: id, teamId: EXAMPLE_TEAM, entitlements };
  return {
    name,
    info: info(id, exe, extraInfo),
    executable: {
      slices: [
        { arch: 'x86_64', signature },
        { arch: 'arm64', signature },
      ],
    },
    profile: {
      teamIds: [EXAMPLE_TEAM],
      entitlements: {
        ...entitlements,
        'com.apple.developer.networking.networkextension': [
          'content-filter-provider-systemextension',
          'packet-tunnel-provider-systemextension',
        ],
      },
    },
    nested,
  };
}

export function goodExample(): AppSpec {
  const ext = 'com.example.netconform.filter';
  return hostApp(
    'NetconformFilter.app',
    'com.example.netconform',
    'NetconformFilter',
    { [`Library/SystemExtensions/${ext}.systemextension`]: filterExtension(ext, ext) },
    {
      NSBonjourServices: ['_netconform._udp', '_netconform._tcp'],
      NSLocalNetworkUsageDescription: 'Finds netconform peers on your local network.',
    },
  );
}

export function fieldExample(): AppSpec {
  const ext = 'com.seaskylight.yksmacos.ExamNetFilter.data';
  return hostApp('ExamHost.app', 'com.seaskylight.yksmacos', 'ExamHost', {
    'Library/SystemExtensions/ExamNetFilterData.systemextension': filterExtension(ext, 'ExamNetFilterData'),
  });
}

export async function writeExamples(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const spec of [goodExample(), fieldExample()]) {
    await rm(join(dir, spec.name), { recursive: true, force: true });
    out.push(await writeApp(dir, spec));
  }
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const dir = resolve(import.meta.dirname, '../../profiles/bundles');
  for (const p of await writeExamples(dir)) console.log(`wrote ${p}`);
}
