/**
 * The top README is for users: short, with a first profile for the user's own product early, and
 * every path and command in it real. The cheap commands run here; each other one names the test
 * that runs it (RUN_ELSEWHERE), and a command in the README that is in neither fails this test.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, readJson, repoRoot, tempOut } from './helpers/cli.ts';
import { labNeeds } from './helpers/requires.ts';

const MAX_LINES = 350;
const PROFILE_BEFORE_LINE = 100;
/** Paths the README uses as examples in quoted messages, not as files of this repository. */
const EXAMPLE_PATHS = new Set(['profiles/x.yaml']);

/** README commands too slow or too privileged to run here, and the test file that runs each. */
const RUN_ELSEWHERE: Record<string, string> = {
  'npm ci && npx netconform run': 'test/cli.e2e.test.ts', // the default profile; npm ci: .ci/run
  'npm test': '.ci/run',
  'npm install --save-dev git+https://github.com/<org>/netconform.git#<tag>': 'test/pack-install.e2e.test.ts',
  'npx netconform run': 'test/pack-install.e2e.test.ts', // from the installed package
  // the lab test below, as root; the installed bin under sudo: test/pack-install.e2e.test.ts
  'sudo env "PATH=$PATH" "$PWD/node_modules/.bin/netconform" run my-product.yaml': 'test/readme.test.ts',
  'nc lab up profiles/lab-example.yaml': 'test/lab/cli.test.ts',
  'nc lab status': 'test/lab/cli.test.ts',
  'nc lab down <runId>': 'test/lab/cli.test.ts',
  'nc lab gc': 'test/lab/cli.test.ts',
};

interface Fence {
  lang: string;
  line: number; // 1-based line of the opening fence
  body: string;
}

