/**
 * Rules for system extensions and their host app. Sources:
 * - SE_FRAMEWORK: https://developer.apple.com/documentation/systemextensions — "Configure the System
 *   Extension and the Host App": the file name must be the bundle identifier plus the extension
 *   (`com.example.networkextension.systemextension`, `com.example.usbdriver.dext`); the same Team ID
 *   signs extension and app unless the extension has com.apple.developer.system-extension.redistributable.
 * - SE_INSTALLING: https://developer.apple.com/documentation/systemextensions/installing-system-extensions-and-drivers
 *   — "System extensions reside inside your app's Contents/Library/SystemExtensions folder."
 * - SE_USAGE: https://developer.apple.com/documentation/systemextensions/nssystemextensionusagedescriptionkey —
 *   required for all system extensions except DriverKit and "must be in the extension's Info.plist";
 *   DriverKit uses OSBundleUsageDescription (…/osbundleusagedescriptionkey).
 * - SE_INSTALL_ENT: https://developer.apple.com/documentation/bundleresources/entitlements/com.apple.developer.system-extension.install
 * Field report behind the naming rule: https://developer.apple.com/forums/thread/823200
 * (ExamNetFilterData.systemextension with identifier com.seaskylight.yksmacos.ExamNetFilter.data:
 * OSSystemExtensionErrorDomain code 4 "Extension not found in App bundle").
 */
import { basename, extname } from 'node:path';
import { get } from '../plist.ts';
import type { Bundle } from '../walker.ts';
import { exeFile, notApplicable, outcome, plistFile, systemExtensions, type Finding, type Rule } from './types.ts';

const SE_FRAMEWORK =
  'Apple, System Extensions framework overview ("Configure the System Extension and the Host App"), developer.apple.com/documentation/systemextensions';

export const sysextLocation: Rule = {
  id: 'sysext-location',
  title: 'system extensions live in Contents/Library/SystemExtensions',
  source:
    'Apple, "Installing System Extensions and Drivers", developer.apple.com/documentation/systemextensions/installing-system-extensions-and-drivers',
  check(model) {
    const all = systemExtensions(model);
    if (!all.length) return notApplicable('the app embeds no system or DriverKit extension');
    const findings: Finding[] = all
      .filter((b) => !b.inExpectedPlace)
      .map((b) => ({
        file: b.rel,
        key: 'location',
        problem: `is outside ${model.app.rel}/Contents/Library/SystemExtensions, where the system looks for it`,
        fix: `move it to ${model.app.rel}/Contents/Library/SystemExtensions/${basename(b.path)} (Xcode: Embed System Extensions build phase, destination System Extensions)`,
      }));
    return outcome(
      findings,
      all.filter((b) => b.inExpectedPlace).map((b) => b.rel),
    );
  },
};

export const sysextFolderName: Rule = {
  id: 'sysext-folder-name',
  title: 'each .systemextension/.dext folder is named <CFBundleIdentifier>.systemextension (.dext)',
  source: SE_FRAMEWORK,
  check(model) {
    const all = systemExtensions(model);
    if (!all.length) return notApplicable('the app embeds no system or DriverKit extension');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of all) {
      const ext = extname(b.path);
      const name = basename(b.path);
      if (!b.bundleId) {
        findings.push({
          file: plistFile(b),
          key: 'CFBundleIdentifier',
          problem: 'is missing, so the system cannot match the extension to an activation request',
          fix: `set CFBundleIdentifier and name the folder <identifier>${ext}`,
        });
      } else if (name !== `${b.bundleId}${ext}`) {
        findings.push({
          file: b.rel,
          key: 'CFBundleIdentifier',
          problem: `folder is "${name}" but CFBundleIdentifier is "${b.bundleId}": activation fails with OSSystemExtensionErrorDomain code 4 "Extension not found in App bundle"`,
          fix: `rename it to ${b.bundleId}${ext} (Xcode: set the extension target's PRODUCT_NAME to $(PRODUCT_BUNDLE_IDENTIFIER))`,
        });
      } else verified.push(name);
    }
    return outcome(findings, verified);
  },
};

function isDriverKit(b: Bundle): boolean {
  return b.kind === 'driver-extension';
}

function nonEmpty(v: unknown): boolean {
  return typeof v === 'string' && v.trim().length > 0;
}

export const sysextUsageDescription: Rule = {
  id: 'sysext-usage-description',
  title:
    "NSSystemExtensionUsageDescription (DriverKit: OSBundleUsageDescription) is in each extension's own Info.plist",
  source:
    'Apple, NSSystemExtensionUsageDescriptionKey and OSBundleUsageDescriptionKey, developer.apple.com/documentation/systemextensions/nssystemextensionusagedescriptionkey',
  check(model) {
    const all = systemExtensions(model);
    if (!all.length) return notApplicable('the app embeds no system or DriverKit extension');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of all) {
      const key = isDriverKit(b) ? 'OSBundleUsageDescription' : 'NSSystemExtensionUsageDescription';
      if (nonEmpty(get(b.info, key))) {
        verified.push(`${basename(b.path)} has ${key}`);
        continue;
      }
      const inHost = nonEmpty(get(model.app.info, key));
      findings.push({
        file: plistFile(b),
        key,
        problem: `${get(b.info, key) === undefined ? 'is missing' : 'is empty'}${inHost ? ` (it is in the host app's Info.plist, which activation does not read for this)` : ''}: activation fails`,
        fix: `add ${key} with a sentence telling the user why to the extension's Info.plist`,
      });
    }
    return outcome(findings, verified);
  },
};

