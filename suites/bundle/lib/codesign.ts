/**
 * The macOS-only cross-checks, chosen at run time: `codesign --verify --deep --strict`, the
 * entitlements `codesign -d` prints against what this lint parsed, and (with.installed) the
 * host's real path under /Applications. The implementation is codesign.darwin.ts, loaded only
 * on macOS; it has been type-checked on Linux but never run here (no codesign).
 */
import { check, type Check } from '../../../harness/model/check.ts';
import type { AppModel } from './walker.ts';

export async function codesignChecks(
  model: AppModel,
  opts: { installed: boolean },
  signal: AbortSignal,
): Promise<Check[]> {
  if (process.platform !== 'darwin') {
    const why = `codesign exists only on macOS; this is ${process.platform}`;
    return [
      check.skip(
        'codesign-verify',
        `${why} (the signature's structure was read above, not verified cryptographically)`,
      ),
      check.skip('codesign-entitlements', why),
      check.skip(
        'installed-location',
        opts.installed
          ? `the install location is checked on macOS only; this is ${process.platform}`
          : 'with.installed is false',
      ),
    ];
  }
  const darwin = await import('./codesign.darwin.ts');
  return darwin.codesignChecks(model, opts, signal);
}
