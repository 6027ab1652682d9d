/**
 * The provisioning profile grants what the signature claims. TN3125 "Inside Code Signing:
 * Provisioning Profiles" (developer.apple.com/documentation/technotes/tn3125-inside-code-signing-provisioning-profiles):
 * restricted entitlements (the com.apple.developer.* family, the application identifier,
 * keychain access groups) must be allowlisted by an embedded profile, whose values may use a
 * `*` wildcard; unrestricted ones (com.apple.security.*) need no profile. A claim the profile
 * does not grant makes macOS refuse to launch the program ("No matching profile found").
 */
import { basename } from 'node:path';
import { get } from '../plist.ts';
import type { Bundle } from '../walker.ts';
import { allBundles, exeFile, notApplicable, outcome, type Finding, type Rule } from './types.ts';

export function isRestricted(key: string): boolean {
  return (
    key.startsWith('com.apple.developer.') ||
    key === 'com.apple.application-identifier' ||
    key === 'keychain-access-groups'
  );
}

function glob(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(value);
}

function allowsOne(granted: unknown, value: unknown): boolean {
  if (typeof value === 'string') {
    if (typeof granted === 'string') return glob(granted, value);
    if (Array.isArray(granted)) return granted.some((g) => typeof g === 'string' && glob(g, value));
    return false;
  }
  return granted === value;
}

/** Whether a profile entitlement value allows a claimed one (arrays: every claimed element). */
export function grants(granted: unknown, claimed: unknown): boolean {
  if (granted === undefined) return false;
  if (Array.isArray(claimed)) return claimed.every((c) => allowsOne(granted, c));
  if (typeof claimed === 'boolean')
    return claimed === false || granted === true || (Array.isArray(granted) && granted.length > 0);
  return allowsOne(granted, claimed);
}

function profileFile(b: Bundle): string {
  return `${b.rel}/Contents/embedded.provisionprofile`;
}

export const profileGrants: Rule = {
  id: 'profile-grants',
  title: 'the embedded provisioning profile grants every restricted entitlement the signature claims',
  source: 'Apple, TN3125 "Inside Code Signing: Provisioning Profiles"',
  check(model, { distribution, now }) {
    const claiming = allBundles(model).filter(
      (b) => b.signing === 'signed' && Object.keys(b.signature?.entitlements ?? {}).some(isRestricted),
    );
    if (!claiming.length) return notApplicable('no signature claims a restricted entitlement, so no profile is needed');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of claiming) {
      const claims = Object.entries(b.signature!.entitlements!).filter(([k]) => isRestricted(k));
      if (b.profileState === 'unreadable') continue; // its error check says why
      const profile = b.profile;
      if (!profile) {
        findings.push({
          file: profileFile(b),
          key: claims.map(([k]) => k).join(', '),
          problem: 'is missing, but the signature claims restricted entitlements: macOS refuses to launch it',
          fix: 'embed the provisioning profile for this bundle id (Xcode: Signing & Capabilities; manual: copy it to Contents/embedded.provisionprofile before signing)',
        });
        continue;
      }
      const team = b.signature?.teamId;
      if (team && profile.teamIds.length && !profile.teamIds.includes(team)) {
        findings.push({
          file: profileFile(b),
          key: 'TeamIdentifier',
          problem: `is ${profile.teamIds.join(', ')}; the signature's team is ${team}`,
          fix: `embed a profile from team ${team}`,
        });
      }
      if (profile.expires && profile.expires.getTime() < now.getTime()) {
        findings.push({
          file: profileFile(b),
          key: 'ExpirationDate',
          problem: `expired on ${profile.expires.toISOString()}`,
          fix: 'regenerate the profile in the developer account and re-sign',
        });
      }
      if (distribution === 'developer-id' && !profile.provisionsAllDevices) {
        findings.push({
          file: profileFile(b),
          key: 'ProvisionsAllDevices',
          problem: `is a development profile${profile.provisionedDevices ? ` (${profile.provisionedDevices} devices)` : ''}: it works only on listed Macs`,
          fix: 'embed a Developer ID provisioning profile',
        });
      }
      for (const [key, claimed] of claims) {
        const granted = get(profile.entitlements, key);
        if (grants(granted, claimed)) verified.push(`${basename(b.path)}: ${key}`);
        else {
          findings.push({
            file: profileFile(b),
            key,
            problem:
              granted === undefined
                ? `is claimed by ${exeFile(b)} (${JSON.stringify(claimed)}) but the profile does not grant it`
                : `is claimed as ${JSON.stringify(claimed)} by ${exeFile(b)} but the profile grants ${JSON.stringify(granted)}`,
            fix: `enable the capability for this App ID, regenerate the profile, embed it and re-sign — or drop ${key} from the entitlements`,
          });
        }
      }
    }
    return outcome(findings, verified);
  },
};