function fences(text: string): Fence[] {
  const out: Fence[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    out.push({ lang: open[1]!, line: i + 1, body: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

/** Each command of the `sh` blocks, its comment cut off. */
/** A shell function the README defines for netconform as root (`nc() { sudo … netconform "$@"; }`). */
const ALIAS_DEFINITION = /^(\w+)\(\) \{ .*netconform"? "\$@"; \}$/;

function shCommands(text: string): string[] {
  return fences(text)
    .filter((f) => f.lang === 'sh')
    .flatMap((f) => f.body.split('\n'))
    .map((l) => l.replace(/\s+#.*$/, '').trim())
    .filter((l) => l !== '' && !ALIAS_DEFINITION.test(l));
}

/** The words after `netconform` (or the README's alias for it) in a command: `['lab', 'up', 'profiles/…']`. */
function netconformArgs(command: string): string[] | undefined {
  const words = command.split(/\s+/);
  if (words[0] === 'nc') return words.slice(1);
  const at = words.findIndex((w) => /(^|\/)netconform"?$/.test(w));
  return at < 0 ? undefined : words.slice(at + 1);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** `a/{b,c}/d` → `a/b/d`, `a/c/d`. */
function expandBraces(path: string): string[] {
  const m = /\{([^}]*)\}/.exec(path);
  if (!m) return [path];
  return m[1]!.split(',').flatMap((alt) => expandBraces(path.replace(m[0], alt)));
}

/** A repository path the README names exists: as written, or as the test file `x` abbreviates. */
function pathExists(path: string): boolean {
  return [path, `${path}.ts`, `${path}.test.ts`].some((p) => existsSync(join(repoRoot, p)));
}

const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
const readmeLines = readme.split('\n');
const ownProfile = fences(readme).find((f) => f.lang === 'yaml' && /^profile: my-product$/m.test(f.body));

describe('the top README', () => {
  it(`is at most ${MAX_LINES} lines`, () => {
    expect(readmeLines.length).toBeLessThanOrEqual(MAX_LINES);
  });

  it(`shows a profile for the user's own product before line ${PROFILE_BEFORE_LINE}`, () => {
    expect(ownProfile, 'a yaml block with `profile: my-product`').toBeDefined();
    expect(ownProfile!.line).toBeLessThan(PROFILE_BEFORE_LINE);
    for (const key of [/^lab:/m, /^sut:/m, /\$\{port\}/, /^\s+ready:/m, /^\s+- id: /m, /^\s+use: /m]) {
      expect(ownProfile!.body).toMatch(key);
    }
    expect(readme.slice(0, readme.indexOf('## Install into your project'))).toContain('expectFail');
  });

  it('names only repository paths that exist', () => {
    const prefixes = 'harness|suites|native|profiles|test|ci';
    const named = new Set<string>();
    for (const m of readme.matchAll(new RegExp(`(?<![\\w./<>-])((?:${prefixes})/[\\w./{},-]*)`, 'g'))) {
      named.add(m[1]!.replace(/[.,]+$/, ''));
    }
    expect(named.size).toBeGreaterThan(30);
    const missing = [...named].filter((p) => !EXAMPLE_PATHS.has(p) && !expandBraces(p).every(pathExists));
    expect(missing).toEqual([]);
  });

  it('links only to anchors that exist', () => {
    const anchors = new Set(readmeLines.filter((l) => /^#{1,6} /.test(l)).map((l) => anchorOf(l.replace(/^#+ /, ''))));
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((a) => !anchors.has(a))).toEqual([]);
  });

  it('uses only netconform commands that exist', async () => {
    const top = await cli(['--help']);
    const lab = await cli(['lab', '--help']);
    const commandsOf = (help: string): string[] =>
      [...help.slice(help.indexOf('Commands:')).matchAll(/^ {2}(\w+)/gm)].map((m) => m[1]!);
    const known = { top: commandsOf(top.stdout), lab: commandsOf(lab.stdout) };
    expect(known.top).toEqual(expect.arrayContaining(['run', 'list', 'validate', 'schema', 'merge', 'lab']));

    const used = shCommands(readme)
      .map(netconformArgs)
      .filter((a): a is string[] => a !== undefined);
    expect(used.length).toBeGreaterThan(5);
    for (const args of used) {
      expect(known.top, args.join(' ')).toContain(args[0]);
      if (args[0] === 'lab') expect(known.lab, args.join(' ')).toContain(args[1]);
    }
  });

  it('runs every command of its sh blocks here or names the test that does', () => {
    const runHere = (c: string): boolean => /netconform (validate|list|schema)\b/.test(c);
    const unaccounted = shCommands(readme).filter((c) => !runHere(c) && !(c in RUN_ELSEWHERE));
    expect(unaccounted).toEqual([]);
    for (const file of new Set(Object.values(RUN_ELSEWHERE))) expect(existsSync(join(repoRoot, file)), file).toBe(true);
  });
});

describe('the README commands that are cheap, run', () => {
  it('validate: the shipped profile it names and the own-product example', async () => {
    const dir = await tempOut('nc-readme-');
    const example = join(dir, 'my-product.yaml');
    await writeFile(example, ownProfile!.body);
    const files = shCommands(readme)
      .filter((l) => /netconform validate /.test(l))
      .map((c) => netconformArgs(c)![1]!)
      .map((f) => (f === 'my-product.yaml' ? example : join(repoRoot, f.replace('node_modules/netconform/', ''))));
    expect(files).toContain(example);
    for (const r of await Promise.all(files.map((f) => cli(['validate', f])))) {
      expect(r.exitCode, r.all).toBe(0);
      expect(r.stdout).toMatch(/: ok \(\d+ scenarios?\)/);
    }
  });

  it('list names every scenario of the table', async () => {
    const list = await cli(['list']);
    expect(list.exitCode, list.all).toBe(0);
    const scenarios = readme.slice(readme.indexOf('## Scenarios'), readme.indexOf('## The command line'));
    const uses = [...scenarios.matchAll(/^\| `(\w+\.[\w-]+)` \|/gm)].map((m) => m[1]!);
    expect(uses.length).toBeGreaterThan(15);
    for (const use of uses) expect(list.stdout, use).toContain(use);
  });

  it('schema and --version', async () => {
    const schema = await cli(['schema']);
    expect(schema.exitCode).toBe(0);
    expect(JSON.parse(schema.stdout)).toHaveProperty('properties.scenarios');

    const version = await cli(['--version']);
    const pkg = await readJson<{ version: string }>(join(repoRoot, 'package.json'));
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('run of the smoke profile', async () => {
    const out = await tempOut('nc-readme-smoke-');
    const smoke = await cli(['run', 'profiles/smoke.yaml', '-r', 'json', '-o', out]);
    expect(smoke.exitCode, smoke.all).toBe(0);
    expect(existsSync(join(out, 'results.json'))).toBe(true);
  });

  const lab = labNeeds();
  it.skipIf(!lab.ok)(lab.title('run: the own-product example with an example SUT as the product passes'), async () => {
    const dir = await tempOut('nc-readme-lab-');
    const product = join(repoRoot, 'profiles/sut/discover-good.py');
    const command = `  command: [${product}, --port, "\${port}", --duration, "10"]`;
    const body = ownProfile!.body.replace(/^ {2}command: .*$/m, command);
    expect(body).toContain(product);
    await writeFile(join(dir, 'my-product.yaml'), body);
    const r = await cli(['run', join(dir, 'my-product.yaml'), '-r', 'json', '-o', join(dir, 'reports')]);
    expect(r.exitCode, r.all).toBe(0);
    type Summary = { passed: number; failed: number; skipped: number };
    const result = await readJson<{ summary: Summary }>(join(dir, 'reports/results.json'));
    expect(result.summary).toMatchObject({ failed: 0, skipped: 0 });
    expect(result.summary.passed).toBeGreaterThan(0);
  });
});
