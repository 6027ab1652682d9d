/**
 * Network Extension rules. Sources:
 * - The entitlement: https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.developer.networking.networkextension
 *   (an array of provider values; the `-systemextension` variants are "when signed with a Developer ID profile").
 * - Apple DTS, "Exporting a Developer ID Network Extension", https://developer.apple.com/forums/thread/737894:
 *   "During development and for App Store distribution, use the appropriate standard value. For
 *   independent distribution using Developer ID, use the corresponding value with the -systemextension suffix."
 * - TN3134 "Network Extension provider deployment" (system extension packaging on macOS).
 * - NEProviderClasses keys are the NE extension points (com.apple.networkextension.filter-data, …), as in
 *   Xcode's Network Extension templates and Apple's "Filtering Network Traffic" sample.
 */
import { basename } from 'node:path';
import { getDict, getStrings } from '../plist.ts';
import type { Bundle } from '../walker.ts';
import {
  allBundles,
  exeFile,
  notApplicable,
  outcome,
  plistFile,
  systemExtensions,
  type Finding,
  type Rule,
} from './types.ts';

export const NE_ENTITLEMENT = 'com.apple.developer.networking.networkextension';

/** Standard value → Developer ID value. Values without a variant (dns-settings, app-push-provider, relay, …) fit every distribution. */
export const SYSEXT_VARIANT: Record<string, string> = {
  'content-filter-provider': 'content-filter-provider-systemextension',
  'app-proxy-provider': 'app-proxy-provider-systemextension',
  'packet-tunnel-provider': 'packet-tunnel-provider-systemextension',
  'dns-proxy': 'dns-proxy-systemextension',
};
const STANDARD_OF: Record<string, string> = Object.fromEntries(Object.entries(SYSEXT_VARIANT).map(([k, v]) => [v, k]));

/** NEProviderClasses key → the provider value (standard form) its entitlement must include. */
export const PROVIDER_CLASS_VALUE: Record<string, string> = {
  'com.apple.networkextension.filter-data': 'content-filter-provider',
  'com.apple.networkextension.filter-control': 'content-filter-provider',
  'com.apple.networkextension.packet-tunnel': 'packet-tunnel-provider',
  'com.apple.networkextension.app-proxy': 'app-proxy-provider',
  'com.apple.networkextension.dns-proxy': 'dns-proxy',
};

function neValues(b: Bundle): string[] | undefined {
  return getStrings(b.signature?.entitlements, NE_ENTITLEMENT);
}

export const neEntitlementDistribution: Rule = {
  id: 'ne-entitlement-distribution',
  title: 'Network Extension entitlement values fit the distribution (Developer ID: the -systemextension values)',
  source:
    'Apple, com.apple.developer.networking.networkextension entitlement; Apple DTS, "Exporting a Developer ID Network Extension" (developer.apple.com/forums/thread/737894)',
  check(model, { distribution }) {
    const claiming = allBundles(model).filter((b) => neValues(b)?.length);
    if (!claiming.length) return notApplicable(`no bundle's signature claims ${NE_ENTITLEMENT}`);
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of claiming) {
      for (const value of neValues(b)!) {
        if (distribution === 'developer-id' && SYSEXT_VARIANT[value]) {
          findings.push({
            file: exeFile(b),
            key: `${NE_ENTITLEMENT} = ${value}`,
            problem:
              'is the App Store/development value; a Developer ID-signed provider needs the -systemextension value',
            fix: `claim ${SYSEXT_VARIANT[value]} instead (and use a Developer ID provisioning profile that grants it)`,
          });
        } else if (distribution !== 'developer-id' && STANDARD_OF[value]) {
          findings.push({
            file: exeFile(b),
            key: `${NE_ENTITLEMENT} = ${value}`,
            problem: `is the Developer ID value; ${distribution} signing uses the standard value`,
            fix: `claim ${STANDARD_OF[value]} instead`,
          });
        } else verified.push(`${basename(b.path)}: ${value}`);
      }
    }
    return outcome(findings, verified);
  },
};

export const neProviderClasses: Rule = {
  id: 'ne-provider-classes',
  title: "a Network Extension system extension's NEProviderClasses keys match its entitlement values",
  source:
    'Apple, com.apple.developer.networking.networkextension entitlement; TN3134 "Network Extension provider deployment"',
  check(model) {
    const nes = systemExtensions(model).filter((b) => getDict(b.info, 'NetworkExtension') || neValues(b)?.length);
    if (!nes.length) return notApplicable('the app embeds no Network Extension system extension');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of nes) {
      const classes = getDict(getDict(b.info, 'NetworkExtension'), 'NEProviderClasses');
      if (!classes || !Object.keys(classes).length) {
        findings.push({
          file: plistFile(b),
          key: 'NetworkExtension.NEProviderClasses',
          problem: 'is missing or empty: the system does not know which provider class to load',
          fix: 'add NetworkExtension → NEProviderClasses mapping each extension point (e.g. com.apple.networkextension.filter-data) to your provider class',
        });
        continue;
      }
      if (b.signing === 'unreadable') continue;
      const claimed = new Set((neValues(b) ?? []).map((v) => STANDARD_OF[v] ?? v));
      const provided = new Set<string>();
      for (const key of Object.keys(classes)) {
        const value = PROVIDER_CLASS_VALUE[key];
        if (!value) {
          findings.push({
            file: plistFile(b),
            key: `NEProviderClasses.${key}`,
            problem: 'is not a Network Extension extension point',
            fix: `use one of ${Object.keys(PROVIDER_CLASS_VALUE).join(', ')}`,
          });
          continue;
        }
        provided.add(value);
        if (claimed.has(value)) verified.push(`${basename(b.path)}: ${key} ↔ ${value}`);
        else
          findings.push({
            file: exeFile(b),
            key: NE_ENTITLEMENT,
            problem: `NEProviderClasses has ${key} but the signature does not claim ${value} (or ${SYSEXT_VARIANT[value] ?? value}): the provider will not start`,
            fix: `add ${SYSEXT_VARIANT[value] ?? value} (Developer ID) or ${value} to the extension's entitlements`,
          });
      }
      for (const value of claimed) {
        if (PROVIDER_CLASS_VALUE_VALUES.has(value) && !provided.has(value)) {
          findings.push({
            file: plistFile(b),
            key: 'NetworkExtension.NEProviderClasses',
            problem: `the signature claims ${value} but NEProviderClasses has no matching extension point`,
            fix: `add the extension point for ${value} with its provider class, or drop the entitlement value`,
          });
        }
      }
    }
    return outcome(findings, verified);
  },
};

const PROVIDER_CLASS_VALUE_VALUES = new Set(Object.values(PROVIDER_CLASS_VALUE));
