/**
 * The malformed-profile corpus (test/corpus/malformed-profiles.ts): every case is refused by
 * `netconform validate` with exit 2, every stderr line located (`file:line:col: …`) or the
 * closing count, the mutation's own message among them, no stack trace, no raw control
 * character, no Node warning. Timings: test/bench/validate.bench.ts (not asserted here), except
 * for the hostile family: each of those is refused within a second.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../harness/cli/main.ts';
import { parseProfileText } from '../harness/loader/profile.ts';
import { loadRegistry } from '../harness/runner/registry.ts';
import { existsSync } from 'node:fs';
import {
  baseProfile,
  entryFor,
  hostileCases,
  malformedCases,
  pendingRegexCases,
  type CorpusCase,
} from './corpus/malformed-profiles.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

let uses: string[] = [];
let cases: CorpusCase[] = [];
let dir = '';
const warnings: string[] = [];
const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);

beforeAll(async () => {
  uses = [...(await loadRegistry()).keys()];
  cases = malformedCases(uses);
  dir = await tempDir('nc-corpus-');
  process.on('warning', onWarning);
});
afterAll(() => {
  process.off('warning', onWarning);
});

async function validateInProcess(file: string): Promise<{ code: number; stderr: string; stdout: string }> {
  let stderr = '';
  let stdout = '';
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  try {
    const code = await main(['validate', file]);
    return { code, stderr, stdout };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}

describe('malformed profile corpus', () => {
  it('the base profile is valid for every registered scenario (so each case fails by its mutation)', async () => {
    const registry = await loadRegistry();
    for (const use of uses)
      expect(() => parseProfileText(baseProfile(entryFor(use)), 'base.yaml', registry), use).not.toThrow();
  });

  it('every case is refused at validate: exit 2, located lines, its own message, no stack, no raw control characters', async () => {
    expect(cases.length).toBeGreaterThan(150);
    const problems: string[] = [];
    for (const [i, c] of cases.entries()) {
      if (c.path !== undefined && !existsSync(c.path)) continue;
      const file = c.path ?? join(dir, `case-${i}.yaml`);
      if (c.path === undefined) await writeFile(file, c.bytes);
      const r = await validateInProcess(file);
      const label = `${c.family} / ${c.name}`;
      const lines = r.stderr.split('\n').filter(Boolean);
      if (r.code !== 2) problems.push(`${label}: exit ${r.code} (${r.stdout.trim() || r.stderr.trim()})`);
      const unlocated = lines.filter(
        (l) =>
          !(l.startsWith(`${file}:`) && /^[^:]+:[1-9]\d*:[1-9]\d*: \S/.test(l)) &&
          !/^netconform: \d+ profile errors?$/.test(l) &&
          !/^… and \d+ more profile errors?$/.test(l),
      );
      if (unlocated.length) problems.push(`${label}: unlocated line ${JSON.stringify(unlocated[0]!.slice(0, 200))}`);
      if (!lines.some((l) => c.expect.test(l)))
        problems.push(
          `${label}: no line matches ${c.expect} in ${JSON.stringify(lines.slice(0, 3).map((l) => l.slice(0, 200)))}`,
        );
      if (/\n\s+at .+:\d+:\d+\)?\n/.test(r.stderr) || /internal error/.test(r.stderr))
        problems.push(`${label}: stack trace`);
      if (/[\x00-\x08\x0b-\x1f\x7f-\x9f]/.test(r.stderr)) problems.push(`${label}: raw control character on stderr`);
      if (lines.length > 52) problems.push(`${label}: ${lines.length} lines printed (cap is 50 + 2)`);
    }
    await new Promise((r) => setImmediate(r)); // process warnings are emitted on a later tick
    expect(problems).toEqual([]);
    expect(warnings).toEqual([]);
  }, 900_000); // five cases at the 256 KiB size limit: seconds each when the shared 2-core machine is loaded

  it('the hostile family: each case refused in under a second', async () => {
    const slow: string[] = [];
    for (const [i, c] of hostileCases().entries()) {
      if (c.path !== undefined && !existsSync(c.path)) continue;
      const file = c.path ?? join(dir, `hostile-${i}.yaml`);
      if (c.path === undefined) await writeFile(file, c.bytes);
      const t0 = performance.now();
      const r = await validateInProcess(file);
      const ms = performance.now() - t0;
      expect(r.code, c.name).toBe(2);
      if (ms > 1000) slow.push(`${c.name}: ${Math.round(ms)} ms`);
    }
    expect(slow).toEqual([]);
  }, 120_000);

  // Until profile patterns compile with RE2 (re2js), `new RegExp` accepts these; the test finds
  // out by trying the first, so the cases run as soon as the engine refuses them.
  it('patterns RE2 cannot compile (backreferences, lookaround, repeats past 1000): located exit 2 in under a second', async ({
    skip,
  }) => {
    const first = new TextDecoder().decode(pendingRegexCases()[0]!.bytes);
    let refused = false;
    try {
      parseProfileText(first, 'probe.yaml', await loadRegistry());
    } catch {
      refused = true;
    }
    if (!refused)
      skip(
        "pending: profile patterns still compile with new RegExp, which accepts a backreference (the re2js change is the integrator's)",
      );
    for (const [i, c] of pendingRegexCases().entries()) {
      const file = join(dir, `regex-${i}.yaml`);
      await writeFile(file, c.bytes);
      const t0 = performance.now();
      const r = await validateInProcess(file);
      expect(r.code, c.name).toBe(2);
      expect(r.stderr, c.name).toMatch(new RegExp(`^${file}:\\d+:\\d+: .*${c.expect.source}`, 'm'));
      expect(performance.now() - t0, c.name).toBeLessThan(1000);
    }
  });

  it('the real CLI on a sample of cases: exit 2, nothing on stderr but located lines (no Node warning)', async () => {
    const sample = cases.filter((c) => ['yaml', 'bytes', 'control chars', 'tags'].includes(c.family));
    const files: string[] = [];
    for (const [i, c] of sample.entries()) {
      const file = join(dir, `cli-${i}.yaml`);
      await writeFile(file, c.bytes);
      files.push(file);
    }
    const r = await cli(['validate', ...files]);
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(
      lines.filter(
        (l) =>
          !/^\/.+:[1-9]\d*:[1-9]\d*: \S/.test(l) &&
          !/^netconform: \d+ profile errors?$/.test(l) &&
          !/^… and \d+ more/.test(l),
      ),
    ).toEqual([]);
    expect(r.stderr).not.toMatch(/Warning|DeprecationWarning|\(node:\d+\)/);
  });
});
