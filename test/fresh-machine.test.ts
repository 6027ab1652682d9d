/**
 * What makes `npm ci && npm test` pass on a machine with only Node and a C++ compiler: the
 * tests reach nothing outside the repository, JUnit is validated in-process, and a missing
 * program is a skip that names its package, never an uncaught `spawn … ENOENT`.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { junitXsd, repoRoot, validateJunit } from './helpers/cli.ts';
import { program, requires, root } from './helpers/requires.ts';
import { tempDir } from './helpers/tmp.ts';
import { startWitness } from './suites/helpers-net/witness.ts';

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

describe('the tests stay inside the repository', () => {
  it('no file under test/ names the shared folder beside the checkout', async () => {
    const outside = ['..', 'shared'].join('/'); // spelled apart so this file does not match itself
    const hits: string[] = [];
    for (const f of await filesUnder(join(repoRoot, 'test'))) {
      if (!/\.(ts|mts|mjs|js|json|yaml|md)$/.test(f)) continue;
      if ((await readFile(f, 'utf8')).includes(outside)) hits.push(relative(repoRoot, f));
    }
    expect(hits).toEqual([]);
  });

  it('the JUnit schema is kept with the tests, MIT header included', async () => {
    expect(relative(repoRoot, junitXsd)).toBe('test/fixtures/schemas/junit-10.xsd');
    const xsd = await readFile(junitXsd, 'utf8');
    expect(xsd).toContain('The MIT License (MIT)');
    expect(xsd).toContain('Copyright (c) 2014, Gregory Boissinot');
    expect(xsd).toContain('<xs:element name="testsuites">');
  });
});

describe('JUnit validation in-process (xmllint-wasm, no system xmllint)', () => {
  const suite = (body: string) =>
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name="s" tests="1" failures="0" errors="0" skipped="0" time="0.1">${body}</testsuite></testsuites>\n`;

  it('accepts a minimal valid report', async () => {
    const f = join(await tempDir('nc-junit-'), 'ok.xml');
    await writeFile(f, suite('<testcase name="a" classname="c" time="0.1"/>'));
    expect(await validateJunit(f)).toEqual({ ok: true, output: expect.any(String) });
  });

  it('refuses an invalid one, naming the element and the line', async () => {
    const f = join(await tempDir('nc-junit-'), 'bad.xml');
    await writeFile(f, suite('<testcase classname="c"/><bogus/>'));
    const r = await validateJunit(f);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/bad\.xml:2: .*testcase.*name.*required/);
    expect(r.output).toContain('bogus');
  });

  it('refuses a file that is not XML', async () => {
    const f = join(await tempDir('nc-junit-'), 'text.xml');
    await writeFile(f, 'not xml at all');
    expect((await validateJunit(f)).ok).toBe(false);
  });
});

describe('a missing program is a reason, not an exception', () => {
  it('program(): ENOENT becomes a reason naming the Debian package', () => {
    const n = program('nc-surely-not-installed', 'nc-package');
    expect(n.ok).toBe(false);
    expect(n.reason).toBe('needs nc-surely-not-installed (Debian package nc-package), not installed');
    expect(n.title('x')).toBe('x (skipped: needs nc-surely-not-installed (Debian package nc-package), not installed)');
  });

  it('program(): a program that runs but fails says how', () => {
    const n = program(process.execPath, 'nodejs', ['-e', 'process.exit(3)']);
    expect(n).toMatchObject({ ok: false, reason: expect.stringContaining('exited 3') });
    expect(program(process.execPath, 'nodejs', ['--version']).ok).toBe(true);
  });

  it('requires(): lists every missing need, so one install fixes them all', () => {
    const r = requires(
      program('nc-missing-a', 'pkg-a'),
      () => program('nc-missing-b', 'pkg-b'),
      program(process.execPath, 'nodejs'),
    );
    expect(r.ok).toBe(false);
    expect(r.reason).toBe(
      'needs nc-missing-a (Debian package pkg-a), not installed; needs nc-missing-b (Debian package pkg-b), not installed',
    );
    expect(requires(program(process.execPath, 'nodejs')).ok).toBe(true);
    const grouped = requires(
      program('nc-missing-a', 'pkg-a'),
      program('nc-missing-c', 'pkg-a'),
      root.ok ? program('nc-missing-a', 'pkg-a') : root,
    );
    expect(grouped.reason).toBe(
      root.ok
        ? 'needs nc-missing-a, nc-missing-c (Debian package pkg-a), not installed'
        : `${root.reason}; needs nc-missing-a, nc-missing-c (Debian package pkg-a), not installed`,
    );
    expect(root.ok).toBe(process.getuid?.() === 0);
  });

  it('the tcpdump witness rejects with a coded error when tcpdump is missing, never an uncaught spawn ENOENT', async () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent-nc';
    try {
      await expect(startWitness(undefined, 'udp port 9')).rejects.toMatchObject({
        code: 'ENOENT',
        message: expect.stringContaining('Debian package tcpdump'),
      });
    } finally {
      process.env.PATH = saved;
    }
  });
});
