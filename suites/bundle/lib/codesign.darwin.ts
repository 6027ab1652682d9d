/**
 * macOS only (loaded by codesign.ts when process.platform is darwin). On Linux it runs only in
 * test/suites/darwin-host.test.ts, against a fake codesign replaying recorded output. codesign(1): `--verify --deep --strict` checks every
 * nested bundle's signature; `-d --entitlements - --xml` prints the signed entitlements.
 */
import { realpath } from 'node:fs/promises';
import { execa } from 'execa';
import { check, type Check } from '../../../harness/model/check.ts';
import { BundleInputError } from './errors.ts';
import { parsePlistDict } from './plist.ts';
import type { AppModel, Bundle } from './walker.ts';

const TIMEOUT_MS = 60_000;

export async function codesignChecks(
  model: AppModel,
  opts: { installed: boolean },
  signal: AbortSignal,
): Promise<Check[]> {
  const checks: Check[] = [];
  const verify = await execa('codesign', ['--verify', '--deep', '--strict', '--verbose=2', model.app.path], {
    reject: false,
    timeout: TIMEOUT_MS,
    cancelSignal: signal,
    all: true,
  });
  checks.push(
    verify.exitCode === 0
      ? check.pass('codesign-verify', `codesign --verify --deep --strict accepts ${model.app.rel}`)
      : check.fail(
          'codesign-verify',
          `codesign --verify --deep --strict rejects ${model.app.rel} (exit ${verify.exitCode}): ${(verify.all ?? '').split('\n').slice(-3).join(' | ')}`,
          [{ kind: 'text', title: 'codesign output', text: verify.all ?? '' }],
        ),
  );
  const mismatches: string[] = [];
  for (const b of [model.app, ...model.nested]) {
    if (b.signing !== 'signed' || !b.executable) continue;
    const m = await compareEntitlements(b, signal);
    if (m) mismatches.push(m);
  }
  checks.push(
    mismatches.length
      ? check.fail('codesign-entitlements', mismatches.join(' · '))
      : check.pass(
          'codesign-entitlements',
          'codesign -d --entitlements agrees with the parsed entitlements of every signed bundle',
        ),
  );
  if (!opts.installed) checks.push(check.skip('installed-location', 'with.installed is false'));
  else {
    const real = await realpath(model.app.path);
    checks.push(
      real.startsWith('/Applications/')
        ? check.pass('installed-location', `${real} is under /Applications`)
        : check.fail(
            'installed-location',
            `${model.app.rel} really lives at ${real}, not under /Applications: sysextd refuses activation ("cannot allow apps outside /Applications"); move the app to /Applications`,
          ),
    );
  }
  return checks;
}

async function compareEntitlements(b: Bundle, signal: AbortSignal): Promise<string | undefined> {
  const r = await execa('codesign', ['-d', '--entitlements', '-', '--xml', b.executable!], {
    reject: false,
    timeout: TIMEOUT_MS,
    cancelSignal: signal,
    encoding: 'buffer',
  });
  if (r.exitCode !== 0) return `${b.rel}: codesign -d --entitlements failed (exit ${r.exitCode})`;
  const out = Buffer.from(r.stdout);
  let theirs: Record<string, unknown> = {};
  if (out.length) {
    try {
      theirs = { ...parsePlistDict(out, `${b.rel} (codesign -d output)`) };
    } catch (err) {
      if (err instanceof BundleInputError) return `${b.rel}: ${err.detail}`;
      throw err;
    }
  }
  const ours = b.signature?.entitlements ?? {};
  const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
  const differ = [...keys].filter((k) => JSON.stringify(ours[k]) !== JSON.stringify(theirs[k]));
  return differ.length ? `${b.rel}: codesign and the parsed signature disagree on ${differ.join(', ')}` : undefined;
}
