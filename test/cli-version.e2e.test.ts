/**
 * `netconform --version` through the real entry (harness/bin/netconform.js, spawned): the bin
 * answers `--version` / `-V` alone itself, from package.json, before any loader (the start-up
 * target); any other command line reaches the CLI (commander's `.version(VERSION)`, VERSION
 * from harness/runner/environment.ts). Both must print package.json's version, under each loader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { staleReason } from '../harness/bin/dist-stamp.js';
import { cli, repoRoot } from './helpers/cli.ts';

const pkgVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('netconform --version', () => {
  it("is package.json's version, answered by the bin without starting a loader", async () => {
    expect(pkgVersion).toMatch(/^\d+\.\d+\.\d+/);
    for (const flag of ['--version', '-V']) {
      for (const loader of [undefined, 'source', 'compiled']) {
        const env = { NETCONFORM_DEBUG_LOADER: '1', ...(loader ? { NETCONFORM_LOADER: loader } : {}) };
        const r = await cli([flag], { env });
        expect(r.exitCode, r.all).toBe(0);
        expect(r.stdout).toBe(pkgVersion);
        expect(r.stderr).toBe('netconform: no loader: --version is answered by the bin, from package.json');
      }
    }
  });

  it('is the same version when the CLI answers it, from the TypeScript through tsx', async () => {
    // `--version list`: not the bin's one-argument case, so commander prints its VERSION and exits 0.
    const r = await cli(['--version', 'list'], { env: { NETCONFORM_LOADER: 'source', NETCONFORM_DEBUG_LOADER: '1' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toBe('netconform: loader source (tsx): NETCONFORM_LOADER=source');
    expect(r.stdout).toBe(pkgVersion);
  });

  it('is the same version when the CLI answers it, from the compiled bundle (dist/)', async (ctx) => {
    const stale = staleReason(repoRoot);
    if (stale !== undefined) ctx.skip(`dist/ cannot be used: ${stale} (npm run build)`);
    const r = await cli(['-V', '-V'], { env: { NETCONFORM_LOADER: 'compiled', NETCONFORM_DEBUG_LOADER: '1' } });
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stderr).toBe('netconform: loader compiled (dist/, checked against the sources)');
    expect(r.stdout).toBe(pkgVersion);
  });
});
