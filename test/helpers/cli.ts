/** Runs the real CLI (harness/bin/netconform.js) as a child process. */
import { execa, type ResultPromise } from 'execa';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { tempDir } from './tmp.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const bin = join(repoRoot, 'harness/bin/netconform.js');

export function cli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> } = {},
): ResultPromise<{ reject: false; all: true; forceKillAfterDelay: false }> {
  // No SIGKILL 5 s after a test's own signal (execa's default): a test that signals the CLI is
  // judging its shutdown, which may take longer than that on a loaded machine.
  return execa('node', [bin, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: opts.env,
    reject: false,
    all: true,
    timeout: 120_000,
    forceKillAfterDelay: false,
  });
}

export async function tempOut(prefix = 'nc-e2e-'): Promise<string> {
  return tempDir(prefix);
}

export async function readJson<T = unknown>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

/** The JUnit schema Jenkins' xUnit plugin validates against, kept with the tests (fixtures/schemas/README.md). */
export const junitXsd = join(repoRoot, 'test/fixtures/schemas/junit-10.xsd');

/**
 * Validates a JUnit file against junit-10.xsd in-process (libxml2 as WebAssembly, xmllint-wasm):
 * no system xmllint. `output` is libxml2's messages ("file:line: element x: ...") when invalid.
 */
export async function validateJunit(
  file: string,
  opts: { strict?: boolean } = {},
): Promise<{ ok: boolean; output: string }> {
  const [raw, xsd] = await Promise.all([readFile(file, 'utf8'), readFile(junitXsd, 'utf8')]);
  // junit-10.xsd declares no `file`/`line` on <testcase>; netconform writes them for GitHub's
  // and GitLab's annotators (harness/reporters/junit.ts). Everything else must be valid:
  // unless `strict`, only those two attributes are taken out before validating.
  const xml = opts.strict
    ? raw
    : raw.replace(/<testcase\b[^>]*>/g, (tag) => tag.replace(/\s(?:file|line)="[^"]*"/g, ''));
  const r = await validateXML({
    xml: { fileName: basename(file), contents: xml },
    schema: { fileName: 'junit-10.xsd', contents: xsd },
  });
  return { ok: r.valid, output: r.errors.map((e) => e.rawMessage).join('\n') || r.rawOutput };
}

/** Pids the fixture.hang scenario logged ("child pid N") that are still alive (zombies count as gone). */
export function childPidsAlive(result: { scenarios: Array<{ log: string[] }> }): number[] {
  const pids = result.scenarios.flatMap((s) => s.log.flatMap((l) => /child pid (\d+)/.exec(l)?.[1] ?? [])).map(Number);
  return pids.filter((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return !/^\d+ \(.*\) Z/.test(stat);
    } catch {
      return false;
    }
  });
}
