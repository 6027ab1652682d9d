/**
 * Developer ID software must be notarized, and the notary service refuses code that is not
 * signed with a team identity, lacks the hardened runtime, or claims get-task-allow. Sources:
 * Apple, "Notarizing macOS software before distribution" (developer.apple.com/documentation/security/notarizing-macos-software-before-distribution);
 * Xcode Help, "Enable hardened runtime"; Apple DTS on the notary's errors, developer.apple.com/forums/thread/663988.
 * The secure timestamp lives in the CMS blob, which this lint does not decode: codesign checks it on a Mac.
 */
import { basename } from 'node:path';
import { get } from '../plist.ts';
import { allBundles, exeFile, notApplicable, outcome, type Finding, type Rule } from './types.ts';

const GET_TASK_ALLOW = 'com.apple.security.get-task-allow';

export const notarizationReady: Rule = {
  id: 'notarization-ready',
  title: 'Developer ID executables are team-signed with the hardened runtime and without get-task-allow',
  source: 'Apple, "Notarizing macOS software before distribution"; Xcode Help, "Enable hardened runtime"',
  check(model, { distribution }) {
    if (distribution !== 'developer-id')
      return notApplicable(`notarization is for Developer ID distribution; this is ${distribution}`);
    const bundles = allBundles(model).filter((b) => b.signing !== 'unreadable');
    if (!bundles.length) return notApplicable('no bundle executable could be read');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of bundles) {
      const sig = b.signature;
      const before = findings.length;
      if (!sig)
        findings.push({
          file: exeFile(b),
          key: 'code signature',
          problem: 'is missing: the notary service rejects unsigned code',
          fix: 'sign with your Developer ID Application identity: codesign --options runtime --timestamp -s "Developer ID Application: …"',
        });
      else {
        if (sig.adhoc || !sig.teamId)
          findings.push({
            file: exeFile(b),
            key: 'code signature',
            problem: 'is ad-hoc (no team identity): the notary service needs a Developer ID signature',
            fix: 'sign with your Developer ID Application identity',
          });
        if (!sig.hardenedRuntime)
          findings.push({
            file: exeFile(b),
            key: 'CodeDirectory flags (CS_RUNTIME)',
            problem:
              'the hardened runtime is off: notarization fails with "The executable does not have the hardened runtime enabled"',
            fix: 'enable Hardened Runtime in Xcode, or sign with codesign --options runtime',
          });
        if (get(sig.entitlements, GET_TASK_ALLOW) === true)
          findings.push({
            file: exeFile(b),
            key: GET_TASK_ALLOW,
            problem: 'is true (a debug build): the notary service rejects it',
            fix: 'archive a Release build, or remove the entitlement before signing',
          });
      }
      if (findings.length === before) verified.push(basename(b.path));
    }
    return outcome(findings, verified);
  },
};
