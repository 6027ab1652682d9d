/**
 * What a `validate` of a shipped profile loads, from the compiled CLI: the loader and
 * the registry, not the runner, the reporters, the lab, the process code (execa), the native
 * addon, TLS/x509 libraries, any scenario's code or Ajv's compiler. The spawned bin logs each
 * module it loads (./fixtures/hooks/log-loaded-modules.mjs); each loaded dist/ chunk's source
 * map names the files bundled into it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

import { staleReason } from '../harness/bin/dist-stamp.js';
import { bin, repoRoot } from './helpers/cli.ts';

const hook = join(repoRoot, 'test/fixtures/hooks/log-loaded-modules.mjs');

/** The source files (relative to the repository) bundled into the dist/ chunks the command loaded. */
async function sourcesLoadedBy(
  args: string[],
): Promise<{ sources: string[]; stdout: string; exitCode: number | undefined }> {
  const r = await execa('node', ['--import', hook, bin, ...args], {
    cwd: repoRoot,
    reject: false,
    env: { NETCONFORM_LOADER: 'compiled', NETCONFORM_EXTRA_SUITES: '' },
  });
  const urls = [...r.stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!);
  const chunks = urls.filter((u) => u.startsWith('file:') && fileURLToPath(u).startsWith(`${join(repoRoot, 'dist')}/`));
  expect(chunks.length).toBeGreaterThan(0);
  const sources = chunks.flatMap((u) =>
    (JSON.parse(readFileSync(`${fileURLToPath(u)}.map`, 'utf8')) as { sources: string[] }).sources.map((s) =>
      s.replace(/^(\.\.\/)+/, ''),
    ),
  );
  return { sources: [...new Set(sources)], stdout: r.stdout, exitCode: r.exitCode };
}

describe('compiled validate start-up', () => {
  it('loads the loader and the registry only', async (ctx) => {
    const stale = staleReason(repoRoot);
    if (stale !== undefined) ctx.skip(`dist/ cannot be used: ${stale} (npm run build)`);
    const { sources, stdout, exitCode } = await sourcesLoadedBy(['validate', 'profiles/darkwake.yaml']);
    expect(exitCode).toBe(0);
    expect(stdout).toBe('profiles/darkwake.yaml: ok (6 scenarios)');
    expect(sources).toContain('harness/loader/profile.ts');
    expect(sources).toContain('harness/runner/registry.ts');
    const unwanted = [
      // environment.ts is the CLI's VERSION (package.json): main.ts needs it.
      /^harness\/(runner\/(?!(environment|registry)\.ts$)|reporters\/|lab\/index|process\/(spawn|sut|index)\.ts$)/,
      /^harness\/cli\/commands\.ts$/,
      /^native\//,
      /^suites\//,
      /^node_modules\/(execa|@peculiar|asn1js|pkijs|ajv\/dist\/(ajv|core|compile)|fast-uri|junit-report-builder|plist|bplist-parser|@xmldom)\//,
    ];
    expect(sources.filter((s) => unwanted.some((re) => re.test(s)))).toEqual([]);
  });
});
