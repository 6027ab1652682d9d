/**
 * bundle.lint: the packaging mistakes that make system extensions and local-network apps fail
 * on users' Macs, found by reading the bundle — Info.plists (XML and binary), the entitlements
 * in each Mach-O's code signature (fat too) and embedded.provisionprofile. Runs anywhere; the
 * codesign cross-checks run on macOS only and are skipped, saying so, elsewhere. Rules and
 * their Apple sources: suites/bundle/lib/rules/.
 */
import { isAbsolute, resolve } from 'node:path';
import { defineScenario } from '../../harness/model/scenario.ts';
import { codesignChecks } from './lib/codesign.ts';
import { lintApp } from './lib/lint.ts';
import { Expect, With } from './lib/params.ts';

export default defineScenario<With, Expect>({
  id: 'bundle.lint',
  summary:
    'Lint a macOS app bundle: system extension placement and names, usage descriptions, team, Network Extension entitlements, profile, local network keys',
  platforms: ['linux', 'darwin'],
  requires: [],
  withSchema: With,
  expectSchema: Expect,
  defaultTimeoutMs: 30_000,
  async run(ctx, { with: w }, signal) {
    const app = isAbsolute(w.app) ? w.app : resolve(ctx.profileDir, w.app);
    ctx.log(`linting ${app} for ${w.distribution} distribution`);
    const started = performance.now();
    const { checks, model } = await lintApp(app, {
      distribution: w.distribution,
      usesUdp: w.usesUdp,
      now: new Date(),
      skip: w.skip,
    });
    ctx.log(`read and linted in ${(performance.now() - started).toFixed(1)} ms`);
    if (model) checks.push(...(await codesignChecks(model, { installed: w.installed }, signal)));
    return checks;
  },
});