export const bundleIdPrefix: Rule = {
  id: 'bundle-id-prefix',
  title: "each extension's bundle identifier starts with the host app's identifier and a dot",
  source:
    'Xcode embedded-bundle validation ("Embedded binary\'s bundle identifier is not prefixed with the parent app\'s bundle identifier"); Apple, App Extension Programming Guide',
  check(model) {
    const ext = model.nested.filter((b) => b.kind !== 'login-item');
    if (!ext.length) return notApplicable('the app embeds no system, DriverKit or app extension');
    const host = model.app.bundleId;
    if (!host)
      return outcome(
        [
          {
            file: plistFile(model.app),
            key: 'CFBundleIdentifier',
            problem: 'the host app has no bundle identifier',
            fix: "set CFBundleIdentifier in the app's Info.plist",
          },
        ],
        [],
      );
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of ext) {
      if (b.bundleId?.startsWith(`${host}.`)) verified.push(b.bundleId);
      else
        findings.push({
          file: plistFile(b),
          key: 'CFBundleIdentifier',
          problem: `"${b.bundleId ?? '(missing)'}" does not start with the host's "${host}."`,
          fix: `use ${host}.<name> as the extension's identifier (and rename its folder to match)`,
        });
    }
    return outcome(findings, verified);
  },
};

const REDISTRIBUTABLE = 'com.apple.developer.system-extension.redistributable';

export const sameTeam: Rule = {
  id: 'same-team',
  title: 'the host and each system extension are signed by the same team',
  source: SE_FRAMEWORK,
  check(model) {
    const all = systemExtensions(model).filter((b) => b.signing !== 'unreadable');
    if (!all.length) return notApplicable('the app embeds no system extension whose signature could be read');
    if (model.app.signing === 'unreadable')
      return notApplicable("the host app's signature could not be read (see the error check)");
    const hostTeam = model.app.signature?.teamId;
    if (!hostTeam) {
      return outcome(
        [
          {
            file: exeFile(model.app),
            key: 'TeamIdentifier',
            problem: `the host app is ${model.app.signing === 'unsigned' ? 'not signed' : 'signed without a team (ad-hoc)'}`,
            fix: 'sign it with your Developer ID Application (or Apple Development) identity',
          },
        ],
        [],
      );
    }
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of all) {
      const team = b.signature?.teamId;
      if (team === hostTeam) verified.push(`${basename(b.path)}: ${team}`);
      else if (team && get(b.signature?.entitlements, REDISTRIBUTABLE) === true)
        verified.push(`${basename(b.path)}: ${team} (redistributable)`);
      else {
        findings.push({
          file: exeFile(b),
          key: 'TeamIdentifier',
          problem: team
            ? `signed by team ${team}, the host by ${hostTeam}`
            : `${b.signing === 'unsigned' ? 'not signed' : 'signed without a team (ad-hoc)'}; the host is signed by ${hostTeam}`,
          fix: `sign the extension with team ${hostTeam}'s identity (or, for a third-party extension, it must carry ${REDISTRIBUTABLE})`,
        });
      }
    }
    return outcome(findings, verified);
  },
};

const INSTALL = 'com.apple.developer.system-extension.install';

export const hostInstallEntitlement: Rule = {
  id: 'host-install-entitlement',
  title: `a host that embeds system extensions is signed with ${INSTALL}`,
  source:
    'Apple, System Extension Entitlement, developer.apple.com/documentation/bundleresources/entitlements/com.apple.developer.system-extension.install',
  check(model) {
    if (!systemExtensions(model).length) return notApplicable('the app embeds no system or DriverKit extension');
    const app = model.app;
    if (app.signing === 'unreadable')
      return notApplicable("the host app's signature could not be read (see the error check)");
    const value = get(app.signature?.entitlements, INSTALL);
    if (value === true) return outcome([], [`${app.rel} has ${INSTALL}`]);
    return outcome(
      [
        {
          file: exeFile(app),
          key: INSTALL,
          problem:
            app.signing === 'unsigned'
              ? 'the host app is not signed, so it has no entitlements'
              : value === undefined
                ? "is not in the host's signed entitlements: activation requests are refused"
                : `is ${JSON.stringify(value)}, not true`,
          fix: 'enable the System Extension capability for the app target (and in its provisioning profile)',
        },
      ],
      [],
    );
  },
};
