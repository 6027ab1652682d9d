/**
 * Each slice of a universal binary carries its own code signature (TN2206 "macOS Code Signing In
 * Depth": universal code is signed per architecture), and macOS uses the slice it runs. Slices
 * merged with lipo from separately signed builds can claim different entitlements or teams, so the
 * app works on one kind of Mac and fails on the other. This lint reads every slice; the other
 * rules use the first signed one, so this rule says when that choice matters.
 */
import { exeFile, allBundles, notApplicable, outcome, type Finding, type Rule } from './types.ts';

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object' && !(v instanceof Date) && !(v instanceof Uint8Array)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export const fatSlicesAgree: Rule = {
  id: 'fat-slices-agree',
  title: "a universal binary's slices are signed alike (same team, identifier and entitlements)",
  source: 'Apple, TN2206 "macOS Code Signing In Depth" (universal code is signed per architecture)',
  check(model) {
    const fat = allBundles(model).filter((b) => b.slices.length > 1);
    if (!fat.length) return notApplicable('no executable is a universal (fat) binary');
    const findings: Finding[] = [];
    const verified: string[] = [];
    for (const b of fat) {
      const [first, ...rest] = b.slices;
      const describe = (s: typeof first) =>
        s!.signature
          ? {
              team: s!.signature.teamId ?? '(none)',
              id: s!.signature.identifier ?? '(none)',
              ents: canonical(s!.signature.entitlements ?? {}),
            }
          : { team: 'unsigned', id: 'unsigned', ents: 'unsigned' };
      const a = describe(first);
      const differing = rest.filter((s) => canonical(describe(s)) !== canonical(a));
      if (!differing.length) {
        verified.push(`${exeFile(b)} (${b.slices.map((s) => s.arch).join('+')})`);
        continue;
      }
      for (const s of differing) {
        const d = describe(s);
        const what = [
          d.team !== a.team && `team ${d.team} vs ${a.team}`,
          d.id !== a.id && `identifier ${d.id} vs ${a.id}`,
          d.ents !== a.ents && 'entitlements differ',
        ]
          .filter(Boolean)
          .join(', ');
        findings.push({
          file: exeFile(b),
          key: `${s.arch} slice`,
          problem: `is signed differently from the ${first!.arch} slice (${what}): the app behaves differently on ${s.arch} Macs`,
          fix: 'sign the universal binary once after lipo (codesign -f … on the merged file), not each slice before merging',
        });
      }
    }
    return outcome(findings, verified);
  },
};
