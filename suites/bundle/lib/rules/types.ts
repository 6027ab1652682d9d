/**
 * A lint rule: one check. It either does not apply to this app (a skip with why), or it
 * reports findings — each naming the file, the key and the fix — and what it verified.
 */
import type { AppModel, Bundle } from '../walker.ts';

export type Distribution = 'developer-id' | 'app-store' | 'development';

export interface LintOptions {
  distribution: Distribution;
  /** Whether the app does UDP; undefined = infer from `_udp` entries in NSBonjourServices. */
  usesUdp: boolean | undefined;
  /** For rules that compare dates (profile expiry). */
  now: Date;
}

export interface Finding {
  /** The file at fault, relative to the app's folder. */
  file: string;
  /** The Info.plist key, entitlement or path component at fault. */
  key: string;
  problem: string;
  fix: string;
}

export type RuleOutcome = { applies: false; why: string } | { applies: true; findings: Finding[]; verified: string[] };

export interface Rule {
  /** Stable id: the check's name and what `with.skip` lists. */
  id: string;
  /** One line: what must hold. */
  title: string;
  /** The Apple document (or RFC) the rule comes from. */
  source: string;
  check(model: AppModel, opts: LintOptions): RuleOutcome;
}

export const notApplicable = (why: string): RuleOutcome => ({ applies: false, why });
export const outcome = (findings: Finding[], verified: string[]): RuleOutcome => ({
  applies: true,
  findings,
  verified,
});

/** System and DriverKit extensions (what OSSystemExtensionRequest activates). */
export function systemExtensions(model: AppModel): Bundle[] {
  return model.nested.filter((b) => b.kind === 'system-extension' || b.kind === 'driver-extension');
}

export function allBundles(model: AppModel): Bundle[] {
  return [model.app, ...model.nested];
}

export function plistFile(b: Bundle): string {
  return `${b.rel}/Contents/Info.plist`;
}

export function exeFile(b: Bundle): string {
  return b.executable ? `${b.rel}/Contents/MacOS/${b.executable.split('/').pop()}` : `${b.rel}/Contents/MacOS`;
}
